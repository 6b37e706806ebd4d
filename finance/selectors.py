"""Reading the tuition ledger: balances, payment plans, overdue instalments.

Money an enrollment holds ("paid") is the sum of its entries' amounts: only
money entries (payments, refunds, transfers and their corrections) carry an
amount. It is allotted to the payment plan's instalments in due-date order:
an instalment is paid as far as the money reaches it, overdue when its due
date is past and it is not paid in full.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, Least

from crm.models import Enrollment
from finance.models import ZERO, Instalment, LedgerEntry

CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def counts_as(*kinds: str, prefix: str = "") -> Q:
    """Return the condition on entries of ``kinds``, or corrections of them."""
    return Q(**{f"{prefix}kind__in": kinds}) | Q(
        **{
            f"{prefix}kind": LedgerEntry.Kind.CORRECTION,
            f"{prefix}reverses__kind__in": kinds,
        }
    )


@dataclass(frozen=True)
class InstalmentStatus:
    instalment: Instalment
    paid: Decimal
    outstanding: Decimal
    overdue: bool


def plan_status(
    instalments: list[Instalment], paid: Decimal, today: datetime.date
) -> list[InstalmentStatus]:
    """Allot ``paid`` to ``instalments`` (one enrollment's) in due-date order."""
    left = max(paid, ZERO)
    rows = []
    for instalment in sorted(instalments, key=lambda i: (i.due_date, i.number)):
        covered = min(left, instalment.amount)
        left -= covered
        outstanding = instalment.amount - covered
        rows.append(
            InstalmentStatus(
                instalment=instalment,
                paid=covered,
                outstanding=outstanding,
                overdue=bool(outstanding) and instalment.due_date < today,
            )
        )
    return rows


def paid_subquery(before: datetime.datetime | None = None):
    """Return a subquery of the money an instalment's enrollment holds.

    ``before``: only the entries recorded before then (a past day's view).
    """
    entries = LedgerEntry.objects.filter(enrollment=OuterRef("enrollment_id"))
    if before is not None:
        entries = entries.filter(created_at__lt=before)
    return Coalesce(
        Subquery(
            entries.order_by()
            .values("enrollment")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=MONEY,
        ),
        Value(ZERO),
        output_field=MONEY,
    )


def overdue_instalments(
    enrollments: QuerySet[Enrollment],
    today: datetime.date,
    *,
    paid_before: datetime.datetime | None = None,
) -> QuerySet[Instalment]:
    """Return the overdue instalments of ``enrollments``, earliest due first.

    Each is annotated with ``outstanding`` (what is still owed of it) and
    ``paid_total`` (the enrollment's money). One query: the plan's running
    total (a window over the enrollment's instalments) is compared with the
    money held; an instalment is overdue when its due date is past and the
    running total through it exceeds that money. ``paid_before`` counts only
    the money recorded before then (the overdue amounts of a past day).
    """
    running = Window(
        Sum("amount"),
        partition_by=[F("enrollment_id")],
        order_by=[F("due_date").asc(), F("number").asc()],
    )
    return (
        Instalment.objects.filter(
            enrollment__in=enrollments.filter(state=Enrollment.State.APPROVED).values(
                "pk"
            ),
        )
        .annotate(running=running, paid_total=paid_subquery(paid_before))
        .annotate(
            outstanding=Least(
                F("amount"),
                Greatest(F("running") - F("paid_total"), Value(ZERO)),
                output_field=MONEY,
            )
        )
        .filter(due_date__lt=today, outstanding__gt=0)
        .select_related(
            "enrollment__customer",
            "enrollment__class_list__branch",
            "enrollment__consultant",
        )
        .order_by("due_date", "enrollment_id", "number")
    )


def value_of_hours(price: Decimal, hours_total: Decimal, hours: Decimal) -> Decimal:
    """Return the value of ``hours`` in a contract of ``hours_total`` for ``price``."""
    if not hours_total:
        return ZERO
    return (price * hours / hours_total).quantize(CENT, ROUND_HALF_UP)
