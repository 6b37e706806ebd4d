"""Permission rules of accounts, besides kingadmin's defaults.

``view_staff_users`` lets a manager see (and choose, e.g. as a lead's
consultant) the staff accounts, never the students': a student account is
the one linked to a customer record. ``manage_role_permissions`` opens the
permission page of roles (what a role may do, its menus and home page, on
one page) and copies roles; ``view_user_rights`` the page saying what one
account may do.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from kingadmin.permissions import (
    ACTION_ROUTE,
    PermissionRule,
    Route,
    register,
    view_routes,
)


def staff_users(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the accounts that are not a student's (no customer record)."""
    return queryset.filter(customer__isnull=True)


ROLE = {"app_label": "accounts", "model_name": "role"}

register(
    PermissionRule(
        "accounts.user",
        "view_staff_users",
        gettext_noop("Can view staff accounts (not students')"),
        view_routes("accounts", "user"),
        hook=staff_users,
        help=gettext_noop(
            "Lists the staff accounts, e.g. to choose a lead's consultant; "
            "students' accounts stay hidden."
        ),
    ),
    PermissionRule(
        "accounts.role",
        "manage_role_permissions",
        gettext_noop("Can set what roles may do and copy roles"),
        (
            Route("role_permissions", {"GET", "POST"}),
            Route("role_copy", {"POST"}),
            Route(ACTION_ROUTE, {"POST"}, {**ROLE, "action": "copy_roles"}),
        ),
        help=gettext_noop(
            "The permission page of every role: its permissions, menus and home "
            "page; and copying a role with all of them. Whoever holds it can "
            "give any role any permission."
        ),
    ),
    PermissionRule(
        "accounts.user",
        "view_user_rights",
        gettext_noop("Can see what each account may do"),
        (Route("user_rights", {"GET"}),),
        help=gettext_noop(
            "A page per account: its roles, the permissions they give, the "
            "menus it sees and where it lands after logging in."
        ),
    ),
)
