"""On PostgreSQL, receipts taken at once at one campus get consecutive numbers.

``receipt_issue`` locks the campus row before it reads the last number, so
of payments recorded at the same moment each waits for the one before; and
a payment that fails after taking its number gives the number back (it is
in the same transaction), so numbers stay gap-free.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from finance.models import Receipt
from finance.services import payment_record, terms_at_approval
from tests.concurrency import postgres_only, run_at_once
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    EnrollmentFactory,
    UserFactory,
)

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_payments_at_once_take_consecutive_receipt_numbers():
    campus = BranchFactory(name="并发校区")
    clerk = UserFactory()
    enrollments = []
    for _ in range(6):
        enrollment = EnrollmentFactory(
            class_list=ClassListFactory(branch=campus), approved=True
        )
        terms_at_approval(enrollment=enrollment, by=clerk)
        enrollments.append(enrollment)

    def pay(enrollment):
        return lambda: payment_record(
            enrollment=enrollment, amount=Decimal("100.00"), by=clerk
        )

    results = run_at_once(*(pay(e) for e in enrollments))

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(
        Receipt.objects.filter(branch=campus).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_a_failed_payment_leaves_no_gap():
    campus = BranchFactory(name="回滚校区")
    clerk = UserFactory()
    enrollment = EnrollmentFactory(
        class_list=ClassListFactory(branch=campus), approved=True
    )
    terms_at_approval(enrollment=enrollment, by=clerk)
    payment_record(enrollment=enrollment, amount=Decimal("100.00"), by=clerk)
    with pytest.raises(ValidationError), transaction.atomic():
        payment_record(enrollment=enrollment, amount=Decimal("50.00"), by=clerk)
        raise ValidationError("the desk cancels")
    payment_record(enrollment=enrollment, amount=Decimal("70.00"), by=clerk)
    assert list(
        Receipt.objects.filter(branch=campus)
        .order_by("number")
        .values_list("number", "entry__amount")
    ) == [(1, Decimal("100.00")), (2, Decimal("70.00"))]
