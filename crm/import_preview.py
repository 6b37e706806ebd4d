"""The preview of a lead import: each row new, a duplicate, or an error (issue 17).

``columns_guess`` maps the sheet's header to the customer fields (the column
names Chinese schools use, or the field names); ``import_preview`` reads the
rows (``crm.imports.sheet_rows``) with that mapping and says of each row
what importing it would do:

- **new**: a lead that can be created as it is;
- **duplicate** of an existing customer (same normalised phone or QQ, the
  rule of the whole CRM), named with its owner, or of an earlier row of the
  same file;
- **error**: each field that is wrong, with the message the form would give.

Rows are checked a thousand at a time, the duplicates of a batch found in
one query: a preview costs a few queries per thousand rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.imports import FORMULA, Row
from crm.models import Customer
from crm.normalize import normalize_phone, normalize_qq

BATCH = 1000
FIELDS = ("name", "phone", "qq", "email", "source", "notes")
# Header texts (folded: stripped, lower case) each field is recognised by.
HEADERS = {
    "name": {"name", "姓名", "名字", "客户姓名", "学员姓名"},
    "phone": {"phone", "手机", "手机号", "手机号码", "电话", "联系电话"},
    "qq": {"qq", "qq号", "qq号码"},
    "email": {"email", "e-mail", "邮箱", "电子邮箱", "邮件"},
    "source": {"source", "来源", "渠道", "线索来源"},
    "notes": {"notes", "备注", "说明"},
}


class Status:
    NEW = "new"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass
class PreviewRow:
    """What importing one row would do."""

    number: int
    values: dict[str, str]
    status: str = Status.NEW
    errors: list[tuple[str, str]] = field(default_factory=list)
    duplicate_of: Customer | None = None
    duplicate_row: int | None = None


def columns_guess(header: list) -> dict[str, int]:
    """Return field -> column index for the header cells a field is known by."""
    found = {}
    for index, cell in enumerate(header):
        text = cell.strip().lower() if isinstance(cell, str) else ""
        for name, names in HEADERS.items():
            if text in names and name not in found:
                found[name] = index
    return found


def _sources() -> dict[str, str]:
    """Return every way a source may be written (value or label) -> its value."""
    known = {}
    for value, label in Customer.Source.choices:
        known[value.lower()] = value
        known[str(label).lower()] = value
    from django.utils import translation

    with translation.override("zh-hans"):
        for value, label in Customer.Source.choices:
            known[str(label).lower()] = value
    return known


def import_preview(
    rows: Iterable[Row], mapping: Mapping[str, int], *, default_source: str
) -> Iterator[PreviewRow]:
    """Yield a ``PreviewRow`` for each data row (the header is skipped)."""
    if "phone" not in mapping and "qq" not in mapping:
        raise ValidationError(
            _("Choose the column of the phone number or of the QQ number."),
            code="no_identifier",
        )
    sources = _sources()
    seen: dict[tuple[str, str], int] = {}
    data = (row for row in rows if row.number > 1)
    while batch := list(islice(data, BATCH)):
        checked = [_check(row, mapping, sources, default_source) for row in batch]
        _mark_duplicates(checked, seen)
        yield from checked


def _cell(row: Row, mapping: Mapping[str, int], name: str):
    index = mapping.get(name)
    if index is None or index >= len(row.cells):
        return ""
    return row.cells[index]


def _check(
    row: Row, mapping: Mapping[str, int], sources: dict, default_source: str
) -> PreviewRow:
    preview = PreviewRow(number=row.number, values={})
    for name in FIELDS:
        value = _cell(row, mapping, name)
        if value is FORMULA:
            preview.errors.append(
                (name, _("A formula is not imported: type the value itself."))
            )
            continue
        preview.values[name] = value
    values = preview.values
    for name, normalize in (("phone", normalize_phone), ("qq", normalize_qq)):
        if name in values:
            try:
                values[name] = normalize(values[name]) or ""
            except ValidationError as error:
                preview.errors.append((name, error.messages[0]))
    if not values.get("phone") and not values.get("qq") and not preview.errors:
        preview.errors.append(("phone", _("Enter a QQ number or a phone number.")))
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            preview.errors.append(("email", _("Enter a valid e-mail address.")))
    source = values.get("source", "")
    if source:
        if source.lower() in sources:
            values["source"] = sources[source.lower()]
        else:
            preview.errors.append(
                ("source", _("Unknown source “%(source)s”.") % {"source": source})
            )
    else:
        values["source"] = default_source
    for name, limit in (("name", 64), ("notes", 2000), ("email", 254)):
        if len(values.get(name, "")) > limit:
            preview.errors.append(
                (name, _("At most %(limit)s characters.") % {"limit": limit})
            )
    if preview.errors:
        preview.status = Status.ERROR
    return preview


def _mark_duplicates(rows: list[PreviewRow], seen: dict[tuple[str, str], int]) -> None:
    """Mark the rows whose phone or QQ a customer, or an earlier row, has."""
    keys = {
        (name, row.values[name])
        for row in rows
        if row.status == Status.NEW
        for name in ("phone", "qq")
        if row.values.get(name)
    }
    condition = Q()
    for name in ("phone", "qq"):
        numbers = [number for key, number in keys if key == name]
        if numbers:
            condition |= Q(**{f"{name}__in": numbers})
    existing = {}
    if condition:
        for customer in Customer.objects.filter(condition).select_related("consultant"):
            for name in ("phone", "qq"):
                number = getattr(customer, name)
                if number:
                    existing[(name, number)] = customer
    for row in rows:
        if row.status != Status.NEW:
            continue
        mine = [(n, row.values[n]) for n in ("phone", "qq") if row.values.get(n)]
        customer = next((existing[k] for k in mine if k in existing), None)
        earlier = next((seen[k] for k in mine if k in seen), None)
        if customer is not None:
            row.status, row.duplicate_of = Status.DUPLICATE, customer
        elif earlier is not None:
            row.status, row.duplicate_row = Status.DUPLICATE, earlier
        else:
            for key in mine:
                seen[key] = row.number
