"""Forms of the accounts app: logging in, users in kingadmin, a role's rights."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    UsernameField,
)
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Menu, Role, User
from jobs.queue import enqueue_on_commit
from jobs.tasks import send_email
from kingadmin.fields import ModelMultipleChoiceField
from kingadmin.forms import KingadminModelForm

USER_ADMIN_FIELDS = (
    "username",
    "display_name",
    "email",
    "campus",
    "roles",
    "is_active",
)


class LoginForm(AuthenticationForm):
    """The login form, with browser autofill hints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        # AuthenticationForm sets max_length after the field is built, so no
        # validator checks it: an overlong name would reach authenticate() and
        # django-axes' records (a database error on PostgreSQL).
        username.validators.append(MaxLengthValidator(username.max_length))
        username.widget.attrs.update(autocomplete="username")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


def _password_field(*, label, help_text, required: bool) -> forms.CharField:
    # render_value=False: a typed password never comes back in the page, not
    # even when the form is shown again with errors.
    return forms.CharField(
        label=label,
        required=required,
        strip=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
        help_text=help_text,
    )


class UserPasswordAdminForm(KingadminModelForm):
    """Base of the user add/change forms of kingadmin: a password typed twice.

    ``password1`` and ``password2`` are form fields only. The password is
    checked by the project's password validators against the user being saved
    and stored hashed by ``save()``; the model's ``password`` column is never
    a form field, so the hash can neither be shown nor posted.
    """

    error_messages = {
        "password_mismatch": _("The two password fields didn’t match."),
        "password_missing": _("Enter the password twice."),
    }

    class Meta:
        model = User
        fields = USER_ADMIN_FIELDS
        field_classes = {"username": UsernameField}

    def clean_username(self):
        """Refuse a username that differs from an existing one only in case."""
        username = self.cleaned_data.get("username")
        taken = (
            User.objects.filter(username__iexact=username)
            .exclude(pk=self.instance.pk)
            .exists()
        )
        if username and taken:
            raise self.instance.unique_error_message(User, ["username"])
        return username

    @sensitive_variables("password1", "password2")
    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error(
                    "password2",
                    ValidationError(
                        self.error_messages["password_mismatch"],
                        code="password_mismatch",
                    ),
                )
        elif password1 or password2:
            empty = "password2" if password1 else "password1"
            if empty not in self.errors:
                self.add_error(
                    empty,
                    ValidationError(
                        self.error_messages["password_missing"],
                        code="password_missing",
                    ),
                )
        return cleaned

    @sensitive_variables("password")
    def _post_clean(self):
        # After super(), self.instance holds the posted username, name and
        # e-mail, which the similarity validator compares the password with.
        super()._post_clean()
        password = self.new_password()
        if password and "password2" not in self.errors:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)

    def new_password(self) -> str | None:
        """Return the password to set, or None to keep the current one."""
        cleaned = getattr(self, "cleaned_data", {})
        return cleaned.get("password1") or None

    def save(self, commit=True):
        user = super().save(commit=False)
        password = self.new_password()
        if password:
            user.set_password(password)
        if commit:
            user.save()
            self.save_m2m()
        return user


class UserCreationAdminForm(UserPasswordAdminForm):
    """The add page of users in kingadmin: the account and its password."""

    password1 = _password_field(
        label=_("Password"),
        help_text=password_validation.password_validators_help_text_html(),
        required=True,
    )
    password2 = _password_field(
        label=_("Password confirmation"),
        help_text=_("Enter the same password as before, for verification."),
        required=True,
    )


class UserChangeAdminForm(UserPasswordAdminForm):
    """The change page of users in kingadmin: leave the password blank to keep it."""

    password1 = _password_field(
        label=_("New password"),
        help_text=format_lazy(
            "{}{}",
            _("Leave both password fields empty to keep the current password."),
            password_validation.password_validators_help_text_html(),
        ),
        required=False,
    )
    password2 = _password_field(
        label=_("New password confirmation"),
        help_text=_("Enter the same password as before, for verification."),
        required=False,
    )


class RolePermissionsForm(forms.Form):
    """The permission page of a role: its permissions, menus and home, all posted.

    Only the permissions of registered rules are offered (``permission_ids``);
    an id of any other (or of none) is a field error and nothing is saved.
    Permissions the role holds that belong to no rule are not on the page and
    are kept (``permissions_to_store``).
    """

    permissions = ModelMultipleChoiceField(
        queryset=Permission.objects.none(), required=False, label=_("permissions")
    )
    menus = ModelMultipleChoiceField(
        queryset=Menu.objects.all(), required=False, label=_("menus")
    )
    home = forms.ModelChoiceField(
        queryset=Menu.objects.exclude(url=""), required=False, label=_("home page")
    )

    def __init__(self, *args, role: Role, permission_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role
        self.permission_ids = set(permission_ids)
        self.fields["permissions"].queryset = Permission.objects.filter(
            pk__in=self.permission_ids
        )

    def permissions_to_store(self) -> list[Permission]:
        """Return the ticked permissions plus the role's permissions of no rule."""
        kept = self.role.permissions.exclude(pk__in=self.permission_ids)
        return [*self.cleaned_data["permissions"], *kept]


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset form, its e-mail sent by a job (retried, never lost)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Render the mail as Django does, then enqueue it instead of sending."""
        from django.template import loader

        subject = loader.render_to_string(subject_template_name, context)
        subject = "".join(subject.splitlines())
        body = loader.render_to_string(email_template_name, context)
        enqueue_on_commit(send_email, subject=subject, body=body, to=[to_email])
