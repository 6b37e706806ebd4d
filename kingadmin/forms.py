"""The base form of kingadmin's add/change pages."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kingadmin.fields import harden


def _shown(field: forms.Field, value) -> str:
    """Return ``value`` as a person would recognise it (labels, not ids)."""
    if value in (None, "", [], ()):
        return _("(empty)")
    if isinstance(value, list | tuple):
        return ", ".join(_shown(field, item) for item in value)
    if hasattr(value, "pk"):
        return str(value)
    queryset = getattr(field, "queryset", None)
    if queryset is not None:
        # A posted id: show the row it names, if it is one the field offers.
        try:
            obj = queryset.filter(pk=value).first()
        except (ValueError, TypeError, ValidationError):
            obj = None
        return str(obj) if obj is not None else str(value)
    choices = dict(getattr(field, "choices", ()) or ())
    label = choices.get(value, choices.get(str(value)))
    return str(label) if label is not None else str(value)


class KingadminModelForm(forms.ModelForm):
    """A ModelForm that refuses changes to its read-only fields.

    Read-only fields are rendered as text plus a hidden copy of the stored
    value. Their form fields are disabled, so a posted value is never saved;
    and if a post carries a value different from the stored one (someone
    edited the HTML), the form is invalid with an error naming the field and
    both values.

    Every field is hardened (``kingadmin.fields.harden``): an id beyond what
    the database can hold in a many-to-many field is a field error, not a
    server error, and a read-only file field does not need its file on disk.
    """

    readonly_names: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            harden(field)
        for name in self.readonly_names:
            if name in self.fields:
                self.fields[name].disabled = True

    def clean(self):
        """Validate the form; refuse changes to read-only fields."""
        cleaned = super().clean()
        if not self.is_bound:
            return cleaned
        for name in self.readonly_names:
            field = self.fields.get(name)
            key = self.add_prefix(name)
            if field is None or (key not in self.data and key not in self.files):
                continue
            posted = field.widget.value_from_datadict(self.data, self.files, key)
            stored = self.get_initial_for_field(field, name)
            probe = copy.copy(field)
            probe.disabled = False
            if probe.has_changed(stored, posted):
                self.add_error(
                    name,
                    _(
                        "“%(field)s” is read-only. It is “%(stored)s”; the form sent "
                        "“%(posted)s”. Nothing was saved."
                    )
                    % {
                        "field": field.label,
                        "stored": _shown(field, stored),
                        "posted": _shown(field, posted),
                    },
                )
        return cleaned
