from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from api.tokens import LIFETIMES


class TokenForm(forms.Form):
    """A new token: what it is for, how long it lives, and (managers) whose it is."""

    name = forms.CharField(
        label=_("What is it for?"),
        max_length=100,
        help_text=_("e.g. “Baidu ads” or “accounting export”."),
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[
            (
                days,
                ngettext_lazy("%(days)d day", "%(days)d days", days) % {"days": days},
            )
            for days in LIFETIMES
        ],
        initial=90,
    )

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        if users is not None:
            self.fields["user"] = forms.ModelChoiceField(
                label=_("For the user"),
                queryset=users,
                help_text=_("The token acts with this user's rights."),
            )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Say what the token is for."))
        return name


def token_users():
    """Return the accounts a token may be made for (active ones)."""
    return get_user_model().objects.filter(is_active=True).order_by("username")
