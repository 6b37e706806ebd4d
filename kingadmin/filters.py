"""List filters: each one owns its query-string parameters and nothing else.

A filter reads only the parameters it declares, validates their values
against what it offers (choices, related rows, booleans, dates) and ignores
anything else, so no user-supplied name or value reaches ``.filter()`` on its
own.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kingadmin import listcache
from kingadmin.autocomplete import clean_term
from kingadmin.columns import resolve_field_path
from kingadmin.dateranges import Preset, date_range_q, parse_date, preset_dates
from kingadmin.fields import parse_pk

EMPTY_VALUE = "__empty__"
RELATED_CHOICES_LIMIT = 200


class ListFilter:
    """Base class: a titled set of choices that narrows the list."""

    title = ""
    template = "kingadmin/filter.html"

    def __init__(self, request, params, model, model_admin):
        self.request = request
        self.model = model
        self.model_admin = model_admin

    def _missing(self, method: str):
        return NotImplementedError(
            f"{type(self).__qualname__} must provide a {method}() method: "
            f"subclasses of {ListFilter.__name__} define it."
        )

    def has_output(self) -> bool:
        """Return True if the filter has choices to show (as in Django's admin)."""
        return True

    def expected_parameters(self) -> list[str]:
        """Return the query parameters this filter reads (the list keeps them)."""
        raise self._missing("expected_parameters")

    def is_active(self) -> bool:
        """Return True if a value of this filter narrows the list now."""
        raise self._missing("is_active")

    def queryset(self, request, queryset):
        """Return ``queryset`` narrowed by the filter's value (unchanged if none)."""
        raise self._missing("queryset")

    def choices(self, changelist) -> list[dict]:
        """Return the choices to show: ``display``, ``url``, ``selected`` each."""
        raise self._missing("choices")

    def render_state(self):
        """Return all that decides how the filter shows, hashable; None if unknown.

        Besides the query string, the class, template and title: the list
        keeps the rendered filters by these (``kingadmin.listcache``). None,
        the default, renders the filters on every page; a subclass that
        shows more than its base class's state overrides it.
        """
        return None

    def _own(self, base: type) -> bool:
        # ``base``'s state describes a subclass that shows what ``base`` shows.
        kind = type(self)
        return kind.choices is base.choices and kind.template == base.template


class SimpleListFilter(ListFilter):
    """A filter with hand-written choices: define ``lookups`` and ``queryset``.

    ``parameter_name`` is its one query parameter; a value that ``lookups``
    does not offer is ignored.
    """

    parameter_name: str = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.lookup_choices = [
            (str(value), label) for value, label in self.lookups(request, model_admin)
        ]
        value = params.get(self.parameter_name)
        offered = {value for value, _label in self.lookup_choices}
        self._value = value if value in offered else None

    def lookups(self, request, model_admin):
        """Return the ``(value, label)`` choices of the filter."""
        raise NotImplementedError(
            f"{type(self).__qualname__} must provide a lookups() method returning "
            "(value, label) pairs: subclasses of SimpleListFilter define it."
        )

    def has_output(self) -> bool:
        """Return True if ``lookups()`` offered any choice."""
        return bool(self.lookup_choices)

    def value(self) -> str | None:
        """Return the chosen value, None when no offered value is chosen."""
        return self._value

    def expected_parameters(self):
        """Return the filter's one parameter, ``parameter_name``."""
        return [self.parameter_name]

    def is_active(self):
        """Return True if an offered value is chosen."""
        return self._value is not None

    def render_state(self):
        """Return the lookups and the chosen value."""
        if not self._own(SimpleListFilter):
            return None
        labels = tuple((value, str(label)) for value, label in self.lookup_choices)
        return (self.parameter_name, labels, self._value)

    def choices(self, changelist):
        """Return "All" and each lookup, with its URL and whether it is chosen."""
        yield {
            "display": _("All"),
            "selected": self._value is None,
            "url": changelist.query_string({self.parameter_name: None, "p": None}),
        }
        for value, label in self.lookup_choices:
            yield {
                "display": label,
                "selected": self._value == value,
                "url": changelist.query_string({self.parameter_name: value, "p": None}),
            }


class FieldListFilter(ListFilter):
    """A filter on one model field (or a path such as ``course__branch``)."""

    def __init__(self, request, params, model, model_admin, field_path):
        super().__init__(request, params, model, model_admin)
        self.field_path = field_path
        self.field = resolve_field_path(model, field_path)[-1]
        self.title = capfirst(self.field.verbose_name)
        self.params = params

    @classmethod
    def for_field(cls, field):
        """Return the filter class for ``field`` (choices, boolean, relation, date)."""
        if isinstance(field, models.DateField):  # DateTimeField too
            return DateFieldListFilter
        if isinstance(field, models.BooleanField):
            return BooleanFieldListFilter
        if field.choices:
            return ChoicesFieldListFilter
        if field.is_relation:
            return RelatedFieldListFilter
        return None

    def expected_parameters(self):
        """Return the field path, the filter's one parameter."""
        return [self.field_path]


class _ValueFilter(FieldListFilter):
    """A field filter whose one parameter takes a value from ``options()``."""

    def __init__(self, *args):
        super().__init__(*args)
        self.options_list = [(str(value), label) for value, label in self.options()]
        if self.field.null:
            self.options_list.append((EMPTY_VALUE, _("(empty)")))
        raw = self.params.get(self.field_path)
        allowed = {value for value, _label in self.options_list}
        self.value = raw if raw in allowed else None

    def options(self):
        """Return the ``(value, label)`` choices of the field."""
        raise NotImplementedError(
            f"{type(self).__qualname__} must provide an options() method returning "
            "(value, label) pairs."
        )

    def is_active(self):
        """Return True if an offered value is chosen."""
        return self.value is not None

    def condition(self, value):
        """Return the lookup selecting rows with ``value``."""
        return {self.field_path: value}

    def queryset(self, request, queryset):
        """Return ``queryset`` narrowed to the chosen value."""
        if self.value is None:
            return queryset
        if self.value == EMPTY_VALUE:
            return queryset.filter(**{f"{self.field_path}__isnull": True})
        return queryset.filter(**self.condition(self.value))

    def render_state(self):
        """Return the options and the chosen value."""
        if not self._own(_ValueFilter):
            return None
        fixed = isinstance(self.field.choices, list | tuple) or not self.field.choices
        if type(self).options in FIELD_OPTIONS and fixed:
            # The field's own choices: the same on every page (the language
            # is in the key), so they need not be spelled out.
            return (self.field_path, self.value, self.field.null)
        return self._value_state()

    def _value_state(self) -> tuple:
        labels = tuple((value, str(label)) for value, label in self.options_list)
        return (self.field_path, labels, self.value)

    def choices(self, changelist):
        """Return "All" and each value, with its URL and whether it is chosen."""
        yield {
            "display": _("All"),
            "selected": self.value is None,
            "url": changelist.query_string({self.field_path: None, "p": None}),
        }
        for value, label in self.options_list:
            yield {
                "display": label,
                "selected": self.value == value,
                "url": changelist.query_string({self.field_path: value, "p": None}),
            }


class ChoicesFieldListFilter(_ValueFilter):
    """A filter on a field with ``choices``: one entry per choice."""

    def options(self):
        """Return the field's choices."""
        return [(value, label) for value, label in self.field.flatchoices]


class BooleanFieldListFilter(_ValueFilter):
    """A filter on a boolean field: yes / no."""

    def options(self):
        """Return yes and no."""
        return [("1", _("Yes")), ("0", _("No"))]

    def condition(self, value):
        """Return the lookup selecting rows whose field is ``value``."""
        return {self.field_path: value == "1"}


class RelatedFieldListFilter(_ValueFilter):
    """Filter by a relation, offering what the relation's form field offers.

    The options are the model admin's ``choices_queryset()`` of the field
    (``get_field_queryset()`` narrowed to the rows the user may view, e.g.
    the sales for a consultant), at most ``RELATED_CHOICES_LIMIT`` of them.
    When there are more, a search box (parameter ``<field>__term``, searched
    with the related admin's ``get_search_results``, like the autocomplete)
    narrows them; a chosen row is accepted and shown even past the limit.
    """

    template = "kingadmin/widgets/related_filter.html"
    limit = RELATED_CHOICES_LIMIT

    def __init__(self, *args):
        FieldListFilter.__init__(self, *args)
        self.term_param = f"{self.field_path}{LOOKUP_SEP}term"
        self.related_admin = self._related_admin()
        raw_term = self.params.get(self.term_param, "")
        self.term = clean_term(raw_term) if self.related_admin else ""
        cached = None if self.term else listcache.options_get(self)
        if cached is None:
            rows = self.rows()
            shown = self._search(rows, self.term) if self.term else rows
            found = list(shown[: self.limit + 1])
            options = [(str(obj.pk), str(obj)) for obj in found[: self.limit]]
            cached = (options, len(found) > self.limit)
            if not self.term:
                listcache.options_put(self, *cached)
        options, self.truncated = cached
        self.options_list = list(options)
        self.value = self._chosen(self.params.get(self.field_path))
        if self.field.null:
            self.options_list.append((EMPTY_VALUE, _("(empty)")))

    def options(self):
        """Return the related rows the user may view, as choices."""
        return [(v, label) for v, label in self.options_list if v != EMPTY_VALUE]

    def rows(self):
        """Return every row the filter may offer (and accept as its value)."""
        rows = self.model_admin.choices_queryset(self.field, self.request)
        limit = self.field.get_limit_choices_to()
        return rows.complex_filter(limit) if limit else rows

    def render_state(self):
        """Return the options, the value and the state of the search box."""
        if not self._own(RelatedFieldListFilter):
            return None
        search = (self.term, self.truncated, self.searchable, self.limit)
        return (*self._value_state(), *search)

    @property
    def searchable(self) -> bool:
        """Return True when the options need the search box to reach them all."""
        return self.related_admin is not None and (self.truncated or bool(self.term))

    def offers_nothing(self) -> bool:
        """Return True if the user may view none of the related rows."""
        return not self.term and not any(
            value != EMPTY_VALUE for value, _label in self.options_list
        )

    def expected_parameters(self):
        """Return the relation's id parameter."""
        return [self.field_path, self.term_param]

    def _related_admin(self):
        from kingadmin.sites import NotRegistered

        try:
            admin = self.model_admin.admin_site.get_model_admin(
                self.field.related_model
            )
        except NotRegistered:
            return None
        return admin if admin.get_search_fields(self.request) else None

    def _search(self, rows, term):
        found, duplicates = self.related_admin.get_search_results(
            self.request, rows, term
        )
        return rows.filter(pk__in=found.values("pk")) if duplicates else found

    def _chosen(self, raw) -> str | None:
        if raw is None:
            return None
        if raw == EMPTY_VALUE:
            return raw if self.field.null else None
        if any(raw == value for value, _label in self.options_list):
            return raw
        # Past the limit or outside the search: accepted if it is a choice.
        pk = parse_pk(self.field.related_model, raw)
        obj = None if pk is None else self.rows().filter(pk=pk).first()
        if obj is None:
            return None
        self.options_list.insert(0, (str(obj.pk), str(obj)))
        return str(obj.pk)

    def condition(self, value):
        """Return the lookup selecting rows related to ``value``."""
        try:
            pk = self.field.target_field.to_python(value)
        except ValidationError:
            return {"pk__in": []}
        return {self.field_path: pk}


#: The options() that read only the field (its choices, yes / no).
FIELD_OPTIONS = (ChoicesFieldListFilter.options, BooleanFieldListFilter.options)


class DateFieldListFilter(FieldListFilter):
    """Presets (today, last 7 days, this month, last 3 months, this year) or a range.

    Parameters: ``<field>`` = a preset; ``<field>__since`` / ``<field>__until``
    = an ISO date range (inclusive local calendar days, either end optional).
    """

    template = "kingadmin/filter_date.html"

    def __init__(self, *args):
        super().__init__(*args)
        self.since_param = f"{self.field_path}__since"
        self.until_param = f"{self.field_path}__until"
        preset = self.params.get(self.field_path)
        self.preset = preset if preset in Preset.values else None
        self.since = parse_date(self.params.get(self.since_param))
        self.until = parse_date(self.params.get(self.until_param))
        self.range_error = None
        if self.since and self.until and self.since > self.until:
            self.range_error = _("The start date is after the end date.")
            self.since = self.until = None

    def expected_parameters(self):
        """Return the preset and the from / to parameters."""
        return [self.field_path, self.since_param, self.until_param]

    def is_active(self):
        """Return True if a preset or a valid range is chosen."""
        return bool(self.preset or self.since or self.until)

    def bounds(self):
        """Return the chosen ``(start, end)`` dates, None where open."""
        if self.preset:
            return preset_dates(self.preset, today=timezone.localdate())
        return self.since, self.until

    def queryset(self, request, queryset):
        """Return ``queryset`` narrowed to the chosen dates."""
        if not self.is_active():
            return queryset
        since, until = self.bounds()
        return queryset.filter(
            date_range_q(self.field, since, until, field_path=self.field_path)
        )

    def render_state(self):
        """Return the preset, the range and its error."""
        if not self._own(DateFieldListFilter):
            return None
        error = None if self.range_error is None else str(self.range_error)
        return (self.field_path, self.preset, self.since, self.until, error)

    def choices(self, changelist):
        """Return the presets, each with its URL and whether it is chosen."""
        clear = {
            self.field_path: None,
            self.since_param: None,
            self.until_param: None,
            "p": None,
        }
        yield {
            "display": _("Any date"),
            "selected": not self.is_active(),
            "url": changelist.query_string(clear),
        }
        for value, label in Preset.choices:
            yield {
                "display": label,
                "selected": self.preset == value,
                "url": changelist.query_string({**clear, self.field_path: value}),
            }


def _parameter(entry) -> str:
    if isinstance(entry, tuple | list):
        return entry[0]
    return entry if isinstance(entry, str) else entry.parameter_name


def build_filters(request, model_admin, *, asked_only=False) -> list[ListFilter]:
    """Return the filters of ``model_admin``'s list_filter for this request.

    ``asked_only``: only those the query string names (a caller that filters
    without showing the filters' choices, which a filter may read when built).
    """
    params = request.GET
    specs = []
    for entry in model_admin.get_list_filter(request):
        name = _parameter(entry)
        if asked_only and not any(
            key == name or key.startswith(f"{name}__") for key in params
        ):
            continue
        if isinstance(entry, type) and issubclass(entry, ListFilter):
            specs.append(entry(request, params, model_admin.model, model_admin))
            continue
        if isinstance(entry, tuple | list):
            path, filter_class = entry
        else:
            path = entry
            field = resolve_field_path(model_admin.model, path)[-1]
            filter_class = FieldListFilter.for_field(field)
        spec = filter_class(request, params, model_admin.model, model_admin, path)
        if isinstance(spec, RelatedFieldListFilter) and spec.offers_nothing():
            # The user may view none of the related rows: nothing to offer.
            continue
        specs.append(spec)
    return specs
