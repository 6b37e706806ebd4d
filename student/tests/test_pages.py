"""What the student sees: classes, lessons, homework, grades, contract."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from student.tests.conftest import add_document, add_lesson, grade, upload
from teacher.models import StudyRecord
from tests.factories import EnrollmentFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, school):
    client.force_login(school.user)
    return client


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_home_shows_lessons_average_and_rank(client, school):
    page = html(client.get(reverse("student:home")))
    assert "Python S9" in page and "Alex" in page
    assert "2 of 2" in page  # lessons held of total
    assert "90.0" in page  # my average: lesson 2 is not graded yet
    assert "1 of 2" in page  # rank among the 2 graded students
    assert reverse("student:class_detail", args=[school.enrollment.pk]) in page
    assert "Linux 40" not in page


def test_class_page_shows_syllabus_lessons_and_my_records(client, school):
    record = school.record(school.lessons[0])
    record.teacher_comment = "Neat code."
    record.attendance = StudyRecord.Attendance.LATE
    record.save()
    page = html(
        client.get(reverse("student:class_detail", args=[school.enrollment.pk]))
    )
    for text in (
        "Basics",
        "Web frameworks",
        "Lesson title 1",
        "Content of lesson 1",
        "Homework 1",
        "Requirements of homework 2",
        "Late",
        "A (90)",
        "Neat code.",
        "Graded",
        "Not submitted",
    ):
        assert text in page, text
    # Only the ungraded lesson offers an upload form.
    assert page.count('data-testid="homework-form"') == 1
    record2 = school.record(school.lessons[1])
    assert reverse("student:homework_submit", args=[record2.pk]) in page
    assert "Kobe" not in page


def test_submitting_homework_from_the_class_page(client, school):
    record = school.record(school.lessons[1])
    url = reverse("student:homework_submit", args=[record.pk])
    response = client.post(url, {"file": upload("hello.py", b"print('hi')\n")})
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"/student/classes/{school.enrollment.pk}/#lesson-2"
    )
    record.refresh_from_db()
    assert record.homework_original_name == "hello.py"
    page = html(client.get(response["Location"]))
    assert "Your homework for lesson 2 was received." in page
    assert "Submitted" in page and "hello.py" in page
    assert "Replace my homework" in page


def test_refused_file_is_explained(client, school):
    record = school.record(school.lessons[1])
    url = reverse("student:homework_submit", args=[record.pk])
    response = client.post(url, {"file": upload("a.exe", b"MZ\x90\x00\x03\x00")})
    page = html(client.get(response["Location"]))
    assert "is not an allowed file" in page
    record.refresh_from_db()
    assert not record.homework_file


def test_oversized_upload_is_refused_with_a_message(client, school, settings):
    settings.STUDENT_HOMEWORK_MAX_BYTES = 1000
    record = school.record(school.lessons[1])
    url = reverse("student:homework_submit", args=[record.pk])
    response = client.post(url, {"file": upload("big.txt", b"x" * 5000)})
    page = html(client.get(response["Location"]))
    assert "“big.txt” is larger than" in page
    record.refresh_from_db()
    assert not record.homework_file


def test_graded_lesson_refuses_a_replacement_in_the_view_too(client, school):
    record = school.record(school.lessons[0])
    url = reverse("student:homework_submit", args=[record.pk])
    response = client.post(url, {"file": upload("late.py", b"1\n")})
    page = html(client.get(response["Location"]))
    assert "can no longer be replaced" in page
    record.refresh_from_db()
    assert not record.homework_file


def test_own_homework_downloads_as_a_plain_attachment(client, school):
    record = school.record(school.lessons[1])
    client.post(
        reverse("student:homework_submit", args=[record.pk]),
        {"file": upload("page.html", b"<script>alert(1)</script>\n")},
    )
    response = client.get(reverse("student:homework_file", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="page.html"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>\n"


def test_homework_file_of_a_lesson_without_submission_is_404(client, school):
    record = school.record(school.lessons[1])
    url = reverse("student:homework_file", args=[record.pk])
    assert client.get(url).status_code == 404


def test_grades_page_shows_my_scores_rank_and_class_average_but_no_names(
    client, school
):
    grade(school.record(school.lessons[1]), -100)  # COPY
    grade(school.record(school.lessons[1], school.classmate), 70)
    page = html(client.get(reverse("student:grades", args=[school.enrollment.pk])))
    assert "COPY (-100)" in page and "A (90)" in page
    assert "-5.0" in page  # my average (90 - 100) / 2
    assert "2 of 2" in page  # Kobe averages 75
    assert "35.0" in page  # class average of (-5, 75)
    assert "85.0" in page  # class average of lesson 1 (90, 80)
    assert "COPY −100 (copied homework)" in page  # the rule is on the page
    assert "Kobe" not in page


def test_contract_page_shows_contract_approval_payments_and_own_documents(
    client, school
):
    mine = add_document(school.enrollment, "my-id.png")
    add_document(school.classmate, "kobe-id.png")
    page = html(client.get(reverse("student:contract", args=[school.enrollment.pk])))
    assert "Contract: Li Lei enrols in Python S9 for 9800.00." in page
    assert "Price 9800.00 · paid 1000.00 · balance 8800.00" in page
    assert "Approved" in page
    assert "my-id.png" in page and "kobe-id.png" not in page
    response = client.get(
        reverse("student:document", args=[school.enrollment.pk, mine.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"


def _grow_class(school, *, classmates: int, lessons: int):
    enrollments = [school.enrollment, school.classmate] + [
        EnrollmentFactory(class_list=school.class_list, approved=True)
        for _ in range(classmates)
    ]
    start = school.class_list.course_records.count() + 1
    for number in range(start, start + lessons):
        lesson = add_lesson(school.class_list, number, dict.fromkeys(enrollments, 80))
        record = StudyRecord.objects.get(
            course_record=lesson, enrollment=school.enrollment
        )
        record.homework_file.save("x.py", ContentFile(b"1"), save=False)
        record.homework_original_name = "x.py"
        record.save()


@pytest.mark.parametrize(
    "name", ["student:home", "student:class_detail", "student:grades"]
)
def test_queries_do_not_grow_with_students_or_lessons(
    client, school, name, django_assert_max_num_queries
):
    args = [] if name == "student:home" else [school.enrollment.pk]
    url = reverse(name, args=args)
    with django_assert_max_num_queries(12) as small:
        html(client.get(url))
    _grow_class(school, classmates=8, lessons=6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = html(client.get(url))
    assert "Lesson title 8" in page or name == "student:home"


def test_contract_queries_do_not_grow_with_payments_and_documents(
    client, school, django_assert_max_num_queries
):
    url = reverse("student:contract", args=[school.enrollment.pk])
    with django_assert_max_num_queries(12) as small:
        html(client.get(url))
    for _ in range(3):
        add_document(school.enrollment)
    PaymentFactory.create_batch(4, enrollment=school.enrollment)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html(client.get(url))


def test_a_lesson_with_homework_but_no_record_says_what_to_do(client, school):
    """A student who has no record of a lesson (joined before approvals gave one)."""
    add_lesson(school.class_list, 3, {school.classmate: None})
    page = html(
        client.get(reverse("student:class_detail", args=[school.enrollment.pk]))
    )
    lesson3 = page.split('data-testid="lesson-3"')[1].split("</article>")[0]
    assert 'data-testid="no-record"' in lesson3
    assert (
        "You joined the class after this lesson was recorded, so its homework "
        "cannot be handed in here. Ask Alex how to hand it in: send a question "
        "about this class."
    ) in lesson3
    ask = reverse("student:questions") + f"?class={school.class_list.pk}"
    assert f'href="{ask}"' in lesson3
    assert 'data-testid="homework-form"' not in lesson3


def test_a_lesson_without_homework_and_no_record_only_notes_it(client, school):
    add_lesson(
        school.class_list,
        3,
        {school.classmate: None},
        has_homework=False,
        homework_title="",
        homework_requirements="",
    )
    page = html(
        client.get(reverse("student:class_detail", args=[school.enrollment.pk]))
    )
    lesson3 = page.split('data-testid="lesson-3"')[1].split("</article>")[0]
    assert "You have no record for this lesson" in lesson3
    assert 'data-testid="no-record"' not in lesson3


@pytest.mark.parametrize("value", ["mine", "theirs", "abc", "１２", "9" * 30])
def test_the_ask_form_preselects_the_class_of_the_link(client, school, value):
    mine = school.class_list.pk
    chosen = {
        "mine": mine,
        "theirs": school.stranger_enrollment.class_list_id,
    }.get(value, value)
    page = html(client.get(reverse("student:questions"), {"class": chosen}))
    assert (f'<option value="{mine}" selected>' in page) == (value == "mine")
    assert "Linux 40" not in page


def test_lessons_without_a_record_name_the_teachers_in_one_query(
    client, school, django_assert_max_num_queries
):
    url = reverse("student:class_detail", args=[school.enrollment.pk])
    add_lesson(school.class_list, 3, {school.classmate: None})
    with django_assert_max_num_queries(20) as one:
        html(client.get(url))
    for number in (4, 5, 6):
        add_lesson(school.class_list, number, {school.classmate: None})
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert html(client.get(url)).count("Ask Alex how to hand it in") == 4
