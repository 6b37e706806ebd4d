"""The ``data`` of each event: plain JSON values, built from the saved rows.

Ids, names, amounts as strings ("2000.00"), ISO 8601 times, and the owner
(the consultant) by id and name. Of a lead's personal data only the name,
phone and QQ go out: never an ID number, an e-mail address, documents or
notes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User
    from crm.models import Customer, Enrollment, Payment
    from finance.models import RefundRequest

CENT = Decimal("0.01")


def _money(amount) -> str:
    return str(Decimal(amount).quantize(CENT))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def _enrollment(enrollment: Enrollment) -> dict:
    customer, class_list = enrollment.customer, enrollment.class_list
    return {
        "id": enrollment.pk,
        "customer": {"id": customer.pk, "name": customer.name},
        "class": {"id": class_list.pk, "name": str(class_list)},
    }


def lead_payload(customer: Customer) -> dict:
    """Return the data of ``lead.created``."""
    return {
        "id": customer.pk,
        "name": customer.name,
        "phone": customer.phone,
        "qq": customer.qq,
        "source": customer.source,
        "status": customer.status,
        "consult_course_id": customer.consult_course_id,
        "created_at": _time(customer.created_at),
        "owner": _person(customer.consultant),
    }


def enrollment_payload(enrollment: Enrollment) -> dict:
    """Return the data of ``enrollment.approved``."""
    return {
        **_enrollment(enrollment),
        "state": enrollment.state,
        "approved_at": _time(enrollment.approved_at),
        "approved_by": _person(enrollment.approved_by),
        "owner": _person(enrollment.consultant),
    }


def payment_payload(payment: Payment) -> dict:
    """Return the data of ``payment.recorded``."""
    enrollment = payment.enrollment
    return {
        "id": payment.pk,
        "kind": payment.kind,
        "amount": _money(payment.amount),
        "created_at": _time(payment.created_at),
        "enrollment": _enrollment(enrollment),
        "owner": _person(payment.consultant),
    }


def refund_payload(request: RefundRequest) -> dict:
    """Return the data of ``refund.approved``."""
    enrollment = request.enrollment
    return {
        "id": request.pk,
        "amount": _money(request.amount),
        "decided_at": _time(request.decided_at),
        "decided_by": _person(request.decided_by),
        "enrollment": _enrollment(enrollment),
        "owner": _person(enrollment.consultant),
    }
