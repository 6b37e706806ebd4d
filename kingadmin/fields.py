"""Form fields of kingadmin: Django's, refusing what would crash them.

``out_of_range()`` and ``parse_pk()`` check a posted id before it reaches a
query, for views that read ids without a form.

``harden()`` swaps a field built by Django's ``ModelForm`` machinery (from the
model, a form's own ``Meta`` or a declaration) for the subclass here, keeping
every option it was built with. ``KingadminModelForm`` hardens all its fields,
so every add/change form and every project form derived from it is covered.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models.fields.files import FieldFile
from django.forms.models import ModelChoiceIterator

_INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def out_of_range(model, value, *, key: str = "pk") -> bool:
    """Return True if ``value`` is an integer ``model``'s ``key`` column cannot hold.

    Such an id names no row, but the database driver refuses to send it
    (SQLite: ``OverflowError: Python int too large to convert to SQLite
    INTEGER``) when it reaches ``filter(pk__in=...)``. Django guards the
    exact and comparison lookups against this, not ``__in``. A value that is
    no integer at all is not out of range: Django's own checks refuse it.
    """
    opts = model._meta
    field = opts.pk if key == "pk" else opts.get_field(key)
    if field.get_internal_type() not in _INTEGER_TYPES:
        return False
    try:
        number = field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    if not isinstance(number, int):
        return False
    connection = connections[router.db_for_read(model)]
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return (low is not None and number < low) or (high is not None and number > high)


def parse_pk(model, value):
    """Return ``value`` (e.g. a posted id) as a primary key of ``model``.

    None if it cannot name a row: empty, not a number ("²", "1.5"), or
    beyond what the column can hold.
    """
    try:
        pk = model._meta.pk.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return None
    if pk is None or out_of_range(model, pk):
        return None
    return pk


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses ids no column can hold.

    Such an id is reported like any id that names no row offered ("Select
    a valid choice. … is not one of the available choices.").
    """

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        if isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, str | int) and out_of_range(
                    self.queryset.model, item, key=key
                ):
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": item},
                    )
        return super()._check_values(value)


class ShortListIterator(ModelChoiceIterator):
    """The options of a :class:`ShortListChoiceField`: its list, read once."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.listed():
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.listed()) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.listed())


class ShortListChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a short list (campuses, consultants): one query.

    Django's field reads its queryset twice a request: ``get()`` to check
    the chosen id, and again to list the options, streamed
    (``QuerySet.iterator()``), which on PostgreSQL is a server-side cursor:
    DECLARE, FETCH and CLOSE. This field reads the list once per form (one
    plain query) and checks the chosen id against it. Only for lists short
    enough to render whole; a long one wants an autocomplete widget.
    """

    iterator = ShortListIterator

    def listed(self) -> list:
        """Return the queryset's rows, read once per queryset."""
        queryset = self.queryset
        cached = self.__dict__.get("_listed")
        if cached is None or cached[0] is not queryset:
            cached = self._listed = (queryset, list(queryset))
        return cached[1]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        key = self.to_field_name or "pk"
        model = self.queryset.model
        if isinstance(value, model):
            value = getattr(value, key)
        field = model._meta.pk if key == "pk" else model._meta.get_field(key)
        try:
            value = field.to_python(value)
        except ValidationError:
            value = None
        for obj in self.listed():
            if value is not None and getattr(obj, key) == value:
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )


class FileField(forms.FileField):
    """A FileField that does not look at a file already stored.

    A read-only (disabled) file field is cleaned from the stored value;
    Django's FileField then asks the storage for the file's size, which
    fails with FileNotFoundError when the file is gone from the disk. A
    stored file was checked when it was uploaded: it is kept as it is.
    """

    def to_python(self, data):
        """Return the stored file as it is; anything else as Django's field would."""
        if isinstance(data, FieldFile):
            return data
        return super().to_python(data)


_HARDENED = {
    forms.ModelMultipleChoiceField: ModelMultipleChoiceField,
    forms.FileField: FileField,
}


def harden(field: forms.Field) -> forms.Field:
    """Give ``field`` the class of kingadmin's hardened subclass, if there is one.

    Only fields of exactly Django's class are changed: a project's own
    subclass keeps its behaviour. The subclasses add no state, so the swap
    keeps every option (queryset, widget, labels, errors) of the field.
    """
    hardened = _HARDENED.get(type(field))
    if hardened is not None:
        field.__class__ = hardened
    return field
