"""Accounts, roles and menus in kingadmin."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters

import kingadmin
from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.grants import permission_label
from accounts.models import Menu, Notification, Role, User
from accounts.selectors import url_allowed
from accounts.services import role_copy
from kingadmin.permissions import registry

PASSWORD_FIELDS = ("password1", "password2")
# The relations of a role its permission page sets.
RIGHTS_FIELDS = ("permissions", "menus", "home")
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

    def base_context(self, request, **extra) -> dict:
        """Add the link to the account's rights page, where the user may open it."""
        context = super().base_context(request, **extra)
        account = extra.get("object")
        if account is not None and account.pk is not None:
            url = reverse("user_rights", args=[account.pk])
            context["user_rights_url"] = url if url_allowed(request.user, url) else None
        return context


@kingadmin.register(Role)
class RoleAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "home", "permission_count")
    search_fields = ("name",)
    filter_horizontal = ("menus", "permissions")
    actions = ("delete_selected", "copy_roles")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(permission_count=Count("permissions", distinct=True))
        )

    def get_readonly_fields(self, request, obj=None):
        """Return the fields shown as text: also the relations the user cannot choose.

        A user who may view no permissions (or no menus) would be offered no
        choice, and saving the form would empty the role's; those fields are
        set on the role's permission page instead.
        """
        fields = super().get_readonly_fields(request, obj)
        unchoosable = tuple(
            name
            for name in RIGHTS_FIELDS
            if name not in fields
            and not registry.view_decision(
                request.user, Role._meta.get_field(name).related_model
            )
        )
        return (*fields, *unchoosable)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """Offer permissions by their translated rule names, not the stored English."""
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "permissions":
            formfield.queryset = formfield.queryset.select_related("content_type")
            formfield.label_from_instance = permission_label
        return formfield

    def _may_open_permissions(self, request) -> bool:
        # The rule names no URL argument: one role's page stands for all.
        return url_allowed(request.user, reverse("role_permissions", args=[0]))

    def get_list_display(self, request):
        """Link each role's permission count to its permission page, if allowed."""
        if not self._may_open_permissions(request):
            return self.list_display
        return tuple(
            "permissions_link" if name == "permission_count" else name
            for name in self.list_display
        )

    @kingadmin.display(description=_("permissions"), ordering="permission_count")
    def permission_count(self, obj):
        return obj.permission_count

    @kingadmin.display(description=_("permissions"), ordering="permission_count")
    def permissions_link(self, obj):
        return format_html(
            '<a href="{}" data-testid="role-permissions-link">{}</a>',
            reverse("role_permissions", args=[obj.pk]),
            ngettext(
                "%(count)d permission", "%(count)d permissions", obj.permission_count
            )
            % {"count": obj.permission_count},
        )

    def base_context(self, request, **extra) -> dict:
        """Add the link to the role's permission page, where the user may open it."""
        context = super().base_context(request, **extra)
        role = extra.get("object")
        if role is not None and role.pk is not None:
            url = reverse("role_permissions", args=[role.pk])
            context["role_permissions_url"] = (
                url if url_allowed(request.user, url) else None
            )
        return context

    @kingadmin.action(description=_("Copy the selected roles"))
    def copy_roles(self, request, queryset):
        copies = []
        for role in queryset:
            try:
                copies.append(role_copy(role=role, by=request.user))
            except ValidationError as error:
                messages.error(request, f"{role}: {' '.join(error.messages)}")
        if copies:
            messages.success(
                request,
                ngettext(
                    "%(count)d role was copied: %(names)s.",
                    "%(count)d roles were copied: %(names)s.",
                    len(copies),
                )
                % {"count": len(copies), "names": ", ".join(map(str, copies))},
            )


@kingadmin.register(Menu)
class MenuAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "url_type", "url", "parent", "order")
    list_editable = ("order",)
    search_fields = ("name", "url")
    ordering = ("order",)


kingadmin.site.register(Notification)
