"""The form a visitor fills in on a public lead form page (crm.capture_views)."""

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.capture import lead_identifiers
from crm.models import LeadForm

# The hidden field bots fill in and people never see (crm.capture_views).
HONEYPOT = "website"
# How long a page's ticket stays good: a visitor may leave the page open.
TICKET_MAX_AGE = 24 * 60 * 60
_TICKET_SALT = "crm.capture.ticket"


def ticket_for(lead_form: LeadForm) -> str:
    """Return the signed, dated ticket the form page carries to its post."""
    return signing.TimestampSigner(salt=_TICKET_SALT).sign(lead_form.token)


def ticket_valid(lead_form: LeadForm, ticket) -> bool:
    """Return True if ``ticket`` was issued by this form's page, recently."""
    if not isinstance(ticket, str) or len(ticket) > 200:
        return False
    try:
        token = signing.TimestampSigner(salt=_TICKET_SALT).unsign(
            ticket, max_age=TICKET_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return token == lead_form.token


class LeadCaptureForm(forms.Form):
    """Name, phone, QQ, e-mail and message, as the lead form asks.

    Phone and QQ are always asked, one of them required (a mobile number in
    the QQ box counts as the phone, crm.capture.lead_identifiers); the
    others only if the lead form's ``fields`` name them. The UTM tags, the
    referring page and the ticket travel in hidden inputs of the page, read
    (and cleaned) by the view: never a reason to refuse a visitor.
    """

    name = forms.CharField(label=_("Your name"), max_length=64, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    qq = forms.CharField(label=_("QQ"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    notes = forms.CharField(
        label=_("Message"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lead_form: LeadForm, **kwargs):
        super().__init__(*args, **kwargs)
        asked = set(lead_form.fields or ()) | {"phone", "qq"}
        for name in ("name", "email", "notes"):
            if name not in asked:
                del self.fields[name]
        if "name" in self.fields:
            self.fields["name"].required = True
        self.fields["phone"].widget.attrs.update(
            {"autocomplete": "tel", "inputmode": "tel"}
        )
        self.fields["qq"].widget.attrs["inputmode"] = "numeric"
        if "name" in self.fields:
            self.fields["name"].widget.attrs["autocomplete"] = "name"
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean(self):
        cleaned = super().clean()
        if self.has_error("phone") or self.has_error("qq"):
            return cleaned
        try:
            cleaned["phone"], cleaned["qq"] = lead_identifiers(
                phone=cleaned.get("phone"), qq=cleaned.get("qq")
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def visible(self):
        """Return the fields the visitor fills in, in their order."""
        return [
            self[name]
            for name in ("name", "phone", "qq", "email", "notes")
            if name in self.fields
        ]
