"""Finding a customer by part of a phone or QQ number, or by part of a name.

A search term is matched three ways, each served by an index:

- **Numbers.** A term of digits (typed with spaces, dashes, full-width digits
  or a ``+86`` prefix, as sales copy them) matches every phone and QQ number
  it begins: ``1380013`` finds 13800138000. Numbers are stored normalised
  (crm.normalize), so a prefix is a range of the unique indexes on ``phone``
  and ``qq``: ``phone >= '1380013' AND phone < '1380014'``. A range rather
  than ``LIKE '1380013%'``: SQLite uses an index for LIKE only under
  conditions (collation, no ESCAPE) Django's queries do not meet, and
  PostgreSQL only with a ``text_pattern_ops`` index; a range on digits uses
  the plain B-tree on both.
- **Names.** Chinese names have no word boundaries and are two to four
  characters long, so neither full-text search nor trigrams fit: PostgreSQL's
  ``pg_trgm`` and SQLite's FTS5 trigram tokenizer need three characters to use
  their index, and 张伟 has two. Every customer instead has its name and QQ
  nickname cut into single letters and pairs of letters
  (:class:`~crm.models.CustomerSearchGram`: 张, 伟, 张伟), and a term is
  looked up by its first pair (or its letter, if it has one letter), then
  checked against the whole name when it is longer; each word of a term must
  be found in the name or the nickname (the candidates of several words are
  an INTERSECT of index ranges). The same table, index and query on SQLite
  and PostgreSQL; a library that does this across both does not exist.
- The customers found by each index are united (``UNION ALL``) in one
  subquery of the list's query: ``pk IN (...)``, on PostgreSQL
  ``pk = ANY(ARRAY(...))`` (see :class:`AmongIds`).

The grams are kept by a ``post_save`` signal when a customer's name or
nickname changes (or it is new); code that writes customers in bulk
(``bulk_create``, ``update``) calls :func:`index_customers` itself, and
``manage.py reindex_customer_search`` rebuilds the whole table.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from crm.bulk import insert_rows
from crm.models import Customer, CustomerSearchGram

# A number is at least this many digits: shorter ones would match a good part
# of the table by number, and are better read as text.
MIN_NUMBER_PREFIX = 3
# A gram is "common" when at least common_threshold() customers share it: a
# sorted page of them is found faster by walking the sort's index
# (FirstRowsByProbes). The threshold is 10 x the square root of the number
# of customers: the walk then reads at most 25 x customers / threshold = 2.5
# x the root rows for a first page (790 at 100,000 customers, 2,500 at
# 1,000,000), and looking up the ids of a gram just under it takes as many
# lookups as the threshold (3,160 and 10,000): both grow as the root.
# Measured at 1,000,000: under the threshold the ids take at most 25 ms on
# SQLite and 60 ms on PostgreSQL, whose walk costs more a row (5 us against
# 6 us a looked-up id; at 2,500 ids its walk took 58 ms, the ids 16 ms).
COMMON_FACTOR = 10
COMMON_SECONDS = 300
_NUMBER = re.compile(r"\+?[\d\s\-\u2010-\u2015\u2212.()\[\]/]+")
_NOT_DIGIT = re.compile(r"\D")
INDEXED_FIELDS = ("name", "qq_name")
GRAM_COLUMNS = ("customer_id", "gram")


def _fold(text: str) -> str:
    # NFKC: full-width letters and digits (１３８, ＡＢ) become ASCII ones.
    return unicodedata.normalize("NFKC", text).lower()


def grams_of(*texts: str) -> set[str]:
    """Return the letters and pairs of adjacent letters of ``texts``' words."""
    grams: set[str] = set()
    for text in texts:
        for word in _fold(text or "").split():
            grams.update(word)
            grams.update(word[i : i + 2] for i in range(len(word) - 1))
    return grams


def number_prefix(term: str) -> str | None:
    """Return the digits a number search looks for, or None if not a number.

    "+86 138-0013" -> "1380013": separators go, a country code typed with its
    "+" or as 0086 goes.
    """
    folded = unicodedata.normalize("NFKC", term).strip()
    if not _NUMBER.fullmatch(folded):
        return None
    digits = _NOT_DIGIT.sub("", folded)
    if folded.startswith("+86") or (digits.startswith("0086") and len(digits) > 4):
        digits = digits[2:] if folded.startswith("+") else digits[4:]
    return digits if len(digits) >= MIN_NUMBER_PREFIX else None


