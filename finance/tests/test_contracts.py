"""Contract terms frozen with their hash; refunds computed from the frozen policy."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from finance.ledger import balance_of, entry_append, verify
from finance.models import ContractTerms, LedgerEntry, RefundPolicy
from finance.services import contract_terms_fix, refund_computation, terms_digest
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

D = Decimal
KIND = LedgerEntry.Kind


@pytest.fixture
def policy():
    return RefundPolicy.objects.create(
        name="标准退费", fee=D("200.00"), no_refund_after_percent=50
    )


@pytest.fixture
def enrollment():
    return EnrollmentFactory(
        approved=True, class_list__course=CourseFactory(price=D("12800.00"))
    )


def fix(enrollment, policy, hours="64.0"):
    return contract_terms_fix(
        enrollment=enrollment,
        hours=D(hours),
        valid_until=date(2027, 6, 30),
        policy=policy,
        by=None,
    )


def test_terms_are_frozen_with_their_hash_and_the_hours_go_into_the_ledger(
    enrollment, policy
):
    terms = fix(enrollment, policy)

    assert (terms.price, terms.hours) == (D("12800.00"), D("64.0"))
    assert terms.policy_terms == {
        "name": "标准退费",
        "full_refund_before_start": True,
        "fee": "200.00",
        "no_refund_after_percent": 50,
        "absence_consumes": True,
    }
    assert "{{" not in terms.contract_text and enrollment.customer.name in (
        terms.contract_text
    )
    assert terms.sha256 == terms_digest(terms)
    assert balance_of(enrollment).hours_remaining == D("64.0")
    assert verify() == []
    with pytest.raises(ValidationError):
        fix(enrollment, policy)


def test_later_edits_never_change_a_signed_contract(enrollment, policy):
    terms = fix(enrollment, policy)
    policy.fee = D("999.00")
    policy.save()
    course = enrollment.class_list.course
    course.price = D("1.00")
    course.save()

    terms.refresh_from_db()

    assert (terms.price, terms.policy_terms["fee"]) == (D("12800.00"), "200.00")
    with pytest.raises(DatabaseError), transaction.atomic():
        ContractTerms.objects.filter(pk=terms.pk).update(price=D("1.00"))


def pay_and_use(enrollment, paid="12800.00", used="0"):
    entry_append(enrollment=enrollment, kind=KIND.PAYMENT, amount=D(paid), by=None)
    if D(used):
        entry_append(
            enrollment=enrollment, kind=KIND.CONSUMPTION, hours=-D(used), by=None
        )
    return balance_of(enrollment)


def test_before_the_first_session_everything_received_comes_back(enrollment, policy):
    terms = fix(enrollment, policy)
    balance = pay_and_use(enrollment, paid="5000.00")

    refund = refund_computation(terms=terms, balance=balance, started=False)

    assert refund.amount == D("5000.00")
    assert refund.steps[-1] == (
        "The class has not started: everything paid is refunded."
    )


def test_afterwards_unused_hours_pro_rata_minus_the_fee(enrollment, policy):
    terms = fix(enrollment, policy)
    balance = pay_and_use(enrollment, used="10.5")

    refund = refund_computation(terms=terms, balance=balance, started=True)

    # 12800 × 53.5 / 64 = 10700.00, minus the 200.00 fee.
    assert refund.amount == D("10500.00")
    assert "Consumed 10.5 of 64.0 hours (16.4%)." in refund.steps
    assert "Unused hours are worth 12800.00 × 53.5 / 64.0 = 10700.00." in refund.steps


def test_never_more_than_received(enrollment, policy):
    terms = fix(enrollment, policy)
    balance = pay_and_use(enrollment, paid="3000.00", used="3.0")

    refund = refund_computation(terms=terms, balance=balance, started=True)

    assert refund.amount == D("2800.00")  # 3000 received, minus the fee


def test_past_the_policys_share_nothing(enrollment, policy):
    terms = fix(enrollment, policy)
    balance = pay_and_use(enrollment, used="32.0")

    refund = refund_computation(terms=terms, balance=balance, started=True)

    assert refund.amount == D("0.00")
    assert refund.steps[-1] == "At least 50% consumed: nothing is refunded."


def test_a_fee_larger_than_the_rest_refunds_nothing_not_a_debt(enrollment, policy):
    terms = fix(enrollment, policy)
    balance = pay_and_use(enrollment, paid="100.00", used="1.0")

    refund = refund_computation(terms=terms, balance=balance, started=True)

    assert refund.amount == D("0.00")
