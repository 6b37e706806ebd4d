"""Permission rules of the CRM (see kingadmin.permissions for how they decide).

Besides kingadmin's default view/add/change/delete rules of every model:
rules for sales whose hooks limit rows to the customers the logged-in user
owns or to stale leads anybody may work, rules for managers who see every
lead, and an example of a rule bound to query values.
"""

from django.db.models import QuerySet
from django.http import HttpRequest

from kingadmin.permissions import PermissionRule, Route, register

CUSTOMER = {"app_label": "crm", "model_name": "customer"}
ENROLLMENT = {"app_label": "crm", "model_name": "enrollment"}


def own_customers(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers the logged-in user owns."""
    return queryset.filter(consultant=request.user)


def stale_customers(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the leads nobody followed up for more than CRM_STALE_LEAD_DAYS."""
    from crm.selectors import stale_q

    return queryset.filter(stale_q())


def own_enrollments(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the enrollments the logged-in user is the consultant of."""
    return queryset.filter(consultant=request.user)


def qq_group_not_enrolled(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers from QQ groups who have not enrolled yet."""
    return queryset.filter(source="qq_group", status="not_enrolled")


LEAD_PAGES = (
    Route("crm:customer_detail", {"GET"}),
    Route("crm:followup_add", {"POST"}),
    Route("crm:enrollment_link_create", {"POST"}),
)

register(
    PermissionRule(
        "crm.customer",
        "view_own_customers",
        "Can view and follow up own customers",
        (
            *LEAD_PAGES,
            Route("kingadmin:changelist", {"GET", "POST"}, CUSTOMER),
            Route("kingadmin:export", {"GET"}, CUSTOMER),
            Route("kingadmin:change", {"GET"}, CUSTOMER),
            Route("kingadmin:history", {"GET"}, CUSTOMER),
        ),
        hook=own_customers,
    ),
    PermissionRule(
        "crm.customer",
        "work_stale_customers",
        "Can view, follow up and take over stale leads of others",
        (
            *LEAD_PAGES,
            Route("kingadmin:changelist", {"GET", "POST"}, CUSTOMER),
            Route("kingadmin:history", {"GET"}, CUSTOMER),
        ),
        hook=stale_customers,
    ),
    PermissionRule(
        "crm.customer",
        "work_all_customers",
        "Can view and follow up every customer",
        LEAD_PAGES,
    ),
    PermissionRule(
        "crm.enrollment",
        "view_own_enrollments",
        "Can view own enrollments",
        (
            Route("kingadmin:changelist", {"GET", "POST"}, ENROLLMENT),
            Route("kingadmin:export", {"GET"}, ENROLLMENT),
            Route("kingadmin:change", {"GET"}, ENROLLMENT),
            Route("kingadmin:history", {"GET"}, ENROLLMENT),
        ),
        hook=own_enrollments,
    ),
    PermissionRule(
        "crm.enrollment",
        "review_enrollments",
        "Can review, approve and reject enrollments",
        (
            Route("crm:enrollment_review", {"GET"}),
            Route("crm:enrollment_approve", {"POST"}),
            Route("crm:enrollment_reject", {"POST"}),
            Route("crm:enrollment_document", {"GET"}),
        ),
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
    PermissionRule(
        "crm.customer",
        "view_sales_reports",
        "Can view the sales reports",
        (Route("crm:reports", {"GET"}),),
    ),
)
