"""A hand-made enrollment history, every figure computed exactly.

Approval with a deposit, a plan of three instalments, a partial payment, an
overdue instalment, lessons (present, absent without leave, on leave), a
transfer to a cheaper course, another payment, a lesson there, a refund
approved by finance. Each step checks the ledger, the plan and the receipts.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import Enrollment, Payment
from crm.services import enrollment_approve
from finance.ledger import balance_of, verify
from finance.models import (
    ContractTerms,
    Instalment,
    LedgerEntry,
    Receipt,
    RefundPolicy,
    RefundRequest,
)
from finance.selectors import overdue_instalments, plan_status
from finance.services import (
    payment_record,
    plan_even,
    plan_set,
    refund_decide,
    refund_request_create,
    suspend,
    transfer,
)
from teacher.models import StudyRecord
from teacher.services import courserecord_create, rollcall_save
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    CourseFactory,
    EnrollmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
KIND = LedgerEntry.Kind


@pytest.fixture
def school():
    policy = RefundPolicy.objects.create(
        name="标准", fee=D("200.00"), no_refund_after_percent=50
    )
    campus = BranchFactory(name="北京")
    teacher = UserFactory(username="teacher")
    python = CourseFactory(
        name="Python",
        price=D("12000.00"),
        class_hours=D("60.0"),
        hours_per_lesson=D("2.0"),
        refund_policy=policy,
    )
    linux = CourseFactory(
        name="Linux",
        price=D("9000.00"),
        class_hours=D("45.0"),
        hours_per_lesson=D("1.5"),
        refund_policy=policy,
    )
    start = timezone.localdate() - timedelta(days=30)
    s9 = ClassListFactory(
        branch=campus, course=python, start_date=start, teachers=[teacher]
    )
    l3 = ClassListFactory(
        branch=campus, course=linux, start_date=start, teachers=[teacher]
    )
    return {"s9": s9, "l3": l3, "teacher": teacher, "finance": UserFactory()}


def lesson(class_list, teacher, **attendance):
    record = courserecord_create(
        class_list=class_list,
        teacher=teacher,
        date=timezone.localdate(),
        title="课",
        has_homework=False,
    )
    records = {r.enrollment_id: r.pk for r in record.study_records.all()}
    if attendance:
        rollcall_save(
            course_record=record,
            attendance={records[int(k[1:])]: v for k, v in attendance.items()},
            by=teacher,
        )
    return record


def test_a_whole_history_adds_up(school, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    clerk = school["finance"]
    enrollment = EnrollmentFactory(
        class_list=school["s9"],
        state=Enrollment.State.SUBMITTED,
        contract_agreed=True,
        contract_agreed_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    # Approval fixes the terms and records the deposit with receipt no. 1.
    enrollment_approve(
        enrollment=enrollment,
        by=clerk,
        base_url="http://testserver/",
        payment_kind=Payment.Kind.DEPOSIT,
        payment_amount=D("2000.00"),
        payment_method=Receipt.Method.WECHAT,
    )
    terms = ContractTerms.objects.get(enrollment=enrollment)
    assert (terms.price, terms.hours, terms.hours_per_lesson) == (
        D("12000.00"),
        D("60.0"),
        D("2.0"),
    )
    assert terms.policy_terms["fee"] == "200.00"
    assert [i.amount for i in Instalment.objects.filter(enrollment=enrollment)] == [
        D("12000.00")
    ]
    # Three instalments, the first two due already; then a partial payment.
    plan_set(
        enrollment=enrollment,
        instalments=plan_even(
            price=terms.price, count=3, first_due=today - timedelta(days=40)
        ),
        by=clerk,
    )
    payment_record(enrollment=enrollment, amount=D("3000.00"), by=clerk)
    status = plan_status(
        list(enrollment.instalments.all()), balance_of(enrollment).paid, today
    )
    assert [(s.paid, s.outstanding, s.overdue) for s in status] == [
        (D("4000.00"), D("0.00"), False),
        (D("1000.00"), D("3000.00"), True),
        (D("0.00"), D("4000.00"), False),
    ]
    overdue = list(overdue_instalments(Enrollment.objects.all(), today))
    assert [(i.number, i.outstanding) for i in overdue] == [(2, D("3000.00"))]

    # Lessons: present consumes 2 hours; absent without leave too (the
    # policy says so); on leave, nothing (the entry is reversed).
    teacher = school["teacher"]
    lesson(school["s9"], teacher)
    lesson(school["s9"], teacher, **{f"e{enrollment.pk}": "absent"})
    third = lesson(school["s9"], teacher)
    record = StudyRecord.objects.get(course_record=third, enrollment=enrollment)
    rollcall_save(course_record=third, attendance={record.pk: "on_leave"}, by=teacher)
    balance = balance_of(enrollment)
    assert (balance.hours_bought, balance.hours_consumed, balance.hours_remaining) == (
        D("60.0"),
        D("4.0"),
        D("56.0"),
    )
    assert balance.paid == D("5000.00")

    # Transfer to Linux (9000 yuan, 45 hours): the 5000 paid less the 800 the
    # 4 hours used are worth (12000 × 4 / 60) moves; 4800 remain to pay.
    moved = transfer(
        enrollment=enrollment, class_list=school["l3"], reason="换方向", by=clerk
    )
    assert (moved.value, moved.difference) == (D("4200.00"), D("4800.00"))
    enrollment.refresh_from_db()
    assert enrollment.state == Enrollment.State.CLOSED
    old = balance_of(enrollment)
    assert (old.paid, old.hours_remaining) == (D("800.00"), D("0.0"))
    target = moved.target
    assert target.state == Enrollment.State.APPROVED
    assert balance_of(target).paid == D("4200.00")
    assert balance_of(target).hours_remaining == D("45.0")
    payment_record(enrollment=target, amount=D("800.00"), by=clerk)
    lesson(school["l3"], teacher)
    balance = balance_of(target)
    assert (balance.paid, balance.hours_consumed) == (D("5000.00"), D("1.5"))

    # The refund: 9000 × 43.5 / 45 = 8700 unused, at most the 5000 paid,
    # minus the 200 fee: 4800.
    with django_capture_on_commit_callbacks(execute=True):
        request = refund_request_create(enrollment=target, reason="搬家", by=clerk)
    assert request.amount == D("4800.00")
    assert request.steps[-1].endswith("200.00 fee.")
    with django_capture_on_commit_callbacks(execute=True):
        refund_decide(request=request, approve=True, by=clerk)
    target.refresh_from_db()
    assert target.state == Enrollment.State.CLOSED
    assert RefundRequest.objects.get().state == RefundRequest.State.APPROVED
    final = balance_of(target)
    assert (final.paid, final.hours_remaining) == (D("200.00"), D("0.0"))
    refund = Payment.objects.get(kind=Payment.Kind.REFUND)
    assert (refund.amount, refund.entry.amount) == (D("4800.00"), D("-4800.00"))

    # Receipts: one per payment, numbered 1, 2, 3 at this campus this year.
    receipts = Receipt.objects.order_by("number")
    assert [(r.number, r.entry.amount) for r in receipts] == [
        (1, D("2000.00")),
        (2, D("3000.00")),
        (3, D("800.00")),
    ]
    assert receipts[0].method == Receipt.Method.WECHAT
    assert receipts[0].code == f"B{school['s9'].branch_id}-{today.year}-000001"
    # The whole ledger chains, and its kinds tell the story.
    assert verify() == []
    assert list(
        LedgerEntry.objects.filter(enrollment=enrollment).values_list("kind", flat=True)
    ) == [
        KIND.HOURS_BOUGHT,
        KIND.PAYMENT,
        KIND.PAYMENT,
        KIND.CONSUMPTION,
        KIND.CONSUMPTION,
        KIND.CONSUMPTION,
        KIND.CORRECTION,
        KIND.TRANSFER_OUT,
    ]


def test_a_plan_must_add_up_to_the_price(school):
    enrollment = EnrollmentFactory(class_list=school["s9"], approved=True)
    from finance.services import terms_at_approval

    terms_at_approval(enrollment=enrollment, by=school["finance"])
    today = timezone.localdate()
    with pytest.raises(ValidationError, match=r"add up to 11000\.00"):
        plan_set(
            enrollment=enrollment,
            instalments=[(today, D("6000")), (today, D("5000"))],
            by=None,
        )
    assert Instalment.objects.get(enrollment=enrollment).amount == D("12000.00")
    # Monthly on the same day, or the month's last; the first takes the cents.
    rows = plan_even(price=D("10000.00"), count=3, first_due=date(2027, 1, 31))
    assert rows == [
        (date(2027, 1, 31), D("3333.34")),
        (date(2027, 2, 28), D("3333.33")),
        (date(2027, 3, 31), D("3333.33")),
    ]


def test_a_suspension_stops_consumption_and_extends_validity(school):
    from finance.services import terms_at_approval, valid_until_with

    enrollment = EnrollmentFactory(class_list=school["s9"], approved=True)
    terms = terms_at_approval(enrollment=enrollment, by=school["finance"])
    teacher = school["teacher"]
    lesson(school["s9"], teacher)
    assert balance_of(enrollment).hours_consumed == D("2.0")
    today = timezone.localdate()
    suspend(
        enrollment=enrollment,
        starts_on=today,
        ends_on=today + timedelta(days=9),
        reason="生病",
        by=school["finance"],
    )
    # Today's lesson stops consuming, and so do the next ones in the period.
    assert balance_of(enrollment).hours_consumed == D("0.0")
    lesson(school["s9"], teacher)
    assert balance_of(enrollment).hours_consumed == D("0.0")
    assert valid_until_with(terms, enrollment.suspensions.all()) == (
        terms.valid_until + timedelta(days=10)
    )
    with pytest.raises(ValidationError, match="suspended for part"):
        suspend(
            enrollment=enrollment,
            starts_on=today + timedelta(days=5),
            ends_on=today + timedelta(days=20),
            reason="again",
            by=school["finance"],
        )
    assert verify() == []


def test_low_hours_notify_student_and_consultant_once(
    school, settings, django_capture_on_commit_callbacks
):
    from accounts.models import Notification
    from finance.services import terms_at_approval

    settings.FINANCE_LOW_HOURS = "56"
    enrollment = EnrollmentFactory(class_list=school["s9"], approved=True)
    terms_at_approval(enrollment=enrollment, by=school["finance"])
    teacher = school["teacher"]
    with django_capture_on_commit_callbacks(execute=True):
        lesson(school["s9"], teacher)  # 58 left
    assert not Notification.objects.filter(recipient=enrollment.consultant).exists()
    with django_capture_on_commit_callbacks(execute=True):
        lesson(school["s9"], teacher)  # 56 left: the threshold
    with django_capture_on_commit_callbacks(execute=True):
        lesson(school["s9"], teacher)  # 54: told already
    told = Notification.objects.filter(recipient=enrollment.consultant)
    assert [n.text for n in told] == [
        f"{enrollment.customer}, {school['s9']}: 56.0 class hours are left."
    ]


def test_rejecting_a_refund_needs_a_reason_and_keeps_the_enrollment(school):
    from finance.services import terms_at_approval

    enrollment = EnrollmentFactory(class_list=school["s9"], approved=True)
    terms_at_approval(enrollment=enrollment, by=school["finance"])
    request = refund_request_create(
        enrollment=enrollment, reason="不想学", by=school["finance"]
    )
    with pytest.raises(ValidationError):
        refund_request_create(
            enrollment=enrollment, reason="again", by=school["finance"]
        )
    with pytest.raises(ValidationError):
        refund_decide(request=request, approve=False, by=school["finance"])
    refund_decide(request=request, approve=False, by=school["finance"], note="合同期内")
    enrollment.refresh_from_db()
    assert enrollment.state == Enrollment.State.APPROVED
    assert not LedgerEntry.objects.filter(kind=KIND.REFUND).exists()


def test_a_roll_call_costs_the_same_queries_for_3_or_30_students(school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from finance.services import terms_at_approval

    def enrol(count):
        for _ in range(count):
            enrollment = EnrollmentFactory(class_list=school["s9"], approved=True)
            terms_at_approval(enrollment=enrollment, by=school["finance"])

    def record_and_mark_absent_on_leave():
        with CaptureQueriesContext(connection) as queries:
            record = lesson(school["s9"], school["teacher"])
            rollcall_save(
                course_record=record,
                attendance={r.pk: "on_leave" for r in record.study_records.all()},
                by=school["teacher"],
            )
        return len(queries.captured_queries)

    enrol(3)
    few = record_and_mark_absent_on_leave()
    enrol(27)
    many = record_and_mark_absent_on_leave()
    assert many == few
    # 30 consumed, then 30 reversed; 3 + 3 before them.
    assert LedgerEntry.objects.filter(kind=KIND.CONSUMPTION).count() == 33
    assert LedgerEntry.objects.filter(kind=KIND.CORRECTION).count() == 33
    assert verify() == []
