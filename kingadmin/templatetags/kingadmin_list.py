"""Template filters for the kingadmin list page."""

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from kingadmin import listcache
from kingadmin.columns import fast_format_html

register = template.Library()

CHOICE_LINK = '<a class="list-group-item list-group-item-action py-1" href="{}">{}</a>'
CHOICE_LINK_SELECTED = (
    '<a class="list-group-item list-group-item-action py-1 active" href="{}"'
    ' aria-current="true">{}</a>'
)


@register.filter
def kingadmin_choices(spec, changelist):
    """Return the choices of a list filter for this list."""
    return list(spec.choices(changelist))


@register.filter
def kingadmin_choice_links(spec, changelist):
    """Return the links of a list filter's choices, the current one marked.

    Written in Python rather than as a template loop: the customer list shows
    some seventy choices, and the loop was an eighth of the page's time.
    """
    return SafeString(
        "".join(
            fast_format_html(
                CHOICE_LINK_SELECTED if choice["selected"] else CHOICE_LINK,
                choice["url"],
                choice["display"],
            )
            for choice in spec.choices(changelist)
        )
    )


@register.simple_tag(takes_context=True)
def kingadmin_filter_panel(context, changelist):
    """Render each list filter's template (as ``{% include %}`` would), joined.

    The result is kept by what it shows (``kingadmin.listcache``).
    """

    def render() -> SafeString:
        engine = context.template.engine
        parts = []
        for spec in changelist.filters:
            with context.push(spec=spec):
                parts.append(engine.get_template(spec.template).render(context))
        return SafeString("".join(parts))

    return listcache.filter_panel(changelist, render)


@register.filter
def kingadmin_rows_html(rows):
    """Return the ``<tr>`` of each row of a list without list_editable forms.

    Each row's cells are safe HTML already (``Row.html``); a template loop
    over a hundred rows cost more than building them.
    """
    return SafeString("".join(f"<tr>{row.html}</tr>" for row in rows))


SORT_HEADER = (
    '<th scope="col"><a class="link-body-emphasis text-decoration-none" href="{}">'
    "{}{}</a></th>"
)
SORT_MARK = ' <i class="bi bi-caret-{}-fill" aria-label="{}"></i>'
PLAIN_HEADER = '<th scope="col">{}</th>'


@register.filter
def kingadmin_header_cells(changelist):
    """Return the ``<th>`` of each column: a link sorting by it if sortable.

    The sorted column is marked with its direction. Python, not a template
    loop: a dozen columns cost a tenth of the page's template time; kept by
    the query string (``kingadmin.listcache``).
    """
    return listcache.header_cells(changelist, lambda: _header_cells(changelist))


def _header_cells(changelist) -> SafeString:
    cells = []
    for column in changelist.columns:
        if not column.sortable:
            cells.append(fast_format_html(PLAIN_HEADER, column.header))
            continue
        mark = ""
        if changelist.sort_column == column.name:
            desc = changelist.sort_desc
            mark = fast_format_html(
                SORT_MARK,
                "down" if desc else "up",
                gettext("descending") if desc else gettext("ascending"),
            )
        url = changelist.sort_url(column)
        cells.append(fast_format_html(SORT_HEADER, url, column.header, mark))
    return SafeString("".join(cells))


PAGE_GAP = '<li class="page-item disabled"><span class="page-link">…</span></li>'
PAGE_CURRENT = (
    '<li class="page-item active" aria-current="page">'
    '<span class="page-link">{}</span></li>'
)
PAGE_LINK = '<li class="page-item"><a class="page-link" href="{}">{}</a></li>'


@register.filter
def kingadmin_page_links(changelist):
    """Return the ``<li>`` of each page of the list's page range (gaps as "…")."""
    items = []
    for number in changelist.page_range:
        if number is None:
            items.append(PAGE_GAP)
        elif number == changelist.page_num:
            items.append(fast_format_html(PAGE_CURRENT, number))
        else:
            url = changelist.page_url(number)
            items.append(fast_format_html(PAGE_LINK, url, number))
    return SafeString("".join(items))


@register.filter
def kingadmin_sort_url(changelist, column):
    """Return the URL that sorts the list by ``column`` (toggling direction)."""
    return changelist.sort_url(column)


@register.filter
def kingadmin_page_url(changelist, number):
    """Return the URL of page ``number`` keeping filters, search and sort."""
    return changelist.page_url(number)
