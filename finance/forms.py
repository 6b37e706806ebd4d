"""Forms of the tuition ledger's pages; each one feeds one service of finance.services.

The forms check the shape of what is typed (a number, a date, a choice);
the rules (a plan adds up to the price, a suspension does not overlap
another one ...) are the services', whose ValidationError the views show
on the form.
"""

from decimal import Decimal

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import ClassList, Payment
from finance.models import Receipt
from finance.services import MAX_INSTALMENTS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _reason(label, *, rows=2, max_length=255):
    return forms.CharField(
        label=label, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


class PaymentForm(forms.Form):
    """Money received: a deposit or tuition, and how it was paid."""

    prefix = "payment"

    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Payment.Kind.TUITION, Payment.Kind.TUITION.label),
            (Payment.Kind.DEPOSIT, Payment.Kind.DEPOSIT.label),
        ],
        initial=Payment.Kind.TUITION,
    )
    method = forms.ChoiceField(
        label=_("Paid by"), choices=Receipt.Method.choices, initial=Receipt.Method.CASH
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class PlanForm(forms.Form):
    """The payment plan: the whole price at once, or monthly instalments."""

    prefix = "plan"
    FULL = "full"
    MONTHLY = "monthly"

    mode = forms.ChoiceField(
        label=_("Plan"),
        choices=[(FULL, _("Full payment")), (MONTHLY, _("Monthly instalments"))],
        initial=FULL,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label=_("Number of instalments"),
        min_value=2,
        max_value=MAX_INSTALMENTS,
        required=False,
        help_text=_("Monthly instalments only."),
    )
    first_due = forms.DateField(
        label=_("Due date (of the first instalment)"), widget=DATE
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == self.MONTHLY and not cleaned.get("count"):
            self.add_error(
                "count", _("Say in how many monthly instalments the price is paid.")
            )
        return cleaned


class RefundRequestForm(forms.Form):
    prefix = "refund"

    reason = _reason(_("Why the student leaves"), rows=3, max_length=2000)


class TransferForm(forms.Form):
    """Another class for the student: open classes the user may view.

    ``classes`` are the classes the user may view (the permission rules);
    none by default, so a caller that forgets them offers nothing.
    """

    prefix = "transfer"

    class_list = forms.ModelChoiceField(
        label=_("New class"), queryset=ClassList.objects.none()
    )
    reason = _reason(_("Reason"))

    def __init__(self, *args, classes: QuerySet | None = None, current=None, **kw):
        super().__init__(*args, **kw)
        today = timezone.localdate()
        classes = ClassList.objects.none() if classes is None else classes
        if current is not None:
            classes = classes.exclude(pk=current.pk)
        self.fields["class_list"].queryset = (
            classes.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .select_related("course", "branch")
            .order_by("start_date", "pk")
        )


class SuspendForm(forms.Form):
    prefix = "suspend"

    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("Until"), widget=DATE)
    reason = _reason(_("Reason"))


class ReverseForm(forms.Form):
    """Why a ledger entry is reversed (one small form per entry)."""

    reason = forms.CharField(label=_("Reason for the correction"), max_length=255)


class RefundDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))]
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.REJECT and not cleaned.get("note", ""):
            self.add_error("note", _("Say why the refund is rejected."))
        return cleaned
