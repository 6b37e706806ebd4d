"""The ledger's jobs: overdue reminders (weekly per instalment), refund notices."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from finance.models import Instalment
from finance.services import (
    payment_record,
    plan_even,
    plan_set,
    refund_request_create,
    terms_at_approval,
)
from finance.tasks import overdue_remind
from finance.tests.test_pages import user_with
from tests.factories import CustomerFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def late(settings):
    """An enrollment whose first instalment (of three) is 10 days overdue."""
    settings.LANGUAGE_CODE = "en"
    student = UserFactory(username="student", email="student@example.com")
    consultant = UserFactory(username="consultant", email="sales@example.com")
    enrollment = EnrollmentFactory(
        customer=CustomerFactory(user=student, consultant=consultant), approved=True
    )
    terms = terms_at_approval(enrollment=enrollment, by=consultant)
    plan = plan_even(
        price=terms.price, count=3, first_due=timezone.localdate() - timedelta(days=10)
    )
    plan_set(enrollment=enrollment, instalments=plan, by=None)
    payment_record(enrollment=enrollment, amount=D("1000.00"), by=consultant)
    return enrollment


def test_overdue_instalments_are_reminded_once_a_week(
    late, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_remind.call() == 2
    texts = dict(Notification.objects.values_list("recipient__username", "text"))
    # 9800 in three: 3266.68 first, of which 1000 paid.
    assert "2266.68 yuan was due on" in texts["consultant"]
    assert "2266.68 yuan of your tuition was due on" in texts["student"]
    assert {m.to[0] for m in mail.outbox} == {
        "student@example.com",
        "sales@example.com",
    }
    # The same day, and six days on: not again.
    assert overdue_remind.call() == 0
    Instalment.objects.update(reminded_at=timezone.now() - timedelta(days=6))
    assert overdue_remind.call() == 0
    # A week after the last reminder: again.
    Instalment.objects.update(reminded_at=timezone.now() - timedelta(days=8))
    assert overdue_remind.call() == 2


def test_paid_instalments_are_not_reminded(late):
    payment_record(enrollment=late, amount=D("2266.68"), by=late.consultant)
    assert overdue_remind.call() == 0
    assert not Notification.objects.exists()


def test_a_refund_request_tells_who_decides_refunds(
    late, django_capture_on_commit_callbacks
):
    finance = user_with("finance", ["finance.decide_refunds"])
    user_with("sales", ["finance.view_own_accounts"])
    with django_capture_on_commit_callbacks(execute=True):
        refund_request_create(enrollment=late, reason="搬家", by=late.consultant)
    told = Notification.objects.filter(text__startswith="Refund asked for")
    assert [n.recipient for n in told] == [finance]
