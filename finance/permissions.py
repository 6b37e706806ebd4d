"""Permission rules of the tuition ledger.

Ledger entries, contract terms, instalments, receipts, refund requests,
transfers and suspensions follow the row rules of their enrollment in
kingadmin: who may view an enrollment may view them (with their view
permission), nobody else. No kingadmin rule writes the ledger: the pages
below do, through ``finance.services``.

The finance pages scope enrollments with the rule that allowed them:

- ``view_own_accounts`` / ``manage_own_accounts``: a consultant's own
  enrollments: their account (hours, balance, plan, receipts), overdue
  instalments; recording payments, setting the plan, asking for a refund,
  transfers and suspensions.
- ``view_campus_accounts``: the same pages for every enrollment of one's
  campus, with the campus balances.
- ``view_all_accounts`` / ``manage_all_accounts``: every campus; managing
  also reverses mistaken entries.
- ``decide_refunds``: approve or reject refund requests (finance, managers).
- ``view_finance_reports``: cash, revenue recognised, outstanding, refunds.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from crm.permissions import enrollments_of_my_campus
from kingadmin.permissions import (
    PermissionRule,
    Route,
    all_rows,
    inherit_scope,
    register,
)


def enrollments_i_sold(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the enrollments the user is the consultant of."""
    return queryset.filter(consultant=request.user)


VIEW_PAGES = (
    Route("finance:enrollment", {"GET"}),
    Route("finance:receipt", {"GET"}),
    Route("finance:overdue", {"GET"}),
)
CAMPUS_PAGES = (*VIEW_PAGES, Route("finance:balances", {"GET"}))
MANAGE_PAGES = (
    Route("finance:enrollment", {"GET"}),
    Route("finance:payment_new", {"POST"}),
    Route("finance:plan_set", {"POST"}),
    Route("finance:refund_request", {"POST"}),
    Route("finance:transfer", {"POST"}),
    Route("finance:suspend", {"POST"}),
)

register(
    PermissionRule(
        "finance.ledgerentry",
        "view_own_accounts",
        gettext_noop("Can view the accounts of own enrollments"),
        VIEW_PAGES,
        hook=enrollments_i_sold,
        help=gettext_noop(
            "For consultants: hours, balance, payment plan and receipts of the "
            "enrollments they sold, and their overdue instalments."
        ),
    ),
    PermissionRule(
        "finance.ledgerentry",
        "view_campus_accounts",
        gettext_noop("Can view the accounts of own campus"),
        CAMPUS_PAGES,
        hook=enrollments_of_my_campus,
        help=gettext_noop(
            "The same for every enrollment of one's campus, with the balances "
            "of the whole campus."
        ),
    ),
    PermissionRule(
        "finance.ledgerentry",
        "view_all_accounts",
        gettext_noop("Can view the accounts of every campus"),
        CAMPUS_PAGES,
        hook=all_rows,
        help=gettext_noop("The same for every campus."),
    ),
    PermissionRule(
        "finance.ledgerentry",
        "manage_own_accounts",
        gettext_noop("Can record payments and changes of own enrollments"),
        MANAGE_PAGES,
        hook=enrollments_i_sold,
        help=gettext_noop(
            "Record payments (with a receipt), set the payment plan, ask for a "
            "refund, transfer to another class or suspend, for the enrollments "
            "one sold."
        ),
    ),
    PermissionRule(
        "finance.ledgerentry",
        "manage_all_accounts",
        gettext_noop("Can record payments and changes of every enrollment"),
        (*MANAGE_PAGES, Route("finance:entry_reverse", {"POST"})),
        hook=all_rows,
        help=gettext_noop(
            "The same for every enrollment, and reversing a mistaken ledger "
            "entry with a reason."
        ),
    ),
    PermissionRule(
        "finance.refundrequest",
        "decide_refunds",
        gettext_noop("Can approve or reject refunds"),
        (
            Route("finance:refunds", {"GET"}),
            Route("finance:refund_decide", {"POST"}),
        ),
        hook=all_rows,
        help=gettext_noop(
            "Refund requests (退费) with their computation: approving writes the "
            "refund into the ledger and closes the enrollment."
        ),
    ),
    PermissionRule(
        "finance.ledgerentry",
        "view_finance_reports",
        gettext_noop("Can view the finance reports"),
        (
            Route("finance:report", {"GET"}),
            Route("finance:report_export", {"GET"}),
        ),
        hook=all_rows,
        help=gettext_noop(
            "Cash received against revenue recognised from consumed hours, "
            "outstanding and overdue amounts, refunds by class and consultant."
        ),
    ),
)

for model in (
    "ledgerentry",
    "contractterms",
    "instalment",
    "refundrequest",
    "suspension",
):
    inherit_scope(f"finance.{model}", through="enrollment")
inherit_scope("finance.receipt", through="entry")
inherit_scope("finance.transfer", through="source")
