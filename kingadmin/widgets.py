"""Form widgets of kingadmin."""

from collections.abc import Iterable
from typing import Any

from django import forms


class FilterHorizontal(forms.SelectMultiple):
    """A ``<select multiple>`` that JavaScript turns into two filterable boxes.

    The page works without JavaScript: the template renders the plain select
    inside a ``data-filter-horizontal`` wrapper. ``filter_horizontal.js`` then
    hides that select and shows an "available" box with a filter, a "chosen"
    box and buttons to move options between them, keeping the hidden select,
    the one the form submits, in sync. The translated labels reach the script
    as ``data-label-*`` attributes of the wrapper.
    """

    template_name = "kingadmin/widgets/filter_horizontal.html"

    class Media:
        js = ["kingadmin/js/filter_horizontal.js"]

    def __init__(
        self,
        verbose_name: str,
        attrs: dict[str, Any] | None = None,
        choices: Iterable[Any] = (),
    ) -> None:
        self.verbose_name = verbose_name
        super().__init__(attrs, choices)

    def get_context(
        self, name: str, value: Any, attrs: dict[str, Any] | None
    ) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["verbose_name"] = self.verbose_name
        return context
