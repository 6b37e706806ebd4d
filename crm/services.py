"""Writes of the CRM: leads, duplicates, follow-ups and claiming stale leads."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notification_send
from crm.models import Customer, CustomerFollowUp
from crm.selectors import customer_find_duplicate, stale_q
from kingadmin.history import log_change, snapshot


class DuplicateCustomer(ValidationError):
    """The QQ or phone number belongs to an existing customer."""

    def __init__(self, existing: Customer):
        self.existing = existing
        super().__init__(duplicate_message(existing), code="duplicate")


class ClaimLost(ValidationError):
    """Another sales claimed the lead first."""

    def __init__(self, owner: User):
        self.owner = owner
        super().__init__(
            _("%(owner)s has just taken over this lead.") % {"owner": owner},
            code="claim_lost",
        )


def duplicate_message(existing: Customer) -> str:
    return _(
        "This lead already exists: customer “%(customer)s”, owned by %(owner)s. "
        "%(owner)s has been told that you tried to enter it."
    ) % {"customer": existing, "owner": existing.consultant}


def customer_save(*, customer: Customer, by: User) -> Customer:
    """Save a new or changed customer; the database has the last word on duplicates.

    Two sales entering the same lead at once both pass the form's check; the
    unique constraints let one insert through and this raises
    DuplicateCustomer for the other.
    """
    customer.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        existing = customer_find_duplicate(
            qq=customer.qq, phone=customer.phone, exclude_pk=customer.pk
        )
        if existing is None:
            raise
        raise DuplicateCustomer(existing) from None
    return customer


def customer_create(*, consultant: User, by: User | None = None, **fields) -> Customer:
    """Create a lead owned by ``consultant``; refuse a duplicate QQ or phone."""
    by = by or consultant
    customer = Customer(consultant=consultant, **fields)
    customer.full_clean(validate_constraints=False)
    existing = customer_find_duplicate(qq=customer.qq, phone=customer.phone)
    if existing is not None:
        customer_duplicate_report(existing=existing, by=by)
        raise DuplicateCustomer(existing)
    try:
        return customer_save(customer=customer, by=by)
    except DuplicateCustomer as error:
        customer_duplicate_report(existing=error.existing, by=by)
        raise


def customer_duplicate_report(*, existing: Customer, by: User) -> None:
    """Tell the owner of ``existing`` that ``by`` tried to enter it again."""
    if existing.consultant_id == by.pk:
        return
    text = _(
        "%(user)s tried to enter your customer “%(customer)s” (QQ %(qq)s, phone "
        "%(phone)s) as a new lead."
    ) % {
        "user": by,
        "customer": existing,
        "qq": existing.qq or "—",
        "phone": existing.phone or "—",
    }
    notification_send(
        recipient=existing.consultant,
        text=text,
        link=reverse("crm:customer_detail", args=[existing.pk]),
        email_subject=_("Duplicate lead: %(customer)s") % {"customer": existing},
    )


def is_stale(customer: Customer, *, now=None) -> bool:
    """Return True if nobody followed ``customer`` up for the configured days."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.CRM_STALE_LEAD_DAYS)
    return customer.last_followup_at is None or customer.last_followup_at < limit


def customer_claim(*, customer: Customer, by: User) -> Customer:
    """Make ``by`` the owner of a stale lead; exactly one of two racers wins.

    The ownership moves with one conditional UPDATE (still owned by the same
    person and still stale), so the database decides who was first. The
    change is recorded in the history and the previous owner is notified.
    """
    if customer.consultant_id == by.pk:
        return customer
    previous = customer.consultant
    before = snapshot(customer, ["consultant"])
    moved = Customer.objects.filter(
        stale_q(), pk=customer.pk, consultant_id=previous.pk
    ).update(consultant=by)
    if not moved:
        customer.refresh_from_db()
        if customer.consultant_id == by.pk:
            return customer
        raise ClaimLost(customer.consultant)
    customer.consultant = by
    log_change(by, customer, before, ["consultant"])
    notification_send(
        recipient=previous,
        text=_(
            "%(user)s took over your lead “%(customer)s”: it had not been followed "
            "up for more than %(days)d days."
        )
        % {"user": by, "customer": customer, "days": settings.CRM_STALE_LEAD_DAYS},
        link=reverse("crm:customer_detail", args=[customer.pk]),
    )
    return customer


@transaction.atomic
def followup_add(
    *, customer: Customer, by: User, content: str, intention: str
) -> CustomerFollowUp:
    """Record a follow-up and update the lead's last follow-up time.

    A follow-up marked "enrolled" on someone else's stale lead claims it for
    ``by`` (see ``customer_claim``). Only the owner may follow up a lead that is
    not stale.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.consultant_id != by.pk:
        if not is_stale(customer):
            raise ValidationError(
                _("This lead belongs to %(owner)s and was followed up recently.")
                % {"owner": customer.consultant}
            )
        if intention == CustomerFollowUp.Intention.ENROLLED:
            customer_claim(customer=customer, by=by)
    followup = CustomerFollowUp(
        customer=customer, consultant=by, content=content, intention=intention
    )
    followup.full_clean()
    followup.save()
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=followup.created_at)
    ).update(last_followup_at=followup.created_at)
    return followup
