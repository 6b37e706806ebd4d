"""Permission rules of accounts, besides kingadmin's defaults.

``view_staff_users`` lets a manager see (and choose, e.g. as a lead's
consultant) the staff accounts, never the students': a student account is
the one linked to a customer record.
"""

from django.db.models import QuerySet
from django.http import HttpRequest

from kingadmin.permissions import PermissionRule, register, view_routes


def staff_users(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the accounts that are not a student's (no customer record)."""
    return queryset.filter(customer__isnull=True)


register(
    PermissionRule(
        "accounts.user",
        "view_staff_users",
        "Can view staff accounts (not students')",
        view_routes("accounts", "user"),
        hook=staff_users,
    ),
)