def _starts_with(field: str, prefix: str) -> Q:
    # Digits only: the strings starting with "139" are those in ["139", "14").
    head = prefix.rstrip("9")
    if not head:
        return Q(**{f"{field}__gte": prefix})
    upper = head[:-1] + str(int(head[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def common_threshold() -> int:
    """Return how many customers make a gram common (see COMMON_FACTOR).

    The number of customers is the highest id (one index lookup; as many,
    give or take deletions), kept per process for a few minutes.
    """
    cache = caches["local"]
    size = cache.get("crm-search-size")
    if size is None:
        size = Customer.objects.aggregate(highest=Max("pk"))["highest"] or 0
        cache.set("crm-search-size", size, COMMON_SECONDS)
    return max(1, math.isqrt(size) * COMMON_FACTOR)


def _common_grams(grams: list[str]) -> bool:
    """Return True if each of ``grams`` is common (see COMMON_FACTOR).

    One index-only query counting at most the threshold's number of entries
    per gram, its answer kept per process for a few minutes (the ``local``
    cache): whether a letter is common changes slowly, and a stale answer
    only chooses the slower of two ways to the same rows.
    """
    threshold = common_threshold()
    cache = caches["local"]
    text = "\x00".join([str(threshold), *grams])
    key = "crm-search-common:" + hashlib.sha256(text.encode()).hexdigest()
    common = cache.get(key)
    if common is None:
        table = connection.ops.quote_name(CustomerSearchGram._meta.db_table)
        column = connection.ops.quote_name("gram")
        count = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {column} = %s LIMIT {threshold:d}) g)"  # noqa: S608, E501 - names quoted, values bound
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join([count] * len(grams)), grams)
            common = all(n >= threshold for n in cursor.fetchone())
        cache.set(key, common, COMMON_SECONDS)
    return common


def _by_name(term: str) -> QuerySet | None:
    # Each word in the name or the nickname (as Django admin's search_fields
    # do). Candidates: the customers having the first pair of letters of
    # every word (INTERSECT of index ranges, no customer row read). A word of
    # one or two letters is one of the grams of any name containing it, so
    # its gram answers alone; a longer word is checked in the name.
    words = term.split()
    if not words:
        return None
    first, *others = (
        CustomerSearchGram.objects.filter(gram=_fold(word)[:2])
        .order_by()
        .values("customer")
        for word in dict.fromkeys(words)
    )
    candidates = first.intersection(*others) if others else first
    long_words = [word for word in words if len(_fold(word)) > 2]
    if not long_words:
        return candidates
    customers = Customer.objects.filter(pk__in=candidates)
    for word in long_words:
        customers = customers.filter(
            Q(name__icontains=word) | Q(qq_name__icontains=word)
        )
    return customers.values("pk")


def customer_search_q(term: str) -> Q:
    """Return the filter of the customers ``term`` finds (see module docstring).

    One ``pk IN (...)``: the union of what each index finds. (An OR of the
    conditions would read the same, but PostgreSQL cannot combine an index
    range with an ``IN (subquery)`` under an OR, and walks the whole table.)
    NUL characters, which PostgreSQL refuses in text, are dropped; an empty
    term finds nobody.
    """
    term = term.replace("\x00", "").strip()
    parts = []
    prefix = number_prefix(term)
    words = list(dict.fromkeys(term.split()))
    if prefix:
        for field in ("phone", "qq"):
            found = Customer.objects.filter(_starts_with(field, prefix))
            parts.append(found.values("pk"))
    by_name = _by_name(term)
    if by_name is not None:
        parts.append(by_name)
    if not parts:
        return Q(pk__in=[])
    first, *others = (part.order_by() for part in parts)
    among = AmongIds("pk", first.union(*others, all=True) if others else first)
    grams = [_fold(word)[:2] for word in words]
    if prefix or not _common_grams(grams):
        return Q(among)
    return Q(FirstRowsByProbes(among, _probes(words)))


def _probes(words: list[str]) -> Q:
    # What the name search asks of one customer row: each word's gram is
    # among its grams (the (gram, customer) index), and a word longer than
    # its gram is in the name or the nickname.
    q = Q()
    for word in words:
        grams = CustomerSearchGram.objects.filter(
            customer=OuterRef("pk"), gram=_fold(word)[:2]
        )
        q &= Q(Exists(grams))
        if len(_fold(word)) > 2:
            q &= Q(name__icontains=word) | Q(qq_name__icontains=word)
    return q


