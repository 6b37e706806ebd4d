"""Invariants of the domain model, held by the database and by full_clean()."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import ClassList, Customer, Enrollment, Payment
from teacher.models import StudyRecord
from tests.factories import (
    ClassListFactory,
    CourseFactory,
    CourseRecordFactory,
    CustomerFactory,
    EnrollmentFactory,
    PaymentFactory,
    StudyRecordFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def new_customer(**fields) -> Customer:
    defaults = {"name": "Lead", "consultant": UserFactory()}
    return Customer(**{**defaults, **fields})


def test_full_clean_stores_qq_and_phone_normalised():
    customer = new_customer(qq=" 123-456-789 ", phone="+86 138-1234-5678")
    customer.full_clean()
    assert (customer.qq, customer.phone) == ("123456789", "13812345678")


def test_full_clean_refuses_a_phone_already_stored_in_another_format():
    CustomerFactory(phone="13812345678", qq=None)
    duplicate = new_customer(phone="0086 138 1234 5678")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "phone number already exists" in str(error.value)


def test_full_clean_refuses_a_qq_already_stored_in_another_format():
    CustomerFactory(qq="123456789")
    with pytest.raises(ValidationError) as error:
        new_customer(qq="１２３ ４５６ ７８９").full_clean()
    assert "QQ already exists" in str(error.value)


def test_full_clean_reports_an_invalid_number_on_its_field():
    with pytest.raises(ValidationError) as error:
        new_customer(qq="12ab", phone="999").full_clean()
    assert set(error.value.message_dict) >= {"qq", "phone"}


def test_customer_needs_a_qq_or_a_phone():
    with pytest.raises(ValidationError, match="QQ number or a phone number"):
        new_customer(qq="", phone="").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        new_customer(qq=None, phone=None).save()


def test_blank_identifiers_are_stored_as_null_so_many_leads_may_lack_them():
    for n in range(2):
        customer = new_customer(qq="", phone=f"1381234567{n}")
        customer.full_clean()
        customer.save()
    assert Customer.objects.filter(qq__isnull=True).count() == 2


def test_database_refuses_duplicate_qq_and_empty_strings():
    CustomerFactory(qq="123456789")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(qq="123456789")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(qq="", phone="13900000000")


def test_lookup_with_unparsable_value_does_not_raise():
    CustomerFactory(qq="123456789")
    assert not Customer.objects.filter(qq="not a number").exists()
    assert not Customer.objects.filter(phone="").exists()


def test_class_end_date_must_be_after_start_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassListFactory(start_date=date(2026, 9, 1), end_date=date(2026, 9, 1))
    klass = ClassListFactory.build(
        branch=ClassListFactory().branch,
        course=CourseFactory(),
        start_date=date(2026, 9, 1),
        end_date=date(2026, 8, 1),
        contract_template=None,
    )
    with pytest.raises(ValidationError, match="end date must be after"):
        klass.full_clean()


def test_class_is_unique_per_campus_course_type_and_semester():
    first = ClassListFactory(semester=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassListFactory(
            branch=first.branch,
            course=first.course,
            semester=9,
            class_type=ClassList.ClassType.FULL_TIME,
        )
    ClassListFactory(
        branch=first.branch,
        course=first.course,
        semester=9,
        class_type=ClassList.ClassType.WEEKEND,
    )


def test_one_enrollment_per_customer_and_class():
    enrollment = EnrollmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(
            customer=enrollment.customer, class_list=enrollment.class_list
        )


def test_approved_enrollment_must_record_approver_and_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(state=Enrollment.State.APPROVED)
    EnrollmentFactory(approved=True)


def test_rejected_enrollment_must_give_a_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(state=Enrollment.State.REJECTED, reject_reason="")
    EnrollmentFactory(state=Enrollment.State.REJECTED, reject_reason="ID unreadable")


def test_payment_amount_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(amount=Decimal("0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(amount=Decimal("-5"), kind=Payment.Kind.REFUND)


def test_lesson_number_is_unique_per_class_and_positive():
    lesson = CourseRecordFactory(lesson_number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseRecordFactory(class_list=lesson.class_list, lesson_number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseRecordFactory(lesson_number=0)
    CourseRecordFactory(lesson_number=1)  # another class may have its lesson 1


def test_study_record_is_unique_per_lesson_and_score_needs_a_grader():
    record = StudyRecordFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyRecordFactory(
            enrollment=record.enrollment, course_record=record.course_record
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyRecordFactory(score=StudyRecord.Score.A)
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyRecordFactory(score=500, graded_by=UserFactory(), graded_at=timezone.now())


def test_class_str_falls_back_to_course_and_semester():
    klass = ClassListFactory(name="", course=CourseFactory(name="Go"), semester=3)
    assert str(klass) == "Go 3"
    assert str(ClassListFactory(name="Python full-stack S9")) == "Python full-stack S9"
    assert klass.end_date - klass.start_date == timedelta(days=180)
