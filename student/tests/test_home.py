import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.models import Enrollment
from tests.factories import (
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("student:home")


@pytest.fixture
def student_role(db):
    return RoleFactory(
        name="Student",
        permissions=[Permission.objects.get(codename="use_student_portal")],
    )


def test_student_sees_their_approved_classes_only(client, student_role):
    user = UserFactory(roles=[student_role])
    customer = CustomerFactory(user=user)
    EnrollmentFactory(
        customer=customer,
        class_list=ClassListFactory(
            name="Python S9", teachers=[UserFactory(display_name="Alex")]
        ),
        approved=True,
    )
    EnrollmentFactory(
        customer=customer,
        class_list=ClassListFactory(name="Pending class"),
        state=Enrollment.State.SUBMITTED,
    )
    EnrollmentFactory(
        class_list=ClassListFactory(name="Another student's"), approved=True
    )
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert "Python S9" in html and "Alex" in html
    assert "Pending class" not in html and "Another student" not in html


def test_student_account_without_customer_record_sees_an_empty_portal(
    client, student_role
):
    client.force_login(UserFactory(roles=[student_role]))
    response = client.get(URL)
    assert response.status_code == 200
    assert "not enrolled in any class yet" in response.content.decode()


def test_queries_do_not_grow_with_the_number_of_enrollments(
    client, student_role, django_assert_max_num_queries
):
    user = UserFactory(roles=[student_role])
    customer = CustomerFactory(user=user)
    EnrollmentFactory(customer=customer, approved=True)
    client.force_login(user)
    with django_assert_max_num_queries(10) as small:
        client.get(URL)
    for _ in range(5):
        EnrollmentFactory(
            customer=customer,
            approved=True,
            class_list=ClassListFactory(teachers=[UserFactory(), UserFactory()]),
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(URL)
