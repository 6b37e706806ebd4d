"""The sales report's period picker and campus/consultant filters."""

from datetime import date, timedelta

from django import forms
from django.db.models import Exists, OuterRef, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.models import Branch, Customer
from crm.reports import ReportScope, add_months, shift_years
from kingadmin.fields import ShortListChoiceField

MAX_YEARS = 5
# Last year's figures and the 24-month trend reach this far back.
EARLIEST = date(1901, 1, 1)
LATEST = date(9998, 12, 31)


class Period(TextChoices):
    """The period presets, each relative to the reference day (today)."""

    MONTH = "month", _("This month")
    LAST_MONTH = "last_month", _("Last month")
    QUARTER = "quarter", _("This quarter")
    LAST_QUARTER = "last_quarter", _("Last quarter")
    YEAR = "year", _("This year")
    LAST_YEAR = "last_year", _("Last year")
    CUSTOM = "custom", _("Custom range")


# In a month's first days there is next to nothing to read in it yet: the
# report then opens on the last complete month, the one a manager reviews at
# the start of a month; from this day of the month on, on the month so far.
MONTH_TO_DATE_FROM_DAY = 8


def default_period(today: date) -> str:
    """Return the period the report opens on when nothing was chosen."""
    if today.day < MONTH_TO_DATE_FROM_DAY:
        return Period.LAST_MONTH
    return Period.MONTH


def period_dates(period: str, day: date) -> tuple[date, date]:
    """Return the first and last day of the preset ``period`` relative to day.

    "This" month, quarter or year is the one day is in, "last" the one
    before it.
    """
    if period in {Period.YEAR, Period.LAST_YEAR}:
        year = day.year - 1 if period == Period.LAST_YEAR else day.year
        return date(year, 1, 1), date(year, 12, 31)
    if period in {Period.QUARTER, Period.LAST_QUARTER}:
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        if period == Period.LAST_QUARTER:
            first = add_months(first, -3)
        return first, add_months(first, 3) - timedelta(days=1)
    first = day.replace(day=1)
    if period == Period.LAST_MONTH:
        first = add_months(first, -1)
    return first, add_months(first, 1) - timedelta(days=1)


class DateInput(forms.DateInput):
    input_type = "date"


class ConsultantChoiceField(ShortListChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name or obj.username


class ReportFilterForm(forms.Form):
    """Choose the period and, unless fixed to a campus, the campus.

    A user of a campus who is not a superuser only ever sees that campus: the
    campus field is fixed to it and the consultants are that campus's.
    """

    period = forms.ChoiceField(
        label=_("Period"), choices=Period.choices, required=False
    )
    day = forms.DateField(
        label=_("Reference day"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=DateInput(format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=DateInput(format="%Y-%m-%d")
    )
    campus = ShortListChoiceField(
        label=_("Campus"),
        queryset=Branch.objects.all(),
        required=False,
        empty_label=_("All campuses"),
    )
    consultant = ConsultantChoiceField(
        label=_("Consultant"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All consultants"),
    )

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, **kwargs)
        self.today = timezone.localdate()
        self.fixed_campus_id = (
            None if user.is_superuser or not user.campus_id else user.campus_id
        )
        consultants = User.objects.filter(
            Exists(Customer.objects.filter(consultant=OuterRef("pk")))
        ).order_by("display_name", "username")
        if self.fixed_campus_id is not None:
            self.fields["campus"].queryset = Branch.objects.filter(
                pk=self.fixed_campus_id
            )
            self.fields["campus"].empty_label = None
            self.fields["campus"].disabled = True
            self.fields["campus"].initial = self.fixed_campus_id
            consultants = consultants.filter(campus_id=self.fixed_campus_id)
        self.fields["consultant"].queryset = consultants
        self.fields["period"].initial = default_period(self.today)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if is_select
                else "form-control form-control-sm"
            )
        self.fields["day"].initial = self.today

    @staticmethod
    def default_data() -> dict[str, str]:
        """Return the data of the report opened without a choice."""
        today = timezone.localdate()
        return {"period": default_period(today), "day": today.isoformat()}

    def _check_bounds(self, name: str) -> None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            self.add_error(
                name,
                _("Enter a date between %(first)s and %(last)s.")
                % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
            )

    def clean(self):
        cleaned = super().clean()
        for name in ("day", "since", "until"):
            self._check_bounds(name)
        if self.errors:
            return cleaned
        period = cleaned.get("period") or default_period(self.today)
        if period == Period.CUSTOM:
            since, until = cleaned.get("since"), cleaned.get("until")
            if since is None or until is None:
                raise forms.ValidationError(
                    _("A custom range needs both a start and an end date.")
                )
            if since > until:
                raise forms.ValidationError(
                    _("The start date must not be after the end date.")
                )
            if shift_years(since, MAX_YEARS) <= until:
                raise forms.ValidationError(
                    _("The range may span at most %(years)d years.")
                    % {"years": MAX_YEARS}
                )
        else:
            since, until = period_dates(period, cleaned.get("day") or self.today)
        cleaned["period"] = period
        cleaned["range"] = (since, until)
        return cleaned

    def scope(self) -> ReportScope:
        """Return the report scope of the valid form."""
        since, until = self.cleaned_data["range"]
        campus = self.cleaned_data.get("campus")
        consultant = self.cleaned_data.get("consultant")
        campus_id = self.fixed_campus_id or (campus.pk if campus else None)
        return ReportScope(
            since=since,
            until=until,
            campus_id=campus_id,
            consultant_id=consultant.pk if consultant else None,
        )
