"""Accounts, roles and menus in kingadmin."""

import kingadmin
from accounts.models import Menu, Notification, Role, User


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
    fields = ("username", "display_name", "email", "campus", "roles", "is_active")
    filter_horizontal = ("roles",)
    ordering = ("username",)


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
