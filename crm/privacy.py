"""Personal data (China's PIPL): masked ID numbers and a record of who saw them.

ID numbers are shown in full only to users holding the ``crm.view_id_numbers``
rule, and only on one customer's page at a time (the kingadmin change page,
the enrollment review); lists, exports and the change history always show
them masked (``110101********1234``). Every view of a full ID number and of
an ID document is recorded as a ``PersonalDataAccess`` (who, when, which
customer), listed in the customer's history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User
    from crm.models import Customer, EnrollmentDocument

VIEW_ID_NUMBERS = "crm.view_id_numbers"
MASK = "*"


def mask_id_number(value: str | None) -> str:
    """Return ``value`` with all but its first 6 and last 4 characters starred.

    A short number (a passport's) keeps only its last 2 characters.
    """
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > 10:
        return value[:6] + MASK * (len(value) - 10) + value[-4:]
    return MASK * max(len(value) - 2, 1) + value[-2:] if len(value) > 2 else MASK


def may_view_id_numbers(user: User) -> bool:
    """Return True if ``user`` may see full ID numbers (each view is recorded)."""
    return user.is_active and user.has_perm(VIEW_ID_NUMBERS)


def id_number_for(request: HttpRequest, customer: Customer) -> str:
    """Return the ID number ``request.user`` may see; record a full one shown."""
    if not customer.id_number:
        return ""
    if not may_view_id_numbers(request.user):
        return mask_id_number(customer.id_number)
    personal_data_access_record(
        user=request.user,
        customer=customer,
        kind="id_number",
        path=request.path,
    )
    return customer.id_number


def personal_data_access_record(
    *,
    user: User,
    customer: Customer,
    kind: str,
    document: EnrollmentDocument | None = None,
    path: str = "",
):
    """Record that ``user`` saw ``customer``'s full ID number or an ID document."""
    from crm.models import PersonalDataAccess

    return PersonalDataAccess.objects.create(
        user=user,
        customer=customer,
        kind=kind,
        document=document,
        path=path[:255],
    )
