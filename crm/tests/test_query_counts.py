"""The enrollment form and the customer page cost a small, constant number of queries.

Constant: more documents, reviewers, follow-ups or payments add no query.
The counts are exact, so that a new query is a decision, not an accident.
"""

import pytest
from django.test import Client

from accounts.models import Notification
from crm.models import Enrollment
from crm.services import enrollment_link_create
from crm.tests.test_enrollment import form_data, png
from crm.tests.test_leads import sales_user
from tests.factories import (
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    FollowUpFactory,
    PaymentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Two rate counters (the address, the link), the link with its enrollment,
# customer and class, the documents.
ENROLLMENT_FORM_QUERIES = 4
# The above, the form's checks (unique QQ and phone, the consultant), the
# locked link, the enrollment and its documents, the writes. The reviewers
# and the one insert of all their notifications are a job (crm.tasks).
ENROLLMENT_SUBMIT_QUERIES = 23
# The customer page; + 3 for its trial lessons (timetable.trial_views): may
# the user book for this lead, the lead's trials, the sessions offered;
# + 1 for the lead forms it came through (crm.capture).
CUSTOMER_PAGE_QUERIES = 9 + 3 + 1


@pytest.fixture
def link():
    sales = sales_user("sales_b")
    customer = CustomerFactory(qq="52013140", phone="13800001001", consultant=sales)
    klass = ClassListFactory()
    link, token = enrollment_link_create(customer=customer, class_list=klass, by=sales)
    link.token = token
    return link


@pytest.fixture
def client_of_link(link):
    client = Client()
    client.get(f"/enroll/{link.token}/")  # a first visit sets the CSRF cookie
    return client


def test_the_enrollment_form_costs_the_same_with_documents(
    link, client_of_link, django_assert_num_queries
):
    url = f"/enroll/{link.token}/"
    with django_assert_num_queries(ENROLLMENT_FORM_QUERIES):
        assert client_of_link.get(url).status_code == 200
    client_of_link.post(url, {"action": "upload", "documents": [png(), png("b.png")]})
    with django_assert_num_queries(ENROLLMENT_FORM_QUERIES):
        html = client_of_link.get(url).content.decode()
    assert "b.png" in html


@pytest.mark.parametrize("extra_reviewers", [0, 6])
def test_submitting_costs_the_same_however_many_reviewers_are_told(
    link,
    client_of_link,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    extra_reviewers,
):
    for n in range(extra_reviewers):
        UserFactory(username=f"boss{n}", is_superuser=True)
    url = f"/enroll/{link.token}/"
    client_of_link.post(url, {"action": "upload", "documents": png()})
    # The request's own queries; the reviewers are told by a job after it.
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_num_queries(ENROLLMENT_SUBMIT_QUERIES),
    ):
        response = client_of_link.post(url, form_data(link.enrollment.customer))
    assert "was submitted" in response.content.decode()
    assert Enrollment.objects.get().state == "submitted"
    told = Notification.objects.filter(text__contains="submitted the enrollment")
    assert told.count() == 1 + extra_reviewers  # the consultant, the superusers


def test_the_customer_page_costs_the_same_with_more_history(
    client, django_assert_num_queries
):
    sales = sales_user("sales_a")
    enrollment = EnrollmentFactory(consultant=sales, customer__consultant=sales)
    customer = enrollment.customer
    FollowUpFactory(customer=customer)
    PaymentFactory(enrollment=enrollment)
    client.force_login(sales)
    url = f"/crm/customers/{customer.pk}/"
    client.get(url)
    with django_assert_num_queries(CUSTOMER_PAGE_QUERIES):
        assert client.get(url).status_code == 200
    for _ in range(8):
        FollowUpFactory(customer=customer)
        PaymentFactory(enrollment=enrollment)
    PaymentFactory(enrollment=EnrollmentFactory(customer=customer, consultant=sales))
    with django_assert_num_queries(CUSTOMER_PAGE_QUERIES):
        html = client.get(url).content.decode()
    assert html.count("Called, interested.") == 9
