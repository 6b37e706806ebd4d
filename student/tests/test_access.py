"""Access rules: a student reaches only their own rows; anything else is a 404."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.models import Enrollment
from kingadmin.permissions import registry
from student import urls as student_urls
from student.models import Question
from student.services import homework_submit, question_ask
from student.tests.conftest import add_document, upload
from tests.factories import ClassListFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_student_url_is_guarded_by_a_rule():
    for pattern in student_urls.urlpatterns:
        assert registry.guards(f"student:{pattern.name}"), pattern.name


@pytest.fixture
def foreign(school):
    """Rows of other students the logged-in student must not reach."""
    classmate_record = school.record(school.lessons[1], school.classmate)
    homework_submit(
        study_record=classmate_record,
        upload=upload("kobe.py", b"1\n"),
        by=_give_login(school.classmate),
    )
    stranger_record = school.stranger_enrollment.study_records.get()
    pending = EnrollmentFactory(
        customer=school.enrollment.customer,
        class_list=ClassListFactory(name="Pending"),
        state=Enrollment.State.SUBMITTED,
    )
    return {
        "classmate_enrollment": school.classmate,
        "stranger_enrollment": school.stranger_enrollment,
        "pending_enrollment": pending,
        "classmate_document": add_document(school.classmate),
        "stranger_document": add_document(school.stranger_enrollment),
        "pending_document": add_document(pending),
        "classmate_record": classmate_record,
        "stranger_record": stranger_record,
        "open_question": question_ask(
            author=school.stranger, title="Stranger's", body="?"
        ),
    }


def _give_login(enrollment):
    customer = enrollment.customer
    customer.user = UserFactory()
    customer.save()
    return customer.user


def foreign_requests(school, f):
    mine = school.enrollment.pk
    my_record = school.record(school.lessons[1]).pk
    my_document = add_document(school.enrollment).pk
    gets = []
    for key in ("classmate_enrollment", "stranger_enrollment", "pending_enrollment"):
        pk = f[key].pk
        gets += [
            reverse("student:class_detail", args=[pk]),
            reverse("student:grades", args=[pk]),
            reverse("student:contract", args=[pk]),
            reverse("student:document", args=[pk, my_document]),
        ]
    for key in ("classmate_document", "stranger_document", "pending_document"):
        doc = f[key]
        gets.append(reverse("student:document", args=[doc.enrollment_id, doc.pk]))
        gets.append(reverse("student:document", args=[mine, doc.pk]))
    for key in ("classmate_record", "stranger_record"):
        gets.append(reverse("student:homework_file", args=[f[key].pk]))
    gets.append(reverse("student:question_detail", args=[f["open_question"].pk]))
    gets += [
        reverse("student:class_detail", args=[999_999]),
        reverse("student:homework_file", args=[my_record + 999_999]),
    ]
    posts = [
        reverse("student:homework_submit", args=[f[key].pk])
        for key in ("classmate_record", "stranger_record")
    ]
    return gets, posts


def test_other_students_ids_are_404_on_every_url(client, school, foreign):
    client.force_login(school.user)
    gets, posts = foreign_requests(school, foreign)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        response = client.post(url, {"file": upload("evil.py", b"1\n")})
        assert response.status_code == 404, url
    classmate_record = foreign["classmate_record"]
    classmate_record.refresh_from_db()
    assert classmate_record.homework_original_name == "kobe.py"


def test_my_own_ids_work_on_the_same_urls(client, school):
    client.force_login(school.user)
    mine = school.enrollment.pk
    doc = add_document(school.enrollment)
    for url in (
        reverse("student:class_detail", args=[mine]),
        reverse("student:grades", args=[mine]),
        reverse("student:contract", args=[mine]),
        reverse("student:document", args=[mine, doc.pk]),
    ):
        assert client.get(url).status_code == 200, url


STUDENT_GETS = ["student:home", "student:questions"]


def test_anonymous_visitors_are_sent_to_log_in(client, school):
    for name in [*STUDENT_GETS, "student:question_open_list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    url = reverse("student:homework_submit", args=[school.record(school.lessons[1]).pk])
    response = client.post(url, {"file": upload("a.py", b"1\n")})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_users_without_the_student_rule_get_403(client, school):
    client.force_login(school.teacher)
    for name in STUDENT_GETS:
        assert client.get(reverse(name)).status_code == 403
    url = reverse("student:class_detail", args=[school.enrollment.pk])
    assert client.get(url).status_code == 403


def test_students_cannot_reach_the_answering_pages(client, school):
    question = question_ask(author=school.user, title="Mine", body="?")
    client.force_login(school.user)
    assert client.get(reverse("student:question_open_list")).status_code == 403
    url = reverse("student:question_answer", args=[question.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "I answer myself"}).status_code == 403
    question.refresh_from_db()
    assert question.status == Question.Status.OPEN


def _csrf_client(user, page_url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get(page_url).context["csrf_token"]
    return client, str(token)


def test_homework_post_needs_the_csrf_token(school):
    record = school.record(school.lessons[1])
    page = reverse("student:class_detail", args=[school.enrollment.pk])
    client, token = _csrf_client(school.user, page)
    url = reverse("student:homework_submit", args=[record.pk])
    response = client.post(url, {"file": upload("a.py", b"1\n")})
    assert response.status_code == 403
    record.refresh_from_db()
    assert not record.homework_file
    response = client.post(
        url, {"csrfmiddlewaretoken": token, "file": upload("a.py", b"1\n")}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.homework_original_name == "a.py"


def test_question_post_needs_the_csrf_token(school):
    client, token = _csrf_client(school.user, reverse("student:questions"))
    data = {"title": "Hi", "body": "?"}
    assert client.post(reverse("student:questions"), data).status_code == 403
    assert not Question.objects.exists()
    response = client.post(
        reverse("student:questions"), {**data, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and Question.objects.count() == 1


def test_answer_post_needs_the_csrf_token(school):
    question = question_ask(author=school.user, title="Hi", body="?")
    url = reverse("student:question_answer", args=[question.pk])
    client, token = _csrf_client(school.teacher, url)
    assert client.post(url, {"body": "A"}).status_code == 403
    question.refresh_from_db()
    assert question.status == Question.Status.OPEN
    response = client.post(url, {"body": "A", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED


def test_homework_submit_refuses_get(client, school):
    client.force_login(school.user)
    url = reverse("student:homework_submit", args=[school.record(school.lessons[1]).pk])
    assert client.get(url).status_code == 405
