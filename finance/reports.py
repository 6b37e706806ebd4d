"""Finance report selectors: cash, revenue recognised, receivables, refunds.

Cash is what the ledger's money entries moved: payments in, refunds out
(negative amounts). Revenue is recognised as hours are consumed: an
enrollment's consumed hours are worth ``price × hours / hours bought`` of
its frozen contract terms (:func:`finance.selectors.value_of_hours`). A
correction counts as the kind of the entry it reverses, in the period it
was recorded in. Transfers move value between enrollments: neither cash nor
revenue.

The database only sums (SQLite sums decimals as floats: nothing is divided
or compared there); Python values the hours per enrollment, in Decimal,
rounded half up to cents. The number of queries does not depend on the
data: one or two per section.

The campus of a figure is the campus of the enrollment's class.
"""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.models import Enrollment
from crm.reports import (
    TREND_MONTHS,
    ReportScope,
    add_months,
    last_month_end,
    money,
)
from finance.models import ZERO, LedgerEntry
from finance.selectors import MONEY, counts_as, overdue_instalments, value_of_hours
from kingadmin.dateranges import date_range_q, local_midnight

KIND = LedgerEntry.Kind
HOURS_ZERO = Decimal("0.0")
TENTH = Decimal("0.1")


def scope_q(scope: ReportScope, prefix: str = "enrollment__") -> Q:
    """Return the campus (the class's) and consultant condition on enrollments."""
    q = Q()
    if scope.campus_id is not None:
        q &= Q(**{f"{prefix}class_list__branch_id": scope.campus_id})
    if scope.consultant_id is not None:
        q &= Q(**{f"{prefix}consultant_id": scope.consultant_id})
    return q


def _entries(scope: ReportScope, since: date, until: date, *kinds: str):
    field = LedgerEntry._meta.get_field("created_at")
    return LedgerEntry.objects.filter(
        date_range_q(field, since, until), counts_as(*kinds), scope_q(scope)
    ).order_by()


def _sum(condition: Q) -> Coalesce:
    return Coalesce(Sum("amount", filter=condition), Value(ZERO), output_field=MONEY)


def _hours(value) -> Decimal:
    """Return a sum of hours as a Decimal of tenths."""
    return Decimal(value or 0).quantize(TENTH)


def report_as_of(scope: ReportScope, today: date) -> date:
    """Return the day receivables are counted on: the period's end, or today."""
    return min(scope.until, today)


def cash_received(scope: ReportScope) -> dict:
    """Return the payments, the refunds (positive) and the net cash of the period.

    One query: conditional sums over the created_at range.
    """
    totals = _entries(scope, scope.since, scope.until, KIND.PAYMENT, KIND.REFUND)
    totals = totals.aggregate(
        payments=_sum(counts_as(KIND.PAYMENT)),
        refunds=_sum(counts_as(KIND.REFUND)),
    )
    payments, refunds = money(totals["payments"]), -money(totals["refunds"])
    return {"payments": payments, "refunds": refunds, "net": payments - refunds}


def _valued_hours(rows) -> tuple[Decimal, Decimal]:
    """Return the hours consumed and their value, of per-enrollment sums."""
    hours, value = HOURS_ZERO, ZERO
    for row in rows:
        consumed = -_hours(row["hours"])
        hours += consumed
        if row["price"] is not None:  # no contract terms: nothing to value
            value += value_of_hours(row["price"], row["hours_total"], consumed)
    return hours, value


def _consumption_by_enrollment(queryset, *group):
    return (
        queryset.values("enrollment", *group)
        .annotate(
            price=F("enrollment__contract_terms__price"),
            hours_total=F("enrollment__contract_terms__hours"),
            hours=Sum("hours"),
        )
        .order_by()
    )


def revenue_recognised(scope: ReportScope) -> dict:
    """Return the hours consumed in the period and the revenue they recognise.

    One query: the period's consumption summed per enrollment, each valued
    at its contract's price per hour.
    """
    consumption = _entries(scope, scope.since, scope.until, KIND.CONSUMPTION)
    hours, value = _valued_hours(_consumption_by_enrollment(consumption))
    return {"hours": hours, "amount": value}


def finance_trend(scope: ReportScope) -> list[dict]:
    """Return the net cash and the revenue of the 12 months up to the period's end.

    Two queries over the 12 months' created_at range, each entry put in its
    month by comparing it with the month boundaries (local midnights), as
    the sales report's trend does: cash summed per month, consumption per
    month and enrollment (each enrollment has its own price per hour).
    """
    last_month = scope.until.replace(day=1)
    first = add_months(last_month, -(TREND_MONTHS - 1))
    months = [add_months(first, n) for n in range(TREND_MONTHS + 1)]
    month_of = Case(
        *(
            When(created_at__lt=local_midnight(bound), then=Value(n))
            for n, bound in enumerate(months[1:])
        ),
        output_field=IntegerField(),
    )
    until = last_month_end(last_month)
    cash_rows = (
        _entries(scope, first, until, KIND.PAYMENT, KIND.REFUND)
        .annotate(month=month_of)
        .values("month")
        .annotate(net=Sum("amount"))
    )
    cash = {row["month"]: money(row["net"]) for row in cash_rows}
    consumption = _entries(scope, first, until, KIND.CONSUMPTION).annotate(
        month=month_of
    )
    by_month: dict[int, list] = {}
    for row in _consumption_by_enrollment(consumption, "month"):
        by_month.setdefault(row["month"], []).append(row)
    return [
        {
            "month": month.strftime("%Y-%m"),
            "cash": cash.get(n, ZERO),
            "revenue": _valued_hours(by_month.get(n, ()))[1],
        }
        for n, month in enumerate(months[:-1])
    ]


