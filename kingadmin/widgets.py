"""Form widgets of kingadmin."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError


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
        """Return the widget's context with its labels."""
        context = super().get_context(name, value, attrs)
        context["widget"]["verbose_name"] = self.verbose_name
        return context


class AutocompleteMixin:
    """A select of a relation that renders the chosen rows only; JS searches.

    The choices can be many (100,000 accounts): the template renders the
    plain select with just the chosen option(s) inside a
    ``data-autocomplete`` wrapper, so the page shows and submits the current
    value without JavaScript. ``autocomplete.js`` hides that select and shows
    a combobox (a labelled input, a listbox of the matches that
    ``kingadmin:autocomplete`` returns, keyboard navigation) and, for many
    values, the chosen ones as removable chips, keeping the hidden select in
    sync. The form field still validates a posted id against its queryset.
    """

    template_name = "kingadmin/widgets/autocomplete.html"

    class Media:
        js = ["kingadmin/js/autocomplete.js"]
        css = {"all": ["kingadmin/css/autocomplete.css"]}

    def __init__(
        self,
        url: str,
        verbose_name: str,
        attrs: dict[str, Any] | None = None,
        choices: Iterable[Any] = (),
    ) -> None:
        self.url = url
        self.verbose_name = verbose_name
        super().__init__(attrs, choices)

    def get_context(
        self, name: str, value: Any, attrs: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Return the widget's context: the URL and the chosen rows only."""
        context = super().get_context(name, value, attrs)
        context["widget"]["url"] = self.url
        context["widget"]["verbose_name"] = self.verbose_name
        return context

    def optgroups(self, name, value, attrs=None):
        """Return the chosen options only (one query), and the empty one."""
        options = []
        if not self.allow_multiple_selected and not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        field = getattr(self.choices, "field", None)
        if field is None:  # plain choices (not a model field): keep them all
            return super().optgroups(name, value, attrs)
        key = field.to_field_name or "pk"
        wanted = _storable(field.queryset.model, key, value)
        if wanted:
            rows = field.queryset.filter(**{f"{key}__in": wanted})
            chosen = {str(v) for v in value}
            for obj in rows:
                option_value = field.prepare_value(obj)
                options.append(
                    self.create_option(
                        name,
                        option_value,
                        field.label_from_instance(obj),
                        str(option_value) in chosen,
                        len(options),
                    )
                )
        return [(None, options, 0)]


def _storable(model, key: str, values) -> list:
    """Return the ``values`` that can name a row of ``model`` by ``key``.

    A re-rendered invalid post may hold anything ("x", "1.5", an id beyond
    the column's range); those name no row and must not reach the query.
    """
    from kingadmin.fields import out_of_range

    target = model._meta.pk if key == "pk" else model._meta.get_field(key)
    found = []
    for value in values:
        if value in (None, ""):
            continue
        try:
            python = target.to_python(value)
        except (ValidationError, TypeError, ValueError):
            continue
        if python is not None and not out_of_range(model, python, key=key):
            found.append(python)
    return found


class AutocompleteSelect(AutocompleteMixin, forms.Select):
    """The search widget of a foreign key (``autocomplete_fields``)."""


class AutocompleteSelectMultiple(AutocompleteMixin, forms.SelectMultiple):
    """The search widget of a many-to-many field (``autocomplete_fields``)."""
