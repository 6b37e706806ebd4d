"""Permission rules of the CRM (see kingadmin.permissions for how they decide).

Besides kingadmin's default view/add/change/delete rules of every model:
rules for sales whose hooks limit rows to the customers the logged-in user
owns or to stale leads anybody may work, rules for managers who see every
lead, reviewers scoped by campus, and an example of a rule bound to query
values.

Row scope is declared once, on the customer: follow-ups, enrollments and
what hangs off enrollments (links, documents, payments) inherit it, so a
user who may view a customer may view its follow-ups, and nobody else.
"""

from django.db.models import QuerySet
from django.http import HttpRequest

from kingadmin.permissions import (
    PermissionRule,
    Route,
    all_rows,
    inherit_scope,
    register,
    view_routes,
)

CUSTOMER = {"app_label": "crm", "model_name": "customer"}
ENROLLMENT = {"app_label": "crm", "model_name": "enrollment"}
SUBMITTED = {"state": "submitted"}


def own_customers(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers the logged-in user owns."""
    return queryset.filter(consultant=request.user)


def stale_customers(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the leads nobody followed up for more than CRM_STALE_LEAD_DAYS."""
    from crm.selectors import stale_q

    return queryset.filter(stale_q())


def enrollments_of_my_campus(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the enrollments in classes of the reviewer's campus (none without one)."""
    campus = request.user.campus_id
    if campus is None:
        return queryset.none()
    return queryset.filter(class_list__branch_id=campus)


def classes_i_teach(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the classes the logged-in user teaches."""
    return queryset.filter(teachers=request.user)


def qq_group_not_enrolled(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers from QQ groups who have not enrolled yet."""
    return queryset.filter(source="qq_group", status="not_enrolled")


# The review pages, and the review queue (the list of submitted enrollments,
# which these rules scope more specifically than the plain view rules).
REVIEW_PAGES = (
    Route("crm:enrollment_review", {"GET"}),
    Route("crm:enrollment_approve", {"POST"}),
    Route("crm:enrollment_reject", {"POST"}),
    Route("crm:enrollment_document", {"GET"}),
    Route("kingadmin:changelist", {"GET"}, ENROLLMENT, SUBMITTED),
    Route("kingadmin:export", {"GET"}, ENROLLMENT, SUBMITTED),
)

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
        "review_enrollments",
        "Can review, approve and reject enrollments of own campus",
        REVIEW_PAGES,
        hook=enrollments_of_my_campus,
    ),
    PermissionRule(
        "crm.enrollment",
        "review_all_enrollments",
        "Can review, approve and reject enrollments of every campus",
        REVIEW_PAGES,
        hook=all_rows,
    ),
    PermissionRule(
        "crm.classlist",
        "view_taught_classes",
        "Can view the classes one teaches",
        view_routes("crm", "classlist"),
        hook=classes_i_teach,
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
    # No page of its own: it shows ID numbers whole where a page shows one
    # customer (kingadmin change page, enrollment review), each view recorded.
    PermissionRule(
        "crm.customer",
        "view_id_numbers",
        "Can see full ID numbers (each view is recorded)",
        (),
    ),
    PermissionRule(
        "crm.customer",
        "view_sales_reports",
        "Can view the sales reports",
        (Route("crm:reports", {"GET"}),),
    ),
)

inherit_scope("crm.customerfollowup", through="customer")
inherit_scope("crm.enrollment", through="customer")
inherit_scope("crm.enrollmentlink", through="enrollment")
inherit_scope("crm.enrollmentdocument", through="enrollment")
inherit_scope("crm.payment", through="enrollment")
inherit_scope("crm.personaldataaccess", through="customer")
