"""Lead ownership: each sales' private pool (私海) and the public pool (公海).

A lead is in its consultant's private pool, protected for
``CRM_STALE_LEAD_DAYS`` from its last activity (entry, last follow-up, or the
moment it got its current owner). A lead nobody worked for longer, and not
enrolled, falls back into the public pool (``customers_fall_back``, a
scheduled job; the consultant stays as its last owner). Any sales may claim
a lead from the public pool, up to ``CRM_PRIVATE_POOL_CAP`` leads held
privately; a claim is one conditional UPDATE, so of two racers exactly one
wins. Owners may release a lead; managers reassign. Every move is recorded in
the lead's history and notifies whom it concerns. A new lead is never in the
public pool.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import notification_send
from crm.models import Customer
from kingadmin.history import log_change, snapshot

MOVE_FIELDS = ["consultant", "pool"]


class ClaimLost(ValidationError):
    """Somebody else claimed the lead first (or it left the public pool)."""

    def __init__(self, owner: User | None):
        self.owner = owner
        if owner is None:
            message = _("This lead is no longer in the public pool.")
        else:
            message = _("%(owner)s was faster and has just claimed this lead.") % {
                "owner": owner
            }
        super().__init__(message, code="claim_lost")


class PoolCapReached(ValidationError):
    """The sales holds as many private leads as the cap allows."""

    def __init__(self, held: int, cap: int):
        super().__init__(
            _(
                "You already hold %(held)d leads in your private pool, the most "
                "allowed (%(cap)d). Release or convert some before claiming more."
            )
            % {"held": held, "cap": cap},
            code="pool_cap",
        )


def _link(customer: Customer) -> str:
    return reverse("crm:customer_detail", args=[customer.pk])


def customer_list_url(**query: str) -> str:
    """Return the kingadmin customer list with ``query`` (e.g. pool="public")."""
    from urllib.parse import urlencode

    url = reverse(
        "kingadmin:changelist", kwargs={"app_label": "crm", "model_name": "customer"}
    )
    return f"{url}?{urlencode(query)}" if query else url


def private_lead_count(user: User) -> int:
    """Return how many not-enrolled leads ``user`` holds in their private pool."""
    return Customer.objects.filter(
        consultant=user,
        pool=Customer.Pool.PRIVATE,
        status=Customer.Status.NOT_ENROLLED,
    ).count()


def _check_cap(user: User) -> None:
    cap = settings.CRM_PRIVATE_POOL_CAP
    if not cap:
        return
    held = private_lead_count(user)
    if held >= cap:
        raise PoolCapReached(held, cap)


def idle_limit(*, now=None):
    """Return the moment before which a private lead's protection has run out."""
    return (now or timezone.now()) - timedelta(days=settings.CRM_STALE_LEAD_DAYS)


@transaction.atomic
def customer_claim(*, customer: Customer, by: User) -> Customer:
    """Move a lead from the public pool into ``by``'s private pool.

    One conditional UPDATE (still in the public pool) decides between racers:
    the loser gets ``ClaimLost`` naming the winner. The lead keeps its whole
    history; its previous owner is told.
    """
    # Serialise the claims of one sales, so that the cap holds under races.
    User.objects.select_for_update().filter(pk=by.pk).first()
    _check_cap(by)
    previous = customer.consultant
    before = snapshot(customer, MOVE_FIELDS)
    now = timezone.now()
    moved = Customer.objects.filter(pk=customer.pk, pool=Customer.Pool.PUBLIC).update(
        pool=Customer.Pool.PRIVATE,
        pooled_at=None,
        consultant=by,
        last_activity_at=now,
    )
    if not moved:
        customer.refresh_from_db()
        owner = customer.consultant if customer.pool == Customer.Pool.PRIVATE else None
        raise ClaimLost(owner)
    customer.refresh_from_db()
    log_change(by, customer, before, MOVE_FIELDS)
    if previous.pk != by.pk:
        notification_send(
            recipient=previous,
            text=_(
                "%(user)s claimed your former lead “%(customer)s” from the public pool."
            )
            % {"user": by, "customer": customer},
            link=_link(customer),
        )
    return customer


@transaction.atomic
def customer_release(*, customer: Customer, by: User) -> Customer:
    """Give one of ``by``'s private leads back to the public pool."""
    before = snapshot(customer, MOVE_FIELDS)
    moved = Customer.objects.filter(
        pk=customer.pk,
        consultant=by,
        pool=Customer.Pool.PRIVATE,
        status=Customer.Status.NOT_ENROLLED,
    ).update(pool=Customer.Pool.PUBLIC, pooled_at=timezone.now())
    if not moved:
        raise ValidationError(
            _("Only a lead in your own private pool, not enrolled, can be released."),
            code="not_releasable",
        )
    customer.refresh_from_db()
    log_change(by, customer, before, MOVE_FIELDS)
    return customer


