"""Permission rules of the CRM (see kingadmin.permissions for how they decide).

Besides kingadmin's default view/add/change/delete rules of every model:
rules for sales whose hooks limit rows to the customers the logged-in user
owns or to stale leads anybody may work, rules for managers who see every
lead, reviewers scoped by campus, and an example of a rule bound to query
values. Sales work their private pool and claim from the public pool
(crm.pool); the public pool's list is the customer list with ``?pool=public``,
which the pool rule decides on its own (it is more specific).

Row scope is declared once, on the customer: follow-ups, enrollments and
what hangs off enrollments (links, documents, payments) inherit it, so a
user who may view a customer may view its follow-ups, and nobody else.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from kingadmin.permissions import (
    ACTION_ROUTE,
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
PUBLIC = {"pool": "public"}


def own_customers(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers in the logged-in user's private pool."""
    return queryset.filter(consultant=request.user, pool="private")


def public_pool(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the leads in the public pool (any sales may claim them)."""
    return queryset.filter(pool="public")


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
    Route("crm:customer_release", {"POST"}),
    Route("crm:trial_book", {"POST"}),
    Route("crm:trial_cancel", {"POST"}),
)

register(
    PermissionRule(
        "crm.customer",
        "view_own_customers",
        gettext_noop("Can view and follow up own customers"),
        (
            *LEAD_PAGES,
            Route("kingadmin:changelist", {"GET", "POST"}, CUSTOMER),
            Route("kingadmin:export", {"GET"}, CUSTOMER),
            Route("kingadmin:change", {"GET"}, CUSTOMER),
            Route("kingadmin:history", {"GET"}, CUSTOMER),
            Route(ACTION_ROUTE, {"POST"}, {**CUSTOMER, "action": "release"}),
        ),
        hook=own_customers,
        help=gettext_noop(
            "The leads one owns (one's private pool): list, open, follow up, send "
            "enrollment links and release them to the public pool. Not other sales' "
            "leads."
        ),
    ),
    # The codename predates the public pool (roles keep their grants).
    PermissionRule(
        "crm.customer",
        "work_stale_customers",
        gettext_noop("Can see the public pool and claim leads from it"),
        (
            Route("crm:customer_detail", {"GET"}),
            Route("crm:customer_claim", {"POST"}),
            Route("kingadmin:changelist", {"GET", "POST"}, CUSTOMER, PUBLIC),
            Route("kingadmin:history", {"GET"}, CUSTOMER),
            Route(ACTION_ROUTE, {"POST"}, {**CUSTOMER, "action": "claim"}),
        ),
        hook=public_pool,
        help=gettext_noop(
            "The public pool: leads nobody followed up for a while. List them and "
            "claim one into one's private pool, within the cap."
        ),
    ),
    PermissionRule(
        "crm.customer",
        "work_all_customers",
        gettext_noop("Can view and follow up every customer"),
        LEAD_PAGES,
        help=gettext_noop(
            "Every lead's page, whoever owns it. The list itself needs “Can view "
            "customers”; following up stays the owner's."
        ),
    ),
    PermissionRule(
        "crm.enrollment",
        "review_enrollments",
        gettext_noop("Can review, approve and reject enrollments of own campus"),
        REVIEW_PAGES,
        hook=enrollments_of_my_campus,
        help=gettext_noop(
            "The review queue and pages of enrollments in classes of one's own campus:"
            " approve (opens the student account) or reject with a reason."
        ),
    ),
    PermissionRule(
        "crm.enrollment",
        "review_all_enrollments",
        gettext_noop("Can review, approve and reject enrollments of every campus"),
        REVIEW_PAGES,
        hook=all_rows,
        help=gettext_noop("The same review queue and pages for every campus."),
    ),
    PermissionRule(
        "crm.classlist",
        "view_taught_classes",
        gettext_noop("Can view the classes one teaches"),
        view_routes("crm", "classlist"),
        hook=classes_i_teach,
        help=gettext_noop(
            "The classes one teaches, read-only, with their lessons and roll calls."
        ),
    ),
    PermissionRule(
        "crm.customer",
        "change_own_customers",
        gettext_noop("Can change own customers"),
        (Route("kingadmin:change", {"GET", "POST"}, CUSTOMER),),
        hook=own_customers,
        help=gettext_noop("Editing one's own leads on their page."),
    ),
    PermissionRule(
        "crm.customer",
        "view_qq_unenrolled_customers",
        gettext_noop("Can list QQ-group customers who have not enrolled"),
        (
            Route(
                "kingadmin:changelist",
                {"GET"},
                CUSTOMER,
                {"source": "qq_group", "status": "not_enrolled"},
            ),
        ),
        hook=qq_group_not_enrolled,
        help=gettext_noop(
            "Only the list of leads from QQ groups who have not enrolled yet."
        ),
    ),
    # No page of its own: it shows ID numbers whole where a page shows one
    # customer (kingadmin change page, enrollment review), each view recorded.
    PermissionRule(
        "crm.customer",
        "view_id_numbers",
        gettext_noop("Can see full ID numbers (each view is recorded)"),
        (),
        help=gettext_noop(
            "Shows ID numbers whole where a page shows one customer; others see them "
            "masked. Every view is recorded."
        ),
    ),
    PermissionRule(
        "crm.customer",
        "view_sales_reports",
        gettext_noop("Can view the sales reports"),
        (Route("crm:reports", {"GET"}),),
        help=gettext_noop(
            "The monthly sales reports (sources, conversion, enrollments per class, "
            "revenue, by consultant) and their downloads."
        ),
    ),
)

inherit_scope("crm.customerfollowup", through="customer")
inherit_scope("crm.enrollment", through="customer")
inherit_scope("crm.enrollmentlink", through="enrollment")
inherit_scope("crm.enrollmentdocument", through="enrollment")
inherit_scope("crm.payment", through="enrollment")
inherit_scope("crm.personaldataaccess", through="customer")


def customers_one_may_view(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the customers the user's view rules show: a merge needs both in sight."""
    from kingadmin.permissions import registry

    rows = registry.view_decision(request.user, queryset.model).restrict(
        request, queryset
    )
    return queryset if rows is None else queryset.filter(pk__in=rows.values("pk"))


register(
    PermissionRule(
        "crm.customer",
        "merge_customers",
        gettext_noop("Can merge duplicate customers and undo merges"),
        (
            Route("crm:customer_duplicates", {"GET"}),
            Route("crm:customer_merge", {"GET", "POST"}),
            Route("crm:customer_merge_find", {"GET"}),
            Route("crm:customer_merge_undo", {"POST"}),
        ),
        hook=customers_one_may_view,
        help=gettext_noop(
            "The list of possible duplicates; merging two customers one may see "
            "(their follow-ups, enrollments and payments go to the one kept), and "
            "undoing a merge."
        ),
    ),
)
# The merge log: the merges into the customers one may see.
inherit_scope("crm.customermerge", through="survivor")


def own_imports(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the lead imports the logged-in user made."""
    return queryset.filter(created_by=request.user)


# The pages of spreadsheet imports (crm.import_views); superusers see every one.
register(
    PermissionRule(
        "crm.customer",
        "import_leads",
        gettext_noop("Can import leads from spreadsheets and revert imports"),
        (
            Route("crm:lead_import_list", {"GET"}),
            Route("crm:lead_import_template", {"GET"}),
            Route("crm:lead_import_new", {"GET", "POST"}),
            Route("crm:lead_import_detail", {"GET"}),
            Route("crm:lead_import_progress", {"GET"}),
            Route("crm:lead_import_columns", {"GET", "POST"}),
            Route("crm:lead_import_preview", {"GET"}),
            Route("crm:lead_import_choose", {"POST"}),
            Route("crm:lead_import_commit", {"POST"}),
            Route("crm:lead_import_revert", {"POST"}),
        ),
        hook=own_imports,
        help=gettext_noop(
            "Upload an Excel or CSV file of leads, check its preview (new rows, "
            "duplicates, errors), import the chosen rows and revert one's own "
            "imports while nobody has worked their leads."
        ),
    ),
)
