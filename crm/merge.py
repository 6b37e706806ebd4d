"""Two customers who are one person: finding them, merging them, undoing a merge.

- :func:`duplicate_candidates` finds pairs that look like one person: a
  mobile number typed into the QQ field of one and the phone field of the
  other, the same ID number, the same e-mail address.
- :func:`customer_merge` merges one customer (the *merged*) into another
  (the *survivor*) field by field, moves every row that points to the
  merged customer to the survivor and deletes the merged row, keeping in a
  :class:`~crm.models.CustomerMerge` what an undo needs: the merged row
  (all its columns and tags), the survivor's columns before, which rows
  moved.
- :func:`customer_merge_undo` puts both back.

The rows that point to a customer are found by introspection
(``Customer._meta``), so a relation added later moves too; what hangs off
those rows (payments and ledger entries off enrollments) moves with them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import notification_send
from crm.models import Customer, CustomerMerge, CustomerSearchGram, Tag
from crm.search import index_customers
from kingadmin.history import log_addition, log_change, log_deletion, snapshot

# The fields a person merging chooses, side by side.
MERGE_FIELDS = (
    "name",
    "qq",
    "qq_name",
    "phone",
    "email",
    "source",
    "referral_from",
    "consult_course",
    "notes",
    "consultant",
    "id_number",
    "gender",
    "birthday",
    "emergency_contact",
    "emergency_phone",
)
# Taking the merged customer's consultant takes the lead's place in the pools.
OWNERSHIP = ("pool", "pooled_at", "unassigned")
# Worked out from both customers rather than chosen.
DERIVED = ("status", "last_followup_at", "last_activity_at", "user")
# Scanned for duplicate ID numbers and e-mails: neither column has an index
# (see duplicate_candidates), so only the newest customers are compared.
MAX_PAIRS = 200
# A mobile number typed into the QQ field: a QQ from "13..." to "19...".
MOBILE_QQ_FROM, MOBILE_QQ_TO = "13", "2"


@dataclass
class DuplicatePair:
    """Two customers who look like one person, and why."""

    first: Customer
    second: Customer
    reasons: list[str] = field(default_factory=list)


REASON_NUMBER = gettext_lazy("The phone of one is the QQ of the other")
REASON_ID_NUMBER = gettext_lazy("Same ID number")
REASON_EMAIL = gettext_lazy("Same e-mail")


def duplicate_candidates(queryset: models.QuerySet) -> list[DuplicatePair]:
    """Return the pairs of customers of ``queryset`` that look like one person.

    The number typed into the wrong field is found through the unique
    indexes: the QQ numbers that look like mobile numbers (a range of the
    QQ index) whose value is somebody's phone (a lookup in the phone index).
    ID numbers and e-mails held twice are found on their partial indexes
    (non-empty values only; e-mails compared in lower case).
    At most ``MAX_PAIRS`` pairs, oldest customer first in each pair.
    """
    scoped = queryset.order_by()
    pairs: dict[frozenset, set] = defaultdict(set)
    wrong_field = (
        scoped.filter(qq__gte=MOBILE_QQ_FROM, qq__lt=MOBILE_QQ_TO)
        .filter(Exists(scoped.filter(phone=OuterRef("qq"))))
        .values_list("pk", "qq")[:MAX_PAIRS]
    )
    wrong_field = list(wrong_field)
    if wrong_field:
        by_phone = dict(
            scoped.filter(phone__in=[qq for _pk, qq in wrong_field]).values_list(
                "phone", "pk"
            )
        )
        for pk, qq in wrong_field:
            other = by_phone.get(qq)
            if other is not None and other != pk:
                pairs[frozenset((pk, other))].add(REASON_NUMBER)
    # The same ID number or e-mail: the values held twice, from their
    # (partial) indexes, and the customers holding them, in one query.
    ids_twice = (
        scoped.exclude(id_number="")
        .values("id_number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("id_number")[:MAX_PAIRS]
    )
    emails_twice = (
        scoped.exclude(email="")
        .annotate(value=Lower("email"))
        .values("value")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("value")[:MAX_PAIRS]
    )
    holders = (
        scoped.annotate(lower_email=Lower("email"))
        .filter(
            (~Q(id_number="") & Q(id_number__in=ids_twice))
            | (~Q(email="") & Q(lower_email__in=emails_twice))
        )
        .values_list("pk", "id_number", "lower_email")
    )
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, id_number, email in holders:
        if id_number:
            groups[(REASON_ID_NUMBER, id_number)].append(pk)
        if email:
            groups[(REASON_EMAIL, email)].append(pk)
    for (reason, _value), pks in groups.items():
        for i, first in enumerate(pks):
            for second in pks[i + 1 :]:
                pairs[frozenset((first, second))].add(reason)
    chosen = list(pairs.items())[:MAX_PAIRS]
    ids = {pk for pair, _reasons in chosen for pk in pair}
    customers = Customer.objects.select_related("consultant").in_bulk(ids)
    found = []
    for pair, reasons in chosen:
        first, second = sorted(
            (customers[pk] for pk in pair), key=lambda c: (c.created_at, c.pk)
        )
        order = [REASON_NUMBER, REASON_ID_NUMBER, REASON_EMAIL]
        found.append(
            DuplicatePair(first, second, [str(r) for r in order if r in reasons])
        )
    found.sort(key=lambda p: (p.first.created_at, p.first.pk), reverse=True)
    return found


# ------------------------------------------------------------------ records


def _json_value(obj: models.Model, f: models.Field):
    value = f.value_from_object(obj)
    return None if value is None else f.value_to_string(obj)


def _record(customer: Customer) -> dict:
    """Return every column of ``customer`` as JSON text, and its tag ids."""
    return {
        "fields": {
            f.attname: _json_value(customer, f) for f in Customer._meta.concrete_fields
        },
        "tags": sorted(customer.tags.values_list("pk", flat=True)),
    }


def _python_value(attname: str, text):
    f = next(f for f in Customer._meta.concrete_fields if f.attname == attname)
    return None if text is None else f.to_python(text)


def _field(name: str) -> models.Field:
    return Customer._meta.get_field(name)


def changed_fields(taken: list[str]) -> list[str]:
    """Return the model fields a merge taking ``taken`` may change on the survivor."""
    names = [name for name in MERGE_FIELDS if name in taken]
    if "consultant" in names:
        names += OWNERSHIP
    return [*names, *DERIVED]


# ---------------------------------------------------------------- relations


@dataclass(frozen=True)
class Relation:
    """A foreign key of another model pointing to Customer."""

    model: type[models.Model]
    field: models.ForeignKey

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    @property
    def name(self) -> str:
        return self.field.name


def customer_relations() -> list[Relation]:
    """Return every foreign key to Customer whose rows follow a merged customer.

    Hidden relations too (``related_name="+"``); not the search grams (each
    customer's are rebuilt) nor the tables of Customer's own many-to-many
    fields (tags are united). The many-to-many fields of other models to
    Customer move through their tables' foreign keys.
    """
    own_tables = {f.remote_field.through for f in Customer._meta.many_to_many}
    relations = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete or rel.many_to_many:
            continue
        model = rel.related_model
        if model is CustomerSearchGram or model in own_tables:
            continue
        relations.append(Relation(model, rel.field))
    return relations


def _unique_sets(relation: Relation) -> list[tuple[str, ...]]:
    """Return the other fields of each unique constraint including the relation."""
    opts = relation.model._meta
    sets = [tuple(names) for names in opts.unique_together]
    sets += [
        tuple(c.fields)
        for c in opts.constraints
        if isinstance(c, models.UniqueConstraint)
        and c.fields
        and c.condition is None
        and not c.expressions
    ]
    if relation.field.unique:
        sets.append((relation.name,))
    return [
        tuple(name for name in names if name != relation.name)
        for names in sets
        if relation.name in names
    ]


def merge_conflicts(survivor: Customer, merged: Customer) -> list[str]:
    """Return why the two cannot be merged (empty when they can)."""
    problems = []
    if survivor.user_id and merged.user_id:
        problems.append(
            _(
                "Both customers have a student account (%(first)s and %(second)s); "
                "a person keeps one account. Ask an administrator to close one."
            )
            % {"first": survivor.user, "second": merged.user}
        )
    for relation in customer_relations():
        for others in _unique_sets(relation):
            rows = relation.model._default_manager.filter(
                **{f"{relation.name}__in": [survivor.pk, merged.pk]}
            )
            seen: dict[tuple, set] = defaultdict(set)
            sample = {}
            for row in rows:
                values = tuple(
                    getattr(row, _attname(relation.model, n)) for n in others
                )
                seen[values].add(getattr(row, relation.field.attname))
                sample.setdefault(values, row)
            for values, owners in seen.items():
                if len(owners) > 1:
                    problems.append(
                        _(
                            "Both customers have a %(what)s for the same %(fields)s "
                            "(“%(row)s”): only one may remain. Close or remove one "
                            "of them first."
                        )
                        % {
                            "what": relation.model._meta.verbose_name,
                            "fields": get_text_list(
                                [
                                    str(relation.model._meta.get_field(n).verbose_name)
                                    for n in others
                                ],
                                _("and"),
                            )
                            or relation.model._meta.verbose_name,
                            "row": sample[values],
                        }
                    )
    return problems


def _attname(model, name: str) -> str:
    return model._meta.get_field(name).attname


def _link(customer_pk: int) -> str:
    return reverse("crm:customer_detail", args=[customer_pk])


# -------------------------------------------------------------------- merge


@transaction.atomic
def customer_merge(
    *, survivor: Customer, merged: Customer, fields_taken: list[str], by: User
) -> CustomerMerge:
    """Merge ``merged`` into ``survivor``, taking ``fields_taken`` from ``merged``.

    Both rows are locked. Refused (ValidationError, nothing changed) when
    a field is unknown, both have a student account, or moving the merged
    customer's rows would break a unique constraint (two enrollments in one
    class). The merged customer's owner is told when somebody else merged.
    """
    fields_taken = list(dict.fromkeys(fields_taken))
    unknown = [name for name in fields_taken if name not in MERGE_FIELDS]
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    if survivor.pk == merged.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    locked = Customer.objects.select_for_update(of=("self",)).filter(
        pk__in=[survivor.pk, merged.pk]
    )
    locked = {c.pk: c for c in locked.select_related("user").order_by("pk")}
    if len(locked) != 2:
        raise ValidationError(_("One of the two customers no longer exists."))
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    problems = merge_conflicts(survivor, merged)
    if problems:
        raise ValidationError(problems)

    merged_data = _record(merged)
    before = _record(survivor)
    history_before = snapshot(survivor)
    moved = {}
    for relation in customer_relations():
        manager = relation.model._default_manager
        rows = manager.filter(**{relation.name: merged.pk})
        ids = sorted(rows.values_list("pk", flat=True))
        if ids:
            manager.filter(pk__in=ids).update(**{relation.name: survivor.pk})
            moved[_moved_key(relation)] = ids
    added_tags = sorted(set(merged_data["tags"]) - set(before["tags"]))
    survivor.tags.add(*added_tags)

    log_deletion(by, merged)
    # The merged row goes first: its phone, QQ and account become free.
    Customer.objects.filter(pk=merged.pk).delete()
    names = changed_fields(fields_taken)
    for name in names:
        if name in DERIVED:
            continue
        attname = _field(name).attname
        setattr(survivor, attname, getattr(merged, attname))
    if merged.status == Customer.Status.ENROLLED:
        survivor.status = Customer.Status.ENROLLED
    survivor.last_followup_at = _latest(
        survivor.last_followup_at, merged.last_followup_at
    )
    survivor.last_activity_at = _latest(
        survivor.last_activity_at, merged.last_activity_at
    )
    survivor.user_id = survivor.user_id or merged.user_id
    survivor.full_clean()
    survivor.save()
    index_customers([survivor])

    before["changed"] = [_field(name).attname for name in names]
    before["tags_added"] = added_tags
    merge = CustomerMerge(
        survivor=survivor,
        merged_pk=merged.pk,
        merged_name=str(merged)[:128],
        merged_data=merged_data,
        survivor_before=before,
        fields_taken=fields_taken,
        moved=moved,
        merged_by=by,
    )
    # An empty list or dict is "blank" to a JSONField without blank=True:
    # keeping every field of the survivor, or moving no row, is fine.
    merge.full_clean(exclude=["fields_taken", "moved"])
    merge.save()
    log_change(by, survivor, history_before, [*names, "tags"])
    if merged.consultant_id != by.pk:
        notification_send(
            recipient=merged.consultant,
            text=_("%(user)s merged your lead “%(merged)s” into “%(survivor)s”.")
            % {"user": by, "merged": merged, "survivor": survivor},
            link=_link(survivor.pk),
        )
    return merge


def _latest(*moments):
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def _moved_key(relation: Relation) -> str:
    # One key per model; a model with two keys to Customer names the field.
    keys = [f for f in relation.model._meta.fields if f.related_model is Customer]
    return relation.key if len(keys) == 1 else f"{relation.key}:{relation.name}"


def _relation_of(key: str) -> Relation:
    label, _sep, name = key.partition(":")
    model = apps.get_model(label)
    if not name:
        name = next(f.name for f in model._meta.fields if f.related_model is Customer)
    return Relation(model, model._meta.get_field(name))


# --------------------------------------------------------------------- undo


IDENTIFIERS = ("qq", "phone", "user")


def _identifier_conflicts(survivor: Customer, merged: Customer) -> list[str]:
    """Return the numbers and accounts the two need back that others hold now."""
    problems = []
    for customer in (survivor, merged):
        for name in IDENTIFIERS:
            attname = _field(name).attname
            value = getattr(customer, attname)
            if value is None:
                continue
            holder = (
                Customer.objects.filter(**{attname: value})
                .exclude(pk=survivor.pk)
                .first()
            )
            if holder is not None:
                problems.append(
                    _(
                        "The %(field)s %(value)s of “%(customer)s” now belongs to "
                        "“%(holder)s”, entered since the merge: the merge cannot "
                        "be undone while both hold it."
                    )
                    % {
                        "field": _field(name).verbose_name,
                        "value": getattr(customer, name),
                        "customer": customer,
                        "holder": holder,
                    }
                )
    return problems


@transaction.atomic
def customer_merge_undo(*, merge: CustomerMerge, by: User) -> Customer:
    """Undo ``merge``: the merged customer is back with its rows; return it.

    The survivor gets back the fields the merge changed and loses the tags
    it brought; the rows that moved and still point to the survivor move
    back. Refused (nothing changed) when already undone, or when a number
    the two held before is now another customer's.
    """
    merge = CustomerMerge.objects.select_for_update().filter(pk=merge.pk).first()
    if merge is None:
        raise ValidationError(_("This merge no longer exists."))
    if merge.undone_at is not None:
        raise ValidationError(_("This merge has already been undone."))
    survivor = Customer.objects.select_for_update().get(pk=merge.survivor_id)
    if Customer.objects.filter(pk=merge.merged_pk).exists():
        raise ValidationError(_("The merged customer's number is in use again."))
    before = merge.survivor_before
    merged_fields = merge.merged_data["fields"]
    # A column added since the merge takes its default.
    columns = {f.attname for f in Customer._meta.concrete_fields}
    merged = Customer(
        **{
            attname: _python_value(attname, text)
            for attname, text in merged_fields.items()
            if attname in columns
        }
    )
    history_before = snapshot(survivor)
    for attname in before["changed"]:
        setattr(survivor, attname, _python_value(attname, before["fields"][attname]))
    problems = _identifier_conflicts(survivor, merged)
    if problems:
        raise ValidationError(problems)

    survivor.full_clean()
    survivor.save()
    merged.full_clean()
    merged.save(force_insert=True)
    for key, ids in merge.moved.items():
        relation = _relation_of(key)
        relation.model._default_manager.filter(
            pk__in=ids, **{relation.name: survivor.pk}
        ).update(**{relation.name: merged.pk})
    survivor.tags.remove(*before.get("tags_added", []))
    merged.tags.set(Tag.objects.filter(pk__in=merge.merged_data["tags"]))
    index_customers([survivor, merged])
    merge.undone_at = timezone.now()
    merge.undone_by = by
    merge.save(update_fields=["undone_at", "undone_by"])
    changed = [
        f.name for f in Customer._meta.concrete_fields if f.attname in before["changed"]
    ]
    log_change(by, survivor, history_before, [*changed, "tags"])
    log_addition(by, merged)
    if merged.consultant_id != by.pk:
        notification_send(
            recipient=merged.consultant,
            text=_("%(user)s undid the merge of your lead “%(merged)s”.")
            % {"user": by, "merged": merged},
            link=_link(merged.pk),
        )
    return merged
