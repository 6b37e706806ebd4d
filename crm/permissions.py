"""Permission rules of the CRM (see kingadmin.permissions for how they decide).

Besides kingadmin's default view/add/change/delete rules of every model:
"own customers" rules for sales, whose hook limits rows to the customers the
logged-in user owns, and an example of a rule bound to query values.
"""

from django.db.models import QuerySet
from django.http import HttpRequest

from kingadmin.permissions import PermissionRule, Route, register

CUSTOMER = {"app_label": "crm", "model_name": "customer"}


def own_customers(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers the logged-in user owns."""
    return queryset.filter(consultant=request.user)


def qq_group_not_enrolled(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers from QQ groups who have not enrolled yet."""
    return queryset.filter(source="qq_group", status="not_enrolled")


register(
    PermissionRule(
        "crm.customer",
        "view_own_customers",
        "Can view own customers",
        (
            Route("crm:customer_list", {"GET"}),
            Route("kingadmin:changelist", {"GET", "POST"}, CUSTOMER),
            Route("kingadmin:export", {"GET"}, CUSTOMER),
            Route("kingadmin:change", {"GET"}, CUSTOMER),
            Route("kingadmin:history", {"GET"}, CUSTOMER),
        ),
        hook=own_customers,
    ),
    PermissionRule(
        "crm.customer",
        "change_own_customers",
        "Can change own customers",
        (Route("kingadmin:change", {"GET", "POST"}, CUSTOMER),),
        hook=own_customers,
    ),
    PermissionRule(
        "crm.customer",
        "view_qq_unenrolled_customers",
        "Can list QQ-group customers who have not enrolled",
        (
            Route(
                "kingadmin:changelist",
                {"GET"},
                CUSTOMER,
                {"source": "qq_group", "status": "not_enrolled"},
            ),
        ),
        hook=qq_group_not_enrolled,
    ),
)
