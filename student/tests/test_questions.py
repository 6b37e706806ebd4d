"""Q&A: search the answered questions, ask, and the staff's answering pages."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from student.models import Question
from student.selectors import normalize_search, question_search
from student.services import question_answer, question_ask
from tests.factories import ClassListFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

QUESTIONS = reverse("student:questions")
OPEN = reverse("student:question_open_list")


def answered(school, title, body, answer, *, author=None, class_list=None):
    question = question_ask(
        author=author or school.user, title=title, body=body, class_list=class_list
    )
    question_answer(question=question, author=school.teacher, body=answer)
    return question


@pytest.fixture
def archive(school):
    """Three answered questions (Chinese and English) and one still open."""
    return {
        "decorator": answered(
            school,
            "什么是装饰器？",
            "第三课讲的装饰器没听懂。",
            "装饰器是一个接收函数并返回函数的函数。",
        ),
        "venv": answered(
            school,
            "Virtual environments",
            "How do I create one on Windows?",
            "Run python -m venv .venv then activate it.",
            author=school.stranger,
        ),
        "git": answered(
            school, "Git push refused", "It says rejected.", "Pull first, then PUSH."
        ),
        "open": question_ask(
            author=school.stranger, title="Decorator with arguments?", body="..."
        ),
    }


def titles(results):
    return {question.title for question in results}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("装饰器", {"什么是装饰器？"}),
        ("返回函数", {"什么是装饰器？"}),  # only in the answer
        ("VIRTUAL", {"Virtual environments"}),  # case-insensitive
        ("windows", {"Virtual environments"}),  # only in the body
        ("push", {"Git push refused"}),
        ("pull push", {"Git push refused"}),  # every term must match
        ("pull venv", set()),
        ("decorator", set()),  # the open question is not searchable
        ("100%", set()),
        ("_", set()),
    ],
)
def test_search_finds_answered_questions_by_title_body_and_answer(
    archive, query, expected
):
    assert titles(question_search(query=query)) == expected


@pytest.mark.parametrize(
    "query",
    ["", "   ", "\x00", "\x00\x01\x1b", None, "\u202e\u200b", "x" * 100_000],
)
def test_empty_and_garbage_queries_find_nothing_and_do_not_fail(archive, query):
    assert list(question_search(query=query)) == []


def test_nul_bytes_inside_a_query_are_dropped():
    assert normalize_search("装饰\x00器  git\tpush") == ["装饰器", "git", "push"]
    assert len(normalize_search("a " * 1000)) == 5
    assert len("".join(normalize_search("y" * 10_000))) == 100


@pytest.fixture
def student_client(client, school):
    client.force_login(school.user)
    return client


def test_search_page_shows_results_with_answers_and_no_asker_names(
    student_client, school, archive
):
    page = student_client.get(QUESTIONS, {"q": "venv"}).content.decode()
    assert "Virtual environments" in page
    assert "Run python -m venv .venv then activate it." in page
    assert "Alex answered on" in page
    assert "Stranger" not in page  # who asked stays private


def test_search_page_says_when_nothing_matches_and_prefills_the_question(
    student_client, archive
):
    response = student_client.get(QUESTIONS, {"q": "  lambda\x00 closure "})
    page = response.content.decode()
    assert response.status_code == 200
    assert "No answered question matches “lambda closure”" in page
    assert 'value="lambda closure"' in page  # the ask form's title


@pytest.mark.parametrize("query", ["\x00", "%", "x" * 50_000, "' OR 1=1 --"])
def test_garbage_in_the_search_box_is_a_normal_page(student_client, archive, query):
    assert student_client.get(QUESTIONS, {"q": query}).status_code == 200


def test_my_questions_list_shows_mine_only_with_answers(
    student_client, school, archive
):
    page = student_client.get(QUESTIONS).content.decode()
    assert "什么是装饰器？" in page and "装饰器是一个接收函数" in page
    assert "Decorator with arguments?" not in page  # the stranger's open question


def test_asking_a_question_about_my_class(student_client, school):
    response = student_client.post(
        QUESTIONS,
        {
            "title": "列表推导式怎么写？",
            "body": "第二课的作业。",
            "class_list": school.class_list.pk,
        },
    )
    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "student:question_detail", args=[question.pk]
    )
    assert question.author == school.user and question.class_list == school.class_list
    page = student_client.get(response["Location"]).content.decode()
    assert "列表推导式怎么写？" in page and "No answer yet" in page


def test_class_choices_are_my_classes_only(student_client, school):
    page = student_client.get(QUESTIONS).content.decode()
    assert "Python S9" in page and "Linux 40" not in page
    response = student_client.post(
        QUESTIONS,
        {
            "title": "Hi",
            "body": "?",
            "class_list": school.stranger_enrollment.class_list_id,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Question.objects.exists()


def test_asking_without_title_shows_the_error(student_client):
    response = student_client.post(QUESTIONS, {"title": "", "body": "x"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Question.objects.exists()


def test_answered_questions_of_others_are_readable_open_ones_are_not(
    student_client, archive
):
    url = reverse("student:question_detail", args=[archive["venv"].pk])
    page = student_client.get(url).content.decode()
    assert "Asked by a student" in page and "stranger" not in page.lower()
    url = reverse("student:question_detail", args=[archive["open"].pk])
    assert student_client.get(url).status_code == 404


# --- the staff's side ------------------------------------------------------


def test_teacher_sees_open_questions_of_own_classes_and_without_class(
    client, school, django_assert_max_num_queries
):
    mine = question_ask(
        author=school.user, title="About S9", body="?", class_list=school.class_list
    )
    general = question_ask(author=school.stranger, title="General", body="?")
    other = question_ask(
        author=school.stranger,
        title="About Linux",
        body="?",
        class_list=school.stranger_enrollment.class_list,
    )
    client.force_login(school.teacher)
    with django_assert_max_num_queries(12) as small:
        page = client.get(OPEN).content.decode()
    assert "About S9" in page and "General" in page
    assert "About Linux" not in page
    for _ in range(5):
        question_ask(author=school.user, title="More", body="?")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(OPEN)
    answer_url = reverse("student:question_answer", args=[other.pk])
    assert client.get(answer_url).status_code == 404
    assert client.post(answer_url, {"body": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == Question.Status.OPEN
    assert mine.pk and general.pk


def test_teacher_answers_and_the_student_is_notified_and_sees_it(client, school):
    question = question_ask(
        author=school.user, title="About S9", body="?", class_list=school.class_list
    )
    client.force_login(school.teacher)
    url = reverse("student:question_answer", args=[question.pk])
    assert "About S9" in client.get(url).content.decode()
    response = client.post(url, {"body": "Read chapter 3."})
    assert response.status_code == 302 and response["Location"] == OPEN
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED
    assert "About S9" not in client.get(OPEN).content.decode()
    note = Notification.objects.get(recipient=school.user)
    client.force_login(school.user)
    page = client.get(note.link).content.decode()
    assert "Read chapter 3." in page and "Alex answered on" in page
    assert "About S9" in client.get(QUESTIONS, {"q": "chapter"}).content.decode()


def test_empty_answer_is_refused_with_a_message(client, school):
    question = question_ask(author=school.user, title="Q", body="?")
    client.force_login(school.teacher)
    response = client.post(
        reverse("student:question_answer", args=[question.pk]), {"body": "  "}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_staff_with_answer_all_questions_and_superusers_see_every_class(school):
    question_ask(
        author=school.stranger,
        title="About Linux",
        body="?",
        class_list=school.stranger_enrollment.class_list,
    )
    staff = UserFactory(
        roles=[
            RoleFactory(
                permissions=[Permission.objects.get(codename="answer_all_questions")]
            )
        ]
    )
    for user in (staff, UserFactory(is_superuser=True)):
        client = Client()
        client.force_login(user)
        assert "About Linux" in client.get(OPEN).content.decode()


def test_a_teacher_of_another_class_only_sees_questions_without_class(school):
    question_ask(
        author=school.user, title="About S9", body="?", class_list=school.class_list
    )
    question_ask(author=school.user, title="General", body="?")
    other_teacher = UserFactory(roles=list(school.teacher.roles.all()))
    ClassListFactory(teachers=[other_teacher])
    client = Client()
    client.force_login(other_teacher)
    page = client.get(OPEN).content.decode()
    assert "General" in page and "About S9" not in page


def test_questions_page_queries_do_not_grow_with_questions_and_answers(
    student_client, school, django_assert_max_num_queries
):
    answered(school, "Python one", "body", "answer")
    with django_assert_max_num_queries(15) as small:
        student_client.get(QUESTIONS, {"q": "python"})
    for number in range(6):
        question = answered(school, f"Python {number}", "body", "first answer")
        question_answer(question=question, author=school.teacher, body="second")
        question_ask(author=school.user, title=f"Open {number}", body="?")
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = student_client.get(QUESTIONS, {"q": "python"}).content.decode()
    assert "Python 5" in page and "Open 5" in page
