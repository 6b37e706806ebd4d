"""The columns of a list: what each shows of a row, and the row's HTML cells.

``Column.build`` turns a ``list_display`` entry (a field, a path through
relations, an admin method, a model attribute) into a header, a getter and
a sort field; ``cell_html`` renders one cell. Rows are built in Python, not
in the template: a page is mostly cells, and the template language is slow
per cell.
"""

from __future__ import annotations

import html
import operator
import re
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.safestring import SafeData, SafeString
from django.utils.text import capfirst

from kingadmin.formatting import (
    EMPTY,
    display_for_field,
    display_for_value,
    is_masked,
    text_for_field,
)

NAMING_FIELDS = frozenset({"name", "title", "username", "display_name"})


def resolve_field_path(model, path: str) -> list[models.Field]:
    """Return the fields along ``a__b__c`` from ``model``; raise FieldDoesNotExist."""
    fields = []
    current = model
    for part in path.split(LOOKUP_SEP):
        if current is None:
            raise FieldDoesNotExist(f"{path!r} goes past a non-relation field")
        field = current._meta.get_field(part)
        fields.append(field)
        current = field.related_model if field.is_relation else None
    return fields


def path_spawns_duplicates(model, path: str) -> bool:
    """Return True if following ``path`` may return a row more than once."""
    return any(f.many_to_many or f.one_to_many for f in resolve_field_path(model, path))


@dataclass
class Column:
    """One column of the list: header, how to get a cell, how to sort by it."""

    name: str
    header: str
    getter: object
    order_field: str | None = None
    link: bool = False
    boolean: bool = False
    model_field: models.Field | None = None
    related_path: str | None = None
    empty: str = EMPTY

    @classmethod
    def build(cls, model_admin, name: str, *, link: bool = False) -> Column:
        """Return the column for a list_display entry (validated by checks)."""
        model = model_admin.model
        if name == "__str__":
            return cls(name, capfirst(model._meta.verbose_name), str, link=link)
        if callable(name):
            raise TypeError("list_display entries are names, not callables")
        if hasattr(model_admin, name) and not _is_field(model, name):
            func = getattr(model_admin, name)
            return cls._from_callable(name, func, link, pass_obj=True)
        if LOOKUP_SEP in name:
            fields = resolve_field_path(model, name)
            last = fields[-1]
            # "consult_course__name" reads better as "Course asked about".
            named_by = fields[-2] if last.name in NAMING_FIELDS else last
            return cls(
                name,
                capfirst(named_by.verbose_name),
                None,
                order_field=name,
                link=link,
                boolean=isinstance(last, models.BooleanField),
                model_field=last,
                related_path=LOOKUP_SEP.join(name.split(LOOKUP_SEP)[:-1]),
            )
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            attr = getattr(model, name)
            return cls._from_callable(name, attr, link, pass_obj=False)
        return cls(
            name,
            capfirst(model_field.verbose_name),
            None,
            order_field=None if model_field.many_to_many else name,
            link=link,
            boolean=isinstance(model_field, models.BooleanField),
            model_field=model_field,
        )

    @classmethod
    def _from_callable(cls, name, func, link, *, pass_obj):
        header = capfirst(
            getattr(func, "short_description", None) or name.replace("_", " ")
        )
        # Admin methods are bound (take obj); model methods and properties are
        # looked up on the row itself.
        getter = func if pass_obj else operator.attrgetter(name)
        source = func.fget if isinstance(func, property) else func
        return cls(
            name,
            header,
            getter,
            order_field=getattr(source, "admin_order_field", None),
            link=link,
            boolean=getattr(source, "boolean", False),
            empty=getattr(source, "empty_value_display", EMPTY),
        )

    @property
    def sortable(self) -> bool:
        """Return True if the list may sort by this column."""
        return self.order_field is not None

    def _raw(self, obj):
        if self.model_field is not None:
            target = obj
            if self.related_path:
                for part in self.related_path.split(LOOKUP_SEP):
                    target = getattr(target, part, None)
                    if target is None:
                        return None, None
            return target, self.model_field
        value = self.getter(obj)
        return value, None

    def value(self, obj, *, tz=None):
        """Return the cell for ``obj``: escaped by the template unless format_html.

        Datetimes show in ``tz``, by default the current time zone.
        """
        target, model_field = self._raw(obj)
        if model_field is not None:
            if target is None:
                return self.empty
            return display_for_field(target, model_field, tz=tz)
        if callable(target) and not isinstance(target, models.Model):
            target = target()
        if target is None or target == "":
            return self.empty
        return display_for_value(target, boolean=self.boolean, tz=tz)

    def text(self, obj) -> object:
        """Return the plain value of the cell for ``obj`` (exports)."""
        target, model_field = self._raw(obj)
        if model_field is not None:
            if target is None:
                return ""
            if model_field.choices or model_field.is_relation or is_masked(model_field):
                return text_for_field(target, model_field)
            return getattr(target, model_field.attname)
        if callable(target) and not isinstance(target, models.Model):
            target = target()
        if isinstance(target, str):
            return strip_tags(target)
        if target is None:
            return ""
        if isinstance(target, models.Model):
            return str(target)
        return target


