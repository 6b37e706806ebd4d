from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts.models import Menu, Notification, Role, User

# Roles replace groups in this project (see accounts.backends.RoleBackend).
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("School"), {"fields": ("display_name", "campus", "roles")}),
    )
    list_display = ("username", "display_name", "email", "campus", "is_active")
    list_filter = ("is_active", "is_staff", "campus", "roles")
    list_select_related = ("campus",)
    search_fields = ("username", "display_name", "email")
    filter_horizontal = ("roles", "user_permissions")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "home")
    list_select_related = ("home",)
    search_fields = ("name",)
    filter_horizontal = ("menus", "permissions")


@admin.register(Menu)
class MenuAdmin(admin.ModelAdmin):
    list_display = ("name", "url_type", "url", "parent", "order")
    list_select_related = ("parent",)
    list_editable = ("order",)
    search_fields = ("name", "url")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "text", "is_read", "created_at")
    list_filter = ("is_read",)
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
