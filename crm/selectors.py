"""Reads of customers that span relations."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from crm.models import Customer


def stale_q(*, days: int | None = None, now=None, limit=None) -> Q:
    """Return the condition "a lead nobody worked for more than ``days`` days".

    Worked: entered, followed up or given to its current owner
    (``last_activity_at``); enrolled customers are never stale. ``days``
    defaults to CRM_STALE_LEAD_DAYS, the private pool's protection;
    ``limit`` (see :func:`stale_limit`) replaces ``days`` and ``now``.
    """
    if limit is None:
        limit = stale_limit(days=days, now=now)
    return Q(status=Customer.Status.NOT_ENROLLED, last_activity_at__lt=limit)


def stale_limit(*, days: int | None = None, now=None):
    """Return the instant a lead's last activity must precede to be stale."""
    days = settings.CRM_STALE_LEAD_DAYS if days is None else days
    return (now or timezone.now()) - timedelta(days=days)


def customer_find_duplicate(
    *, qq: str | None, phone: str | None, exclude_pk=None
) -> Customer | None:
    """Return the customer who already has this (normalised) QQ or phone."""
    condition = Q()
    if qq:
        condition |= Q(qq=qq)
    if phone:
        condition |= Q(phone=phone)
    if not condition:
        return None
    found = Customer.objects.filter(condition).select_related("consultant")
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.first()


def customer_detail(*, pk) -> Customer:
    """Return a customer with what its page shows, in a constant number of queries."""
    from crm.models import CustomerFollowUp, Enrollment

    return (
        Customer.objects.select_related("consultant", "consult_course", "user")
        .prefetch_related(
            "tags",
            Prefetch(
                "followups",
                queryset=CustomerFollowUp.objects.select_related("consultant"),
            ),
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.select_related(
                    "class_list__course", "class_list__branch", "consultant"
                ).prefetch_related("payments"),
            ),
        )
        .get(pk=pk)
    )


def enrollment_contract_text(enrollment, *, id_number: str | None = None) -> str:
    """Return the contract of ``enrollment`` rendered from its class's template.

    ``id_number`` replaces the customer's (a masked one, for staff who may
    not see it whole).
    """
    from crm.contracts import render_contract

    class_list = enrollment.class_list
    template = class_list.contract_template
    if template is None:
        return ""
    customer = enrollment.customer
    return render_contract(
        template.content,
        {
            "customer": customer,
            "id_number": (customer.id_number if id_number is None else id_number)
            or "________",
            "course": class_list.course,
            "class": class_list,
            "campus": class_list.branch,
            "price": class_list.course.price,
            "start_date": class_list.start_date.isoformat(),
            # The day it was agreed; today while the customer is reading it.
            "date": timezone.localdate(
                enrollment.contract_agreed_at or timezone.now()
            ).isoformat(),
        },
    )


def enrollment_money(enrollment) -> dict:
    """Return price, paid (deposits + tuition - refunds) and balance of an enrollment.

    Uses the prefetched payments when there are some (customer page).
    """
    from decimal import Decimal

    from crm.models import Payment

    paid = Decimal("0")
    for payment in enrollment.payments.all():
        sign = -1 if payment.kind == Payment.Kind.REFUND else 1
        paid += sign * payment.amount
    price = enrollment.class_list.course.price
    return {"price": price, "paid": paid, "balance": price - paid}
