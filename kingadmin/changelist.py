"""The list page: request -> queryset -> page, in one fixed order.

Base queryset (row rules) -> filters -> search -> select_related -> total
ordering (pk appended) -> page. Only parameters built from the admin options
reach ``.filter()`` / ``.order_by()``; anything else is ignored and reported.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import cached_property, reduce
from urllib.parse import quote_plus

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from kingadmin import keyset, links, listcache
from kingadmin.columns import (
    Column,
    Row,
    cell_formats,
    cell_html,
    escape_html,
    fast_format_html,
    path_spawns_duplicates,
    row_cell_html,
)
from kingadmin.links import MARKER, split_at_marker
from kingadmin.views import SELECTED_VAR

PAGE_VAR = "p"
SEARCH_VAR = "q"
ORDER_VAR = "o"
PER_PAGE_VAR = "per_page"
EXPORT_FORMAT_VAR = "format"
RESERVED_VARS = frozenset(
    {PAGE_VAR, SEARCH_VAR, ORDER_VAR, PER_PAGE_VAR, keyset.CURSOR_VAR}
)
# What does not change which rows a list holds (nor how many).
NOT_COUNTED_VARS = frozenset(
    {PAGE_VAR, ORDER_VAR, PER_PAGE_VAR, keyset.CURSOR_VAR, EXPORT_FORMAT_VAR}
)
MAX_SEARCH_LENGTH = 200
COUNT_ALIAS = "_kingadmin_count"  # the capped count, riding on the page's rows
# From this offset on, a page finds its ids first (on the sort's index alone).
DEFERRED_JOIN_OFFSET = 500


def search_queryset(queryset: QuerySet, search_fields, term: str):
    """Return ``(queryset, may_have_duplicates)`` matching ``term`` (see ModelAdmin)."""
    term = term.replace("\x00", "").strip()[:MAX_SEARCH_LENGTH]
    if not term or not search_fields:
        return queryset, False
    lookups = []
    duplicates = False
    for name in search_fields:
        if name.startswith("^"):
            path, lookup = name[1:], "istartswith"
        elif name.startswith("="):
            path, lookup = name[1:], "iexact"
        else:
            path, lookup = name, "icontains"
        duplicates = duplicates or path_spawns_duplicates(queryset.model, path)
        lookups.append(f"{path}__{lookup}")
    for word in term.split():
        queryset = queryset.filter(
            reduce(operator.or_, (Q(**{lookup: word}) for lookup in lookups))
        )
    return queryset, duplicates


def elided_page_range(current: int, last: int, *, each_side: int = 2, ends: int = 1):
    """Yield page numbers around ``current`` and at the ends, None for a gap."""
    if last <= (each_side + ends) * 2 + 1:
        yield from range(1, last + 1)
        return
    shown = set(range(1, ends + 1)) | set(range(last - ends + 1, last + 1))
    shown |= set(range(max(1, current - each_side), min(last, current + each_side) + 1))
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            yield None
        yield number
        previous = number


@dataclass
class ChangeList:
    """Everything the list page shows, computed once per request."""

    request: object
    model_admin: object
    base_queryset: QuerySet
    ignored: list[str] = field(default_factory=list)

    def __post_init__(self):
        from kingadmin.filters import build_filters

        admin = self.model_admin
        request = self.request
        self.model = admin.model
        self.opts = admin.opts
        self.params = request.GET
        self.columns = admin.get_columns(request)
        self.search_fields = admin.get_search_fields(request)
        self.search_term = self.params.get(SEARCH_VAR, "").replace("\x00", "")[
            :MAX_SEARCH_LENGTH
        ]
        self.filters = build_filters(request, admin)
        consumed = set(RESERVED_VARS)
        for spec in self.filters:
            consumed |= set(spec.expected_parameters())
        self.ignored = sorted(set(self.params) - consumed)
        self.per_page = self._per_page()
        self.ordering, self.sort_column, self.sort_desc = self._ordering()
        self.queryset = self.get_queryset()
        self._paginate()

    # -- parameters
    def _per_page(self) -> int:
        default = self.model_admin.get_list_per_page(self.request)
        raw = self.params.get(PER_PAGE_VAR)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.ignored.append(PER_PAGE_VAR)
            return default
        if value not in self.model_admin.list_per_page_choices:
            self.ignored.append(PER_PAGE_VAR)
            return default
        return value

    def _ordering(self):
        sortable = {c.name: c for c in self.columns if c.sortable}
        raw = self.params.get(ORDER_VAR, "")
        name = raw[1:] if raw.startswith("-") else raw
        default = list(self.model_admin.get_ordering(self.request))
        if raw and name in sortable:
            column = sortable[name]
            desc = raw.startswith("-")
            field = column.order_field
            if isinstance(field, models.expressions.BaseExpression):
                primary = field.desc() if desc else field.asc()
            else:
                primary = ("-" if desc else "") + field.lstrip("-")
            ordering = [primary, *[o for o in default if o != primary]]
            sort = (name, desc)
        else:
            if raw:
                self.ignored.append(ORDER_VAR)
            ordering = default
            sort = (None, False)
        # A total order, so that pages neither repeat nor skip rows.
        if not any(
            str(o).lstrip("-") in {"pk", self.opts.pk.name, self.opts.pk.attname}
            for o in ordering
        ):
            ordering.append("-pk")
        return ordering, sort[0], sort[1]

    # -- queryset
    def get_queryset(self) -> QuerySet:
        """Return the filtered, searched and sorted rows of the list."""
        queryset = self.base_queryset
        for spec in self.filters:
            queryset = spec.queryset(self.request, queryset)
        queryset, duplicates = self.model_admin.get_search_results(
            self.request, queryset, self.search_term
        )
        if duplicates:
            queryset = queryset.filter(pk__in=queryset.values("pk"))
        queryset = self._apply_select_related(queryset)
        only = self.model_admin.get_list_only(self.request)
        if only is not None:
            queryset = queryset.only(*only)
        # Spelled out to columns, the order a "Next" cursor can seek in
        # (kingadmin.keyset); the same order Django would sort by.
        self.keys = keyset.spell_out(self.model, self.ordering)
        if self.keys is None:
            return queryset.order_by(*self.ordering)
        return keyset.with_keys(queryset, self.keys).order_by(
            *(("-" if desc else "") + path for path, desc in self.keys)
        )

    def _apply_select_related(self, queryset):
        related = self.model_admin.get_list_select_related(self.request)
        if related is True:
            return queryset.select_related()
        paths = set(related or ())
        for column in self.columns:
            if column.related_path:
                paths.add(column.related_path)
            elif column.model_field is not None and column.model_field.many_to_one:
                paths.add(column.name)
        return queryset.select_related(*sorted(paths)) if paths else queryset

    # -- pages
    def _paginate(self) -> None:
        self.next_url = None
        self.keyset_page = False
        cursor = self.params.get(keyset.CURSOR_VAR)
        if cursor is not None:
            if self._paginate_after(cursor):
                return
            self.ignored.append(keyset.CURSOR_VAR)
        try:
            page = int(self.params.get(PAGE_VAR, "1"))
        except ValueError:
            page = 1
        # No page lies past the counted window (count_limit + 1 rows).
        last_possible = -(-(self.model_admin.count_limit + 1) // self.per_page)
        page = min(max(page, 1), last_possible)
        rows, counted = self._page_and_count(page)
        if rows is None:
            # Past the last page (or a queryset the count cannot ride on):
            # count alone, then show the nearest page.
            counted = self._capped_count().count()
        elif not rows and page > 1:
            counted = self._capped_count().count()  # past the end: where is it?
            rows = None
        self.count_capped = counted > self.model_admin.count_limit
        self.result_count = min(counted, self.model_admin.count_limit)
        self.num_pages = max(1, -(-self.result_count // self.per_page))
        self.page_num = min(page, self.num_pages)
        if rows is None or self.page_num != page:
            rows = list(self._page(self.queryset, self.page_num))
        self.result_list = rows
        self.page_range = list(elided_page_range(self.page_num, self.num_pages))
        # More rows than counted, and this page is full: the rest lies after it.
        full = len(rows) == self.per_page
        if self.count_capped and self.page_num == self.num_pages and full:
            self._link_next(rows[-1])

    def _paginate_after(self, cursor: str) -> bool:
        """Show the rows after ``cursor`` (past the counted window); False if bad."""
        if self.keys is None:
            return False
        try:
            values = keyset.read_cursor(self.model, self.keys, cursor)
        except keyset.InvalidCursor:
            return False
        after = keyset.rows_after(self.queryset, self.keys, values)
        rows = list(after[: self.per_page + 1])
        self.keyset_page = True
        self.count_capped = True
        self.result_count = self.model_admin.count_limit
        self.num_pages = self.page_num = 1
        self.page_range = []
        self.result_list = rows[: self.per_page]
        if len(rows) > self.per_page:
            self._link_next(self.result_list[-1])
        return True

    def _link_next(self, last) -> None:
        if self.keys is not None:
            cursor = keyset.cursor_of(last, self.keys)
            self.next_url = self.query_string(
                {keyset.CURSOR_VAR: cursor, PAGE_VAR: None}
            )

    def _capped_count(self) -> QuerySet:
        # Counting at most limit+1 rows keeps the page fast on huge tables.
        limit = self.model_admin.count_limit
        return self.queryset.order_by().values("pk")[: limit + 1]

    def _page(self, queryset: QuerySet, number: int) -> QuerySet:
        offset = (number - 1) * self.per_page
        features = connections[queryset.db].features
        if (
            offset < DEFERRED_JOIN_OFFSET
            or not features.allow_sliced_subqueries_with_in
        ):
            return queryset[offset : offset + self.per_page]
        # A deep page skips its offset on the ids alone (the sort's index
        # holds them), then reads the rows of those ids: skipping whole rows
        # and their joins made page 200 cost twice the first page.
        ids = self.queryset.values("pk")[offset : offset + self.per_page]
        return queryset.filter(pk__in=ids)

    def _page_and_count(self, page: int) -> tuple[list | None, int]:
        """Return the rows of ``page`` and the capped count, in one query.

        The count rides on the page's query as an uncorrelated scalar
        subquery (computed once). An empty page says nothing of the count
        but on page 1 (none). ``(None, 0)`` if the queryset groups or
        de-duplicates rows: then the count is a query of its own.
        """
        if self.queryset.query.group_by is not None or self.queryset.query.distinct:
            return None, 0
        limit = self.model_admin.count_limit
        if listcache.known_capped(self):
            # Known to hold more than the limit a moment ago: not recounted.
            rows = list(self._page(self.queryset, page))
            if rows:
                return rows, limit + 1
            listcache.forget_capped(self)  # none on this page: count again
        try:
            sql, params = self._capped_count().query.sql_with_params()
        except EmptyResultSet:  # a queryset.none(): no rows, nothing to ask
            return [], 0
        # The SQL is Django's own compilation of the queryset; values stay in params.
        total = RawSQL(f"SELECT COUNT(*) FROM ({sql}) capped", params)  # noqa: S608, S611
        rows = list(self._page(self.queryset.annotate(**{COUNT_ALIAS: total}), page))
        counted = getattr(rows[0], COUNT_ALIAS) if rows else 0
        if counted > limit:
            listcache.remember_capped(self)
        return rows, counted

    def rows(self, formset=None, *, selectable: bool = False) -> list[Row]:
        """Return the rows of the current page, with ``formset``'s forms if editable.

        ``selectable`` rows start with a checkbox that selects them for an action.
        """
        forms = {}
        if formset is not None:
            forms = {form.instance.pk: form for form in formset.forms}
        editable = (
            set(self.model_admin.get_list_editable(self.request)) if forms else set()
        )
        with links.one_page():
            return self._rows(forms, editable, selectable)

    def _rows(self, forms: dict, editable: set, selectable: bool) -> list[Row]:
        rows = []
        for obj in self.result_list:
            form = forms.get(obj.pk)
            if form is None:
                rows.append(self._plain_row(obj, selectable))
                continue
            cells = []
            for column in self.columns:
                if column.name in editable:
                    # The column header is the field's label; name it per row.
                    form.fields[column.name].widget.attrs["aria-label"] = (
                        f"{column.header}: {obj}"
                    )
                    # The row's hidden id input goes in its first field's cell.
                    first = not any("field" in cell for cell in cells)
                    cells.append(
                        {
                            "column": column,
                            "field": form[column.name],
                            "first_field": first,
                        }
                    )
                else:
                    value = self.cell_value(column, obj)
                    url = self.change_url(obj) if column.link else None
                    cells.append(
                        {
                            "column": column,
                            "value": value,
                            "html": cell_html(column, value, url),
                        }
                    )
            rows.append(Row(obj, cells, form))
        return rows

    def _plain_row(self, obj, selectable: bool) -> Row:
        cells = []
        html = [fast_format_html(self._select_format, obj.pk)] if selectable else []
        for column, formats in self._cell_formats:
            value = self.cell_value(column, obj)
            cells.append({"column": column, "value": value})
            url = self.change_url(obj) if column.link else None
            html.append(row_cell_html(formats, value, url))
        # One call for the row: each cell is safe HTML already.
        return Row(obj, cells, html=SafeString("".join(html)))

    @cached_property
    def _select_format(self) -> str:
        # The row's checkbox, all but its id escaped once per list.
        name, label = (
            escape_html(text).replace("{", "{{").replace("}", "}}")
            for text in (SELECTED_VAR, _("Select row"))
        )
        return (
            '<td class="text-center"><input type="checkbox" class="form-check-input" '
            f'name="{name}" value="{{}}" aria-label="{label}" data-row-select></td>'
        )

    @cached_property
    def _cell_formats(self) -> list[tuple[Column, dict]]:
        return [(column, cell_formats(column)) for column in self.columns]

    @cached_property
    def _choice_labels(self) -> dict[str, dict]:
        # Each label translated once per list, not once per cell.
        return {
            column.name: {
                value: str(label) for value, label in column.model_field.flatchoices
            }
            for column in self.columns
            if column.model_field is not None
            and column.model_field.choices
            and not column.related_path
        }

    def cell_value(self, column: Column, obj):
        """Return the value ``column`` shows for ``obj``."""
        labels = self._choice_labels.get(column.name)
        if labels is not None:
            value = getattr(obj, column.model_field.attname)
            if value is None or value == "":
                return column.empty
            return labels.get(value, value)
        return column.value(obj, tz=self._timezone)

    @cached_property
    def _timezone(self):
        # The current time zone, looked up once for the page's cells.
        return timezone.get_current_timezone()

    def change_url(self, obj) -> str:
        """Return the URL of ``obj``'s change page."""
        pk = obj.pk
        if type(pk) is int:
            # Reversed once per page, each row's id put in place.
            before, after = self._change_url_parts
            return f"{before}{pk}{after}"
        return self.model_admin.url("change", pk)

    @cached_property
    def _change_url_parts(self) -> tuple[str, str]:
        return split_at_marker(self.model_admin.url("change", MARKER))

    def export_rows(self):
        """Yield the plain cell values of every matching row (streamed)."""
        for obj in self.queryset.iterator(chunk_size=2000):
            yield [column.text(obj) for column in self.columns]

    # -- links
    def query_string(self, new: dict | None = None, remove: tuple = ()) -> str:
        """Return this list's query string with ``new`` set and ``remove`` dropped."""
        params = dict(self._encoded_params)
        for key in remove:
            for name in list(params):
                if name == key or name.startswith(key + LOOKUP_SEP):
                    del params[name]
        for key, value in (new or {}).items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = (f"{quote_plus(key)}={quote_plus(str(value))}",)
        return "?" + "&".join(pair for pairs in params.values() for pair in pairs)

    @cached_property
    def _encoded_params(self) -> dict[str, tuple[str, ...]]:
        # A list page links to itself some seventy times (filters, sorts,
        # pages): its parameters are encoded once, as urlencode would.
        # A cursor belongs to the page it leads from: any other link drops it.
        return {
            key: tuple(f"{quote_plus(key)}={quote_plus(value)}" for value in values)
            for key, values in self.params.lists()
            if key not in self.ignored and key != keyset.CURSOR_VAR
        }

    def page_url(self, number: int) -> str:
        """Return the URL of page ``number`` with the current filters."""
        return self.query_string({PAGE_VAR: number})

    def sort_url(self, column: Column) -> str:
        """Return the URL sorting the list by ``column`` (toggling its direction)."""
        desc = self.sort_column == column.name and not self.sort_desc
        return self.query_string(
            {ORDER_VAR: ("-" if desc else "") + column.name, PAGE_VAR: None}
        )

    def export_url(self, fmt: str) -> str:
        """Return the URL exporting the current list as ``fmt``."""
        return self.query_string({EXPORT_FORMAT_VAR: fmt, PAGE_VAR: None})

    @property
    def export_links(self) -> list[dict]:
        """Return the export formats offered, each with its label and URL."""
        labels = {"csv": _("CSV (comma-separated)"), "xlsx": _("Excel (.xlsx)")}
        return [
            {
                "label": labels.get(fmt, fmt),
                "url": self._export_base + self.export_url(fmt),
            }
            for fmt in self.model_admin.get_export_formats(self.request)
        ]

    @cached_property
    def _export_base(self) -> str:
        return self.model_admin.url("export")

    def _kept_params(self, drop: frozenset) -> list[tuple[str, str]]:
        return [
            (key, value)
            for key, values in self.params.lists()
            if key not in drop and key not in self.ignored and key != keyset.CURSOR_VAR
            for value in values
        ]

    @property
    def hidden_params(self) -> list[tuple[str, str]]:
        """Return the current filters, sort and page size (for the search form)."""
        return self._kept_params(frozenset({SEARCH_VAR, PAGE_VAR}))

    @property
    def hidden_params_without_per_page(self) -> list[tuple[str, str]]:
        """Return the query parameters but page and page size, for hidden inputs."""
        return self._kept_params(frozenset({PER_PAGE_VAR, PAGE_VAR}))

    @property
    def has_filters(self) -> bool:
        """Return True if the list has a filter sidebar."""
        return bool(self.filters)

    @property
    def is_filtered(self) -> bool:
        """Return True if a filter or a search narrows the list now."""
        return any(spec.is_active() for spec in self.filters) or bool(self.search_term)

    @property
    def clear_all_url(self) -> str:
        """Return the URL of the list without filters and search."""
        return self.query_string(
            {SEARCH_VAR: None, PAGE_VAR: None},
            remove=tuple(
                p for spec in self.filters for p in spec.expected_parameters()
            ),
        )

    @property
    def search_placeholder(self):
        """Return the search box's placeholder: what it searches."""
        return _("Search")