def customers_fall_back(*, now=None, batch_size: int = 500) -> int:
    """Move every private lead nobody worked for too long into the public pool.

    Enrolled customers never move. Each lead's history records the move, and
    each owner gets one notification listing their leads. Return how many
    leads moved. Safe to run at any time and in several processes: a lead
    moves with a conditional UPDATE, once.
    """
    now = now or timezone.now()
    limit = idle_limit(now=now)
    moved_by_owner: dict[int, list[Customer]] = defaultdict(list)
    total = 0
    while True:
        due = list(
            Customer.objects.filter(
                pool=Customer.Pool.PRIVATE,
                status=Customer.Status.NOT_ENROLLED,
                last_activity_at__lt=limit,
            )
            .select_related("consultant")
            .order_by("last_activity_at", "pk")[:batch_size]
        )
        if not due:
            break
        with transaction.atomic():
            for customer in due:
                before = snapshot(customer, MOVE_FIELDS)
                if not Customer.objects.filter(
                    pk=customer.pk,
                    pool=Customer.Pool.PRIVATE,
                    status=Customer.Status.NOT_ENROLLED,
                    last_activity_at__lt=limit,
                ).update(pool=Customer.Pool.PUBLIC, pooled_at=now):
                    continue
                customer.pool, customer.pooled_at = Customer.Pool.PUBLIC, now
                log_change(None, customer, before, MOVE_FIELDS)
                moved_by_owner[customer.consultant_id].append(customer)
                total += 1
    for leads in moved_by_owner.values():
        _tell_owner_of_fall_back(leads)
    return total


def _tell_owner_of_fall_back(leads: list[Customer]) -> None:
    owner = leads[0].consultant
    names = ", ".join(str(c) for c in leads[:10])
    if len(leads) > 10:
        names += " …"
    notification_send(
        recipient=owner,
        text=ngettext(
            "%(count)d of your leads was not followed up for %(days)d days and "
            "fell back into the public pool: %(names)s.",
            "%(count)d of your leads were not followed up for %(days)d days and "
            "fell back into the public pool: %(names)s.",
            len(leads),
        )
        % {
            "count": len(leads),
            "days": settings.CRM_STALE_LEAD_DAYS,
            "names": names,
        },
        link=_link(leads[0])
        if len(leads) == 1
        else customer_list_url(pool=Customer.Pool.PUBLIC),
    )


@transaction.atomic
def customers_reassign(*, customers, to: User, by: User) -> int:
    """Give leads to ``to``'s private pool (a manager's move); return how many.

    Each lead's history records it; the previous owners and ``to`` are told.
    Enrolled customers move too (their consultant changes); the cap does not
    apply to a manager's decision.
    """
    now = timezone.now()
    moved = []
    previous_owners: dict[int, list[Customer]] = defaultdict(list)
    for customer in customers.select_related("consultant"):
        if (
            customer.consultant_id == to.pk
            and customer.pool == Customer.Pool.PRIVATE
            and not customer.unassigned
        ):
            continue
        before = snapshot(customer, MOVE_FIELDS)
        previous = customer.consultant
        customer.consultant = to
        customer.pool = Customer.Pool.PRIVATE
        customer.pooled_at = None
        customer.last_activity_at = now
        # A manager's choice places the lead: it waits for nobody any more.
        customer.unassigned = False
        customer.save(
            update_fields=[
                "consultant",
                "pool",
                "pooled_at",
                "last_activity_at",
                "unassigned",
            ]
        )
        log_change(by, customer, before, MOVE_FIELDS)
        moved.append(customer)
        if previous.pk != to.pk:
            previous_owners[previous.pk].append(customer)
    _tell_of_reassignment(moved, previous_owners, to=to, by=by)
    return len(moved)


def _tell_of_reassignment(moved, previous_owners, *, to: User, by: User) -> None:
    if not moved:
        return
    if to.pk != by.pk:
        notification_send(
            recipient=to,
            text=ngettext(
                "%(user)s gave you %(count)d lead: %(names)s.",
                "%(user)s gave you %(count)d leads: %(names)s.",
                len(moved),
            )
            % {
                "user": by,
                "count": len(moved),
                "names": ", ".join(str(c) for c in moved[:10]),
            },
            link=_link(moved[0]) if len(moved) == 1 else customer_list_url(mine="1"),
        )
    for owner_pk, leads in previous_owners.items():
        if owner_pk == by.pk:
            continue
        notification_send(
            recipient=User.objects.get(pk=owner_pk),
            text=ngettext(
                "%(user)s gave %(count)d of your leads to %(to)s: %(names)s.",
                "%(user)s gave %(count)d of your leads to %(to)s: %(names)s.",
                len(leads),
            )
            % {
                "user": by,
                "count": len(leads),
                "to": to,
                "names": ", ".join(str(c) for c in leads[:10]),
            },
            link=_link(leads[0]),
        )