def _is_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


@dataclass
class Row:
    """One row of the list: the object, its cells and its list_editable form.

    ``html`` holds the row's ``<td>`` cells, built once in Python (the list
    is a page's largest part and the template language is slow per cell);
    it is empty for a row with a list_editable form, whose cells the
    template renders. A template that overrides the list can still use
    ``cells`` (each a dict with the ``column`` and its ``value``).
    """

    obj: object
    cells: list
    form: object = None
    html: str = ""


DATE_TYPES = frozenset({"DateTimeField", "DateField", "TimeField"})
LONG_CELL = 40  # characters; a longer value wraps in a bounded box
TAG = re.compile(r"<[^>]*>")
# One format string per kind of cell, so that a cell costs one format_html.
CELL_FORMATS = {
    (link, long, date): '<td data-column="{}"'
    + (' class="text-nowrap"' if date else "")
    + ">"
    + ('<div class="cell-long">' if long else "")
    + ('<a href="{}">{}</a>' if link else "{}")
    + ("</div>" if long else "")
    + "</td>"
    for link in (False, True)
    for long in (False, True)
    for date in (False, True)
}


def is_long(value) -> bool:
    """Return True if ``value`` shows more than LONG_CELL characters."""
    text = str(value)
    if len(text) <= LONG_CELL:
        return False
    if isinstance(value, SafeData):
        text = TAG.sub("", text)  # only its length matters, not its markup
    return len(text) > LONG_CELL


def is_date(column: Column) -> bool:
    """Return True if the column holds dates or times (which must not wrap)."""
    field = column.model_field
    return field is not None and field.get_internal_type() in DATE_TYPES


def cell_formats(column: Column) -> dict[tuple[bool, bool], str]:
    """Return ``column``'s cell formats by (link, long), its name already in.

    For a list's rows: the column's name is escaped once, not in every cell.
    """
    date = is_date(column)
    name = escape_html(column.name).replace("{", "{{").replace("}", "}}")
    return {
        (link, long): CELL_FORMATS[link, long, date].replace("{}", name, 1)
        for link in (False, True)
        for long in (False, True)
    }


def row_cell_html(formats: dict, value, url: str | None = None) -> SafeString:
    """Return one cell as ``cell_html`` does, with the column's ``cell_formats``."""
    template = formats[url is not None, is_long(value)]
    if url is None:
        return fast_format_html(template, value)
    return fast_format_html(template, url, value)


def cell_html(
    column: Column, value, url: str | None = None, *, date: bool | None = None
) -> SafeString:
    """Return the ``<td>`` of one cell: ``value`` escaped unless it is safe HTML.

    It links to ``url`` if given, and wraps in a bounded box if long.
    """
    if date is None:
        date = is_date(column)
    template = CELL_FORMATS[url is not None, is_long(value), date]
    if url is None:
        return fast_format_html(template, column.name, value)
    return fast_format_html(template, column.name, url, value)


def escape_html(value) -> str:
    """Return ``value`` escaped for HTML, or as it is if it is safe HTML.

    Django's ``conditional_escape`` does the same through its lazy-string
    wrapper; a list page escapes a few hundred values, and that wrapper was
    a tenth of its time.
    """
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def fast_format_html(template: str, *args) -> SafeString:
    """Return Django's ``format_html(template, *args)``, computed faster.

    Every argument is escaped (``escape_html``), as ``format_html`` does;
    the result is marked safe only then.
    """
    return SafeString(template.format(*map(escape_html, args)))
