"""Forms of the lead import pages: the upload, the columns, the rows chosen."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.import_preview import FIELDS
from crm.models import Customer

# What each field of the customer is called on the columns page.
FIELD_LABELS = {
    "name": _("Name"),
    "phone": _("Phone"),
    "qq": _("QQ"),
    "email": _("E-mail"),
    "source": _("Source"),
    "notes": _("Notes"),
}
# The columns offered (the first ones): no select lists 10,000 options.
MAX_COLUMNS = 200
NOT_IN_FILE = ""


class LeadImportForm(forms.Form):
    """The upload: the file, who owns its new leads, their default source."""

    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file (UTF-8 or GBK)."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.csv", "class": "form-control"}
        ),
    )
    consultant = forms.ModelChoiceField(
        label=_("Owner of the new leads"),
        queryset=Customer.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    default_source = forms.ChoiceField(
        label=_("Source"),
        choices=Customer.Source.choices,
        initial=Customer.Source.MARKETING,
        help_text=_("For the rows whose source column is empty."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    use_rules = forms.BooleanField(
        label=_("Apply the assignment rules"),
        required=False,
        help_text=_(
            "Give each new lead to a sales by the assignment rules; the owner "
            "above takes those no rule could place."
        ),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, consultants: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = consultants


def _cell_label(cell) -> str:
    text = cell if isinstance(cell, str) else _("(a formula)")
    return str(text)[:40]


class ColumnsForm(forms.Form):
    """For each customer field, the column of the file that holds it."""

    def __init__(self, *args, header: list, sample: list, mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_wide = len(header) > MAX_COLUMNS
        choices = [(NOT_IN_FILE, _("— not in the file —"))]
        for index, cell in enumerate(header[:MAX_COLUMNS]):
            label = _cell_label(cell) or _("Column %(number)s") % {"number": index + 1}
            example = sample[index] if index < len(sample) else ""
            if example:
                label = _("%(column)s (e.g. %(example)s)") % {
                    "column": label,
                    "example": _cell_label(example),
                }
            choices.append((str(index), label))
        for name in FIELDS:
            initial = mapping.get(name)
            self.fields[name] = forms.ChoiceField(
                label=FIELD_LABELS[name],
                choices=choices,
                required=False,
                initial=NOT_IN_FILE if initial is None else str(initial),
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not cleaned.get("phone") and not cleaned.get("qq"):
            raise forms.ValidationError(
                _("Choose the column of the phone number or of the QQ number.")
            )
        return cleaned

    def mapping(self) -> dict[str, int]:
        """Return field -> column index of the fields given a column."""
        return {
            name: int(self.cleaned_data[name])
            for name in FIELDS
            if self.cleaned_data.get(name)
        }
