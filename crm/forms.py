"""Forms of the CRM."""

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import ClassList, Customer, CustomerFollowUp, Payment
from crm.normalize import normalize_phone, normalize_qq
from crm.selectors import customer_find_duplicate
from crm.services import duplicate_message
from finance.models import Receipt
from kingadmin.forms import KingadminModelForm


class CustomerForm(KingadminModelForm):
    """The lead form: numbers normalised, duplicates named with their owner.

    A duplicate found here is kept in ``self.duplicate`` so that the admin can
    tell its owner once the form has been refused.
    """

    duplicate = None

    def clean_qq(self):
        return normalize_qq(self.cleaned_data.get("qq"))

    def clean_phone(self):
        return normalize_phone(self.cleaned_data.get("phone"))

    def clean_emergency_phone(self):
        return normalize_phone(self.cleaned_data.get("emergency_phone"))

    def clean(self):
        cleaned = super().clean()
        qq, phone = cleaned.get("qq"), cleaned.get("phone")
        existing = customer_find_duplicate(
            qq=qq, phone=phone, exclude_pk=self.instance.pk
        )
        if existing is not None:
            self.duplicate = existing
            field = "qq" if qq and existing.qq == qq else "phone"
            if field in self.fields:
                self.add_error(field, duplicate_message(existing))
            else:
                self.add_error(None, duplicate_message(existing))
        if (
            not qq
            and not phone
            and not self.has_error("qq")
            and not self.has_error("phone")
        ):
            self.add_error(None, _("Enter a QQ number or a phone number."))
        return cleaned


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = CustomerFollowUp
        fields = ["content", "intention"]
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}


class EnrollmentLinkForm(forms.Form):
    """Which class the customer is offered (classes not finished yet).

    ``classes`` are the classes the user may view (the permission rules);
    by default none, so a caller that forgets to pass them offers nothing.
    """

    class_list = forms.ModelChoiceField(
        label=_("Class"),
        queryset=ClassList.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args, classes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_list"].widget.attrs["class"] = "form-select"
        today = timezone.localdate()
        classes = ClassList.objects.none() if classes is None else classes
        self.fields["class_list"].queryset = (
            classes.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .select_related("course", "branch")
            .order_by("start_date", "pk")
        )


class CustomerEnrollmentForm(KingadminModelForm):
    """The customer's own enrollment form (no login, opened from the link).

    Name, QQ, phone, source and consultant are shown read-only; a post that
    changes them is refused (see KingadminModelForm).
    """

    readonly_names = ("name", "qq", "phone", "source", "consultant")
    agree = forms.BooleanField(
        label=_("I have read and agree to the contract above"),
        required=True,
        error_messages={"required": _("You must agree to the contract to enrol.")},
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "qq",
            "phone",
            "source",
            "consultant",
            "id_number",
            "gender",
            "birthday",
            "email",
            "emergency_contact",
            "emergency_phone",
        ]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("id_number", "gender", "email", "emergency_contact"):
            self.fields[name].required = True
        self.fields["emergency_phone"].required = True
        self.fields["id_number"].max_length = 32
        self.fields["id_number"].widget.attrs["maxlength"] = 32

    def clean_id_number(self):
        from crm.idcard import validate_prc_id_number

        return validate_prc_id_number(self.cleaned_data["id_number"])

    def clean_emergency_phone(self):
        return normalize_phone(self.cleaned_data.get("emergency_phone"))


class ApproveForm(forms.Form):
    payment_kind = forms.ChoiceField(
        label=_("First payment"),
        required=False,
        choices=[("", _("None yet"))]
        + [c for c in Payment.Kind.choices if c[0] != Payment.Kind.REFUND],
    )
    payment_amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
    )
    payment_method = forms.ChoiceField(
        label=_("Paid by"),
        choices=Receipt.Method.choices,
        initial=Receipt.Method.CASH,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("payment_kind")) != bool(cleaned.get("payment_amount")):
            raise forms.ValidationError(
                _("Give both the kind and the amount of the payment, or neither.")
            )
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
