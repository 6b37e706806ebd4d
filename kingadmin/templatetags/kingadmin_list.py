"""Template filters for the kingadmin list page."""

from django import template

register = template.Library()


@register.filter
def kingadmin_choices(spec, changelist):
    """Return the choices of a list filter for this list."""
    return list(spec.choices(changelist))


@register.filter
def kingadmin_sort_url(changelist, column):
    """Return the URL that sorts the list by ``column`` (toggling direction)."""
    return changelist.sort_url(column)


@register.filter
def kingadmin_page_url(changelist, number):
    """Return the URL of page ``number`` keeping filters, search and sort."""
    return changelist.page_url(number)