class FirstRowsByProbes(Expression):
    """The ids of ``among``; for a sorted page of them, ``probes`` row by row.

    A name search for a common letter (王 is in one name of twenty) finds
    tens of thousands of customers. To show the first page of them sorted,
    ``id IN (the ids)`` looks each one up and sorts them all: 120 ms at
    1,000,000 customers. Walking the sort's index and probing each row
    (``EXISTS`` on the (gram, customer) index) stops after the page: 0.5 ms.
    For a rare letter the walk would read the whole table, and to count the
    matches (no sort, or no limit) the ids are faster anyway. So: the probes
    in a sorted, limited query, the ids in any other; the search uses this
    only when every gram of the term is common (:func:`_common_grams`).
    Both are resolved against the query, so neither may add a join (a join
    the unused one added would still be in the FROM): both read the
    customer row and subqueries only.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, among: Expression, probes: Q):
        super().__init__()
        self.among, self.probes = among, probes

    def get_source_expressions(self):
        return [self.among, self.probes]

    def set_source_expressions(self, exprs):
        self.among, self.probes = exprs

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = self.copy()
        resolved.among = self.among.resolve_expression(query, *args, **kwargs)
        resolved.probes = self.probes.resolve_expression(query, *args, **kwargs)
        return resolved

    def as_sql(self, compiler, connection, **extra_context):
        query = compiler.query
        ordered = query.order_by or (
            query.default_ordering and query.get_meta().ordering
        )
        if ordered and query.high_mark is not None:
            return compiler.compile(self.probes)
        return compiler.compile(self.among)


class AmongIds(Func):
    """``field IN (subquery)``; on PostgreSQL ``field = ANY(ARRAY(subquery))``.

    The same answer; but PostgreSQL cannot estimate how many ids an
    INTERSECT or a UNION yields, guesses thousands, and then joins them to a
    whole-table scan of customers (60 ms at 100,000 for 245 customers). As
    an array, the ids are fetched first (an InitPlan) and each is looked up
    by its key, the plan SQLite makes of ``IN (subquery)`` anyway.
    """

    output_field = BooleanField()

    def __init__(self, field: str, ids: QuerySet):
        super().__init__(F(field), Subquery(ids))

    def as_sql(self, compiler, connection, **extra_context):
        field, ids = self.get_source_expressions()
        field_sql, field_params = compiler.compile(field)
        ids_sql, ids_params = compiler.compile(ids)
        postgresql = connection.vendor == "postgresql"
        template = "{} = ANY(ARRAY{})" if postgresql else "{} IN {}"
        return template.format(field_sql, ids_sql), (*field_params, *ids_params)


def _rows(customers: Iterable[Customer]) -> list[tuple[int, str]]:
    return [
        (customer.pk, gram)
        for customer in customers
        for gram in sorted(grams_of(*indexed_text(customer)))
    ]


def index_customers(customers: Iterable[Customer], *, new: bool = False) -> None:
    """Rewrite the search grams of ``customers`` (``new``: they have none yet)."""
    customers = list(customers)
    if not customers:
        return
    with transaction.atomic():
        if not new:
            CustomerSearchGram.objects.filter(
                customer_id__in=[customer.pk for customer in customers]
            ).delete()
        insert_rows(CustomerSearchGram, GRAM_COLUMNS, _rows(customers))
    for customer in customers:
        customer._search_indexed = indexed_text(customer)


def reindex_all(*, batch_size: int = 5000) -> int:
    """Rebuild the grams of every customer; return how many were indexed."""
    done = last = 0
    with transaction.atomic():
        CustomerSearchGram.objects.all().delete()
        while batch := list(
            Customer.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", *INDEXED_FIELDS)[:batch_size]
        ):
            insert_rows(CustomerSearchGram, GRAM_COLUMNS, _rows(batch))
            done += len(batch)
            last = batch[-1].pk
    return done


def indexed_text(customer: Customer) -> tuple[str, str]:
    """Return what the grams of ``customer`` are made of."""
    return (customer.name or "", customer.qq_name or "")


def reindex_on_save(sender, instance: Customer, created: bool, **kwargs) -> None:
    """Keep a customer's grams when it is created or its name or nickname changes.

    Connected to ``post_save`` of Customer (crm.apps). A customer loaded from
    the database remembers what it was indexed with (``from_db``), so a save
    that changes neither costs no query.
    """
    if kwargs.get("raw"):
        return  # loaddata: the fixture carries no grams; reindex afterwards
    fields = kwargs.get("update_fields")
    if fields is not None and not set(fields) & set(INDEXED_FIELDS):
        return
    if not created and getattr(instance, "_search_indexed", None) == indexed_text(
        instance
    ):
        return
    index_customers([instance], new=created)
