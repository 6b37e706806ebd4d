"""Forms of the CRM."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import CustomerFollowUp
from crm.normalize import normalize_phone, normalize_qq
from crm.selectors import customer_find_duplicate
from crm.services import duplicate_message
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
