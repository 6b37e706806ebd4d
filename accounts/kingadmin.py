"""Accounts, roles and menus in kingadmin."""

from django.contrib.auth import update_session_auth_hash
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

import kingadmin
from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import Menu, Notification, Role, User

PASSWORD_FIELDS = ("password1", "password2")
PROFILE_FIELDS = ("display_name", "email", "campus", "roles", "is_active")
# Error reports of these pages show the typed passwords as stars.
sensitive_passwords = method_decorator(sensitive_post_parameters(*PASSWORD_FIELDS))


@kingadmin.register(User)
class UserAdmin(kingadmin.ModelAdmin):
    list_display = (
        "username",
        "display_name",
        "email",
        "campus",
        "is_active",
        "last_login",
    )
    list_filter = ("is_active", "campus", "roles")
    search_fields = ("username", "display_name", "email")
    fields = ("username", *PROFILE_FIELDS)
    filter_horizontal = ("roles",)
    ordering = ("username",)
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm

    def get_fieldsets(self, request, obj=None):
        """Return the account fields plus the password pair (new or changed).

        The password fields are form fields, not model fields, so they are
        listed here rather than in ``fieldsets``, which the system checks
        compare with the model.
        """
        if obj is None:
            return (
                (None, {"fields": ("username", *PASSWORD_FIELDS)}),
                (_("Profile"), {"fields": PROFILE_FIELDS}),
            )
        return (
            (None, {"fields": self.get_fields(request, obj)}),
            (_("Change password"), {"fields": PASSWORD_FIELDS}),
        )

    @sensitive_passwords
    def add_view(self, request):
        return super().add_view(request)

    @sensitive_passwords
    def change_view(self, request, object_id):
        return super().change_view(request, object_id)

    def save_model(self, request, obj, form, change):
        obj.save()
        if change and form.new_password() and obj.pk == request.user.pk:
            # An admin who changes their own password stays logged in.
            update_session_auth_hash(request, obj)


@kingadmin.register(Role)
class RoleAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "home")
    search_fields = ("name",)
    filter_horizontal = ("menus", "permissions")


@kingadmin.register(Menu)
class MenuAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "url_type", "url", "parent", "order")
    list_editable = ("order",)
    search_fields = ("name", "url")
    ordering = ("order",)


kingadmin.site.register(Notification)
