"""Pages past the counted window: keyset ("seek") pagination.

A list counts at most ``count_limit`` rows, and pages within that window are
reached by number (``OFFSET``). Rows past it are reached by "Next" links that
carry a cursor: the sort values of the page's last row. The next page is then
the rows that sort after it::

    WHERE (created_at < x) OR (created_at = x AND id < y)
    ORDER BY created_at DESC, id DESC LIMIT 25

which walks the sort's index from that point, however deep: the millionth
row costs what the first does, where an ``OFFSET`` walks every row before.

The ordering is first spelled out down to columns, as the database sorts:
a relation sorts by its model's ``Meta.ordering`` (else by its key), each
descending part flipping the direction. NULLs sort where the database puts
them (PostgreSQL: above every value; SQLite: below), and the condition
follows. Orderings by expressions have no keyset: their lists stop at the
counted window, as before.
"""

from __future__ import annotations

import base64
import binascii
import json

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP

from kingadmin.columns import resolve_field_path

CURSOR_VAR = "after"
KEY_ALIAS = "_kingadmin_key{}"


class InvalidCursor(ValueError):
    """The cursor of a URL cannot be read (edited by hand, or of another sort)."""


def spell_out(model, ordering, *, _seen=frozenset()) -> list[tuple[str, bool]] | None:
    """Return ``ordering`` as ``(column path, descending)`` pairs, or None.

    None: an entry is an expression, "?" or a path that is not a field.
    """
    keys: list[tuple[str, bool]] = []
    for entry in ordering:
        if not isinstance(entry, str) or entry == "?":
            return None
        descending = entry.startswith("-")
        path = entry.lstrip("-")
        if path == "pk":
            path = model._meta.pk.name
        try:
            field = resolve_field_path(model, path)[-1]
        except FieldDoesNotExist:
            return None
        if field.is_relation and not field.many_to_one and not field.one_to_one:
            return None  # a many-valued relation has no single sort value
        if not field.is_relation:
            keys.append((path, descending))
            continue
        related = field.related_model
        inner = related._meta.ordering
        if not inner or related in _seen:
            keys.append((path + LOOKUP_SEP + related._meta.pk.name, descending))
            continue
        spelled = spell_out(related, inner, _seen=_seen | {model})
        if spelled is None:
            return None
        keys += [(path + LOOKUP_SEP + p, d != descending) for p, d in spelled]
    return keys


def with_keys(queryset: QuerySet, keys) -> QuerySet:
    """Return ``queryset`` selecting each key's value (for the next cursor)."""
    return queryset.annotate(
        **{KEY_ALIAS.format(i): F(path) for i, (path, _desc) in enumerate(keys)}
    )


def cursor_of(obj, keys) -> str:
    """Return the cursor of ``obj`` (selected ``with_keys``)."""
    values = [getattr(obj, KEY_ALIAS.format(i)) for i in range(len(keys))]
    text = json.dumps(values, cls=DjangoJSONEncoder, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_cursor(model, keys, cursor: str) -> list:
    """Return the sort values of ``cursor``; raise InvalidCursor if unreadable."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(text)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursor from error
    if not isinstance(values, list) or len(values) != len(keys):
        raise InvalidCursor
    typed = []
    for (path, _desc), value in zip(keys, values, strict=True):
        if value is None:
            typed.append(None)
            continue
        if isinstance(value, list | dict):
            raise InvalidCursor
        field = resolve_field_path(model, path)[-1]
        try:
            typed.append(field.to_python(value))
        except (ValidationError, TypeError, ValueError, OverflowError) as error:
            raise InvalidCursor from error
    return typed


def rows_after(queryset: QuerySet, keys, values) -> QuerySet:
    """Return the rows of ``queryset`` that sort after the row of ``values``."""
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    condition = Q(pk__in=[])  # nothing, OR-ed with each way of being after
    equal = Q()
    for (path, descending), value in zip(keys, values, strict=True):
        # "OR x IS NULL" only where x can be NULL: on a NOT NULL column it
        # would cost the index its range (SQLite then scans from the top).
        nulls = nulls_largest != descending and _nullable(queryset.model, path)
        condition |= equal & _after(path, descending, value, nulls_come_after=nulls)
        equal &= Q(**{f"{path}__isnull": True}) if value is None else Q(**{path: value})
    first_path, first_desc = keys[0]
    if values[0] is not None:
        # Redundant, but a range the database can seek to with the index.
        nulls = nulls_largest != first_desc and _nullable(queryset.model, first_path)
        condition &= _after(
            first_path, first_desc, values[0], nulls_come_after=nulls, equal=True
        )
    return queryset.filter(condition)


def _nullable(model, path: str) -> bool:
    # A NULL comes from a nullable column or from a nullable relation on the way.
    return any(field.null for field in resolve_field_path(model, path))


def _after(path, descending, value, *, nulls_come_after, equal=False) -> Q:
    """Return "``path`` sorts after ``value``" (or with it, if ``equal``).

    Going forward means "bigger" ascending and "smaller" descending;
    ``nulls_come_after``: the column has NULLs, sorted after every value.
    """
    if value is None:
        if equal:
            return Q()
        return Q(pk__in=[]) if nulls_come_after else Q(**{f"{path}__isnull": False})
    lookup = ("lt" if descending else "gt") + ("e" if equal else "")
    after = Q(**{f"{path}__{lookup}": value})
    if nulls_come_after:
        after |= Q(**{f"{path}__isnull": True})
    return after
