from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from crm.models import Enrollment
from tests.factories import (
    ClassListFactory,
    CourseRecordFactory,
    EnrollmentFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("teacher:class_list")


@pytest.fixture
def teacher(db):
    role = RoleFactory(
        name="Teacher",
        permissions=[Permission.objects.get(codename="use_teacher_portal")],
    )
    return UserFactory(username="teacher", roles=[role])


def test_teacher_sees_only_the_classes_they_teach_with_counts(client, teacher):
    mine = ClassListFactory(name="Python S9", teachers=[teacher])
    ClassListFactory(name="Not mine", teachers=[UserFactory()])
    EnrollmentFactory.create_batch(2, class_list=mine, approved=True)
    EnrollmentFactory(class_list=mine, state=Enrollment.State.SUBMITTED)
    CourseRecordFactory.create_batch(3, class_list=mine, teacher=teacher)
    client.force_login(teacher)
    response = client.get(URL)
    html = response.content.decode()
    assert "Python S9" in html and "Not mine" not in html
    [row] = response.context["classes"]
    assert (row.student_count, row.lesson_count) == (2, 3)


def test_queries_do_not_grow_with_the_number_of_classes(
    client, teacher, django_assert_max_num_queries
):
    client.force_login(teacher)
    ClassListFactory(teachers=[teacher])
    with django_assert_max_num_queries(9) as small:
        client.get(URL)
    ClassListFactory.create_batch(10, teachers=[teacher])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(URL)


def test_sales_user_cannot_open_the_teacher_portal(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_next_lesson_is_the_earliest_lesson_recorded_from_today(client, teacher):
    mine = ClassListFactory(name="Python S9", teachers=[teacher])
    today = timezone.localdate()
    for number, days in ((1, -2), (2, 3), (3, 10)):
        CourseRecordFactory(
            class_list=mine,
            lesson_number=number,
            teacher=teacher,
            date=today + timedelta(days=days),
        )
    client.force_login(teacher)
    [row] = client.get(URL).context["classes"]
    assert row.next_lesson_date == today + timedelta(days=3)
    assert row.last_lesson_number == 3