def outstanding_balances(scope: ReportScope, as_of: date) -> dict:
    """Return what approved enrollments still owed at the end of ``as_of``.

    An enrollment owes its contract price minus the money it held then (the
    sum of its entries' amounts recorded before the next midnight); only
    enrollments approved by then, and still approved, with contract terms,
    and only what is owed (a positive balance) count. One query, the money
    a correlated sum per enrollment; the subtraction in Python.
    """
    end = local_midnight(as_of, days_later=1)
    held = Coalesce(
        Subquery(
            LedgerEntry.objects.filter(enrollment=OuterRef("pk"), created_at__lt=end)
            .order_by()
            .values("enrollment")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=MONEY,
        ),
        Value(ZERO),
        output_field=MONEY,
    )
    rows = (
        Enrollment.objects.filter(
            scope_q(scope, prefix=""),
            state=Enrollment.State.APPROVED,
            approved_at__lt=end,
            contract_terms__isnull=False,
        )
        .annotate(held=held)
        .order_by()
        .values_list("contract_terms__price", "held")
    )
    owed = [price - money(held) for price, held in rows]
    owed = [amount for amount in owed if amount > 0]
    return {"amount": sum(owed, ZERO), "count": len(owed)}


def overdue_amounts(scope: ReportScope, as_of: date) -> dict:
    """Return the overdue instalments on ``as_of``: amount, instalments, enrollments.

    One query (:func:`finance.selectors.overdue_instalments`): instalments
    due before ``as_of`` that the money an enrollment held at the end of
    that day does not cover.
    """
    enrollments = Enrollment.objects.filter(scope_q(scope, prefix=""))
    end = local_midnight(as_of, days_later=1)
    rows = overdue_instalments(enrollments, as_of, paid_before=end).values_list(
        "enrollment_id", "outstanding"
    )
    rows = list(rows)
    return {
        "amount": sum((money(outstanding) for _pk, outstanding in rows), ZERO),
        "instalments": len(rows),
        "enrollments": len({pk for pk, _outstanding in rows}),
    }


def _class_name(row: dict) -> str:
    return (
        row["enrollment__class_list__name"]
        or f"{row['enrollment__class_list__course__name']} "
        f"{row['enrollment__class_list__semester']}"
    )


def refunds_by_class_and_consultant(scope: ReportScope) -> dict:
    """Return the period's refunds per class and per consultant: amount and count.

    One query grouped by (class, consultant), merged in Python. Refunds
    that paid nothing back (hours only) are left out; a correction of a
    refund takes its amount back and cancels one from the count (a class
    left with neither is not shown). Amounts are positive; the largest
    come first.
    """
    refunds = _entries(scope, scope.since, scope.until, KIND.REFUND).exclude(amount=0)
    rows = refunds.values(
        "enrollment__class_list",
        "enrollment__class_list__name",
        "enrollment__class_list__course__name",
        "enrollment__class_list__semester",
        "enrollment__class_list__branch__name",
        "enrollment__consultant",
        "enrollment__consultant__display_name",
        "enrollment__consultant__username",
    ).annotate(
        amount=Sum("amount"),
        refunds=Count("pk", filter=Q(kind=KIND.REFUND)),
        reversals=Count("pk", filter=Q(kind=KIND.CORRECTION)),
    )
    classes: dict[int, dict] = {}
    consultants: dict[int, dict] = {}
    for row in rows:
        amount = -money(row["amount"])
        count = row["refunds"] - row["reversals"]
        by_class = classes.setdefault(
            row["enrollment__class_list"],
            {
                "class_id": row["enrollment__class_list"],
                "name": _class_name(row),
                "campus": row["enrollment__class_list__branch__name"],
                "amount": ZERO,
                "count": 0,
            },
        )
        by_consultant = consultants.setdefault(
            row["enrollment__consultant"],
            {
                "consultant_id": row["enrollment__consultant"],
                "name": row["enrollment__consultant__display_name"]
                or row["enrollment__consultant__username"],
                "amount": ZERO,
                "count": 0,
            },
        )
        for group in (by_class, by_consultant):
            group["amount"] += amount
            group["count"] += count

    def ranked(groups: dict) -> list[dict]:
        # A refund corrected in the same period leaves nothing to show.
        shown = (g for g in groups.values() if g["amount"] or g["count"])
        return sorted(shown, key=lambda g: (-g["amount"], g["name"]))

    return {"by_class": ranked(classes), "by_consultant": ranked(consultants)}


def finance_report(scope: ReportScope, *, today: date | None = None) -> dict:
    """Return every section of the finance report for scope.

    Receivables (outstanding balances, overdue instalments) are counted on
    the period's last day, or today if the period is not over.
    """
    as_of = report_as_of(scope, today or timezone.localdate())
    cash = cash_received(scope)
    revenue = revenue_recognised(scope)
    refunds = refunds_by_class_and_consultant(scope)
    return {
        "scope": scope,
        "as_of": as_of,
        "cash": cash,
        "revenue": revenue,
        "difference": cash["net"] - revenue["amount"],
        "trend": finance_trend(scope),
        "outstanding": outstanding_balances(scope, as_of),
        "overdue": overdue_amounts(scope, as_of),
        "refunds_by_class": refunds["by_class"],
        "refunds_by_consultant": refunds["by_consultant"],
    }
