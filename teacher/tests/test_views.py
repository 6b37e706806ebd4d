import io
import zipfile
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from teacher.models import CourseRecord, StudyRecord
from teacher.tests.conftest import add_students, hand_in
from tests.factories import CourseRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, teacher):
    client.force_login(teacher)
    return client


def url(name, *args):
    return reverse(f"teacher:{name}", args=args)


def zip_entries(response) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    return {name: archive.read(name) for name in archive.namelist()}


def test_class_list_links_each_class_and_shows_the_next_lesson(client, school):
    html = client.get(url("class_list")).content.decode()
    assert url("class_detail", school.mine.pk) in html
    assert "Linux 40" not in html
    assert "Lesson 2, not recorded yet" in html


def test_class_page_shows_attendance_rate_average_score_and_lessons(
    client, school, teacher
):
    kobe = school.enrollments[0]
    second = CourseRecordFactory(
        class_list=school.mine, lesson_number=2, teacher=teacher, title="Loops"
    )
    StudyRecord.objects.filter(course_record=school.lesson, enrollment=kobe).update(
        attendance="late", score=90, graded_by=teacher, graded_at=second.created_at
    )
    StudyRecord.objects.create(
        enrollment=kobe,
        course_record=second,
        attendance="absent",
        score=-100,
        graded_by=teacher,
        graded_at=second.created_at,
    )
    response = client.get(url("class_detail", school.mine.pk))
    students = {s.customer.name: s for s in response.context["students"]}
    assert set(students) == {"Kobe", "李雷", "Han"}
    assert (students["Kobe"].attended_count, students["Kobe"].lesson_count) == (1, 2)
    assert students["Kobe"].average_score == -5
    assert students["Han"].average_score is None
    html = response.content.decode()
    assert "50%" in html and "late 1, absent 1" in html and "-5.0" in html
    assert "Lesson 2: Loops" in html and "Lesson 1: Basics" in html
    assert url("roll_call", second.pk) in html


def test_lesson_form_proposes_the_next_number_and_creates_records(
    client, school, teacher
):
    response = client.get(url("lesson_create", school.mine.pk))
    assert response.context["form"]["lesson_number"].value() == 2
    response = client.post(
        url("lesson_create", school.mine.pk),
        {
            "lesson_number": "",
            "date": "2026-09-03",
            "title": "Data types",
            "content": "int, str",
            "has_homework": "on",
            "homework_title": "Guess the number",
            "homework_requirements": "At most 7 tries.",
        },
        follow=True,
    )
    lesson = CourseRecord.objects.get(class_list=school.mine, lesson_number=2)
    assert (lesson.title, lesson.date, lesson.teacher) == (
        "Data types",
        date(2026, 9, 3),
        teacher,
    )
    assert lesson.study_records.count() == 3
    assert response.redirect_chain[-1][0] == url("class_detail", school.mine.pk)
    assert "Lesson 2 of Python S9 was recorded." in response.content.decode()


def test_lesson_form_shows_a_taken_number_on_the_number_field(client, school):
    response = client.post(
        url("lesson_create", school.mine.pk),
        {"lesson_number": "1", "date": "2026-09-03", "title": "Again"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "lesson_number": ["This class already has a lesson with this number."]
    }
    assert not CourseRecord.objects.filter(title="Again").exists()


def test_lesson_form_needs_a_homework_title_only_with_homework(client, school):
    data = {"date": "2026-09-03", "title": "Talk", "homework_title": "Ignored"}
    response = client.post(url("lesson_create", school.mine.pk), data)
    assert response.status_code == 302
    assert CourseRecord.objects.get(title="Talk").homework_title == ""
    response = client.post(
        url("lesson_create", school.mine.pk),
        {**data, "has_homework": "on", "homework_title": ""},
    )
    assert "Give the homework a title." in response.content.decode()


def test_roll_call_preselects_present_saves_in_one_post_and_can_be_redone(
    client, school
):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    html = client.get(url("roll_call", school.lesson.pk)).content.decode()
    assert html.count('value="present" class="btn-check"') == 3
    assert html.count("checked") == 3
    response = client.post(
        url("roll_call", school.lesson.pk),
        {
            f"attendance-{kobe.pk}": "late",
            f"attendance-{li.pk}": "present",
            f"attendance-{han.pk}": "absent",
        },
        follow=True,
    )
    assert "The roll call was saved." in response.content.decode()
    states = dict(school.lesson.study_records.values_list("pk", "attendance"))
    assert states == {kobe.pk: "late", li.pk: "present", han.pk: "absent"}
    form = response.context["form"]
    assert form[f"attendance-{kobe.pk}"].value() == "late"
    client.post(
        url("roll_call", school.lesson.pk), {f"attendance-{kobe.pk}": "present"}
    )
    kobe.refresh_from_db()
    assert kobe.attendance == "present"


def test_roll_call_refuses_an_unknown_state(client, school):
    kobe = school.record_of(school.enrollments[0])
    response = client.post(
        url("roll_call", school.lesson.pk), {f"attendance-{kobe.pk}": "asleep"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    kobe.refresh_from_db()
    assert kobe.attendance == "present"


def test_grading_saves_every_score_and_comment_in_one_post(client, school, teacher):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    hand_in(kobe, b"print(1)")
    html = client.get(url("grading", school.lesson.pk)).content.decode()
    for label in ("A+", "B-", "C-", "D", "N/A", "COPY", "Not graded"):
        assert f">{label}</option>" in html
    response = client.post(
        url("grading", school.lesson.pk),
        {
            f"score-{kobe.pk}": "85",
            f"comment-{kobe.pk}": "Neat, but test the edge cases.",
            f"score-{li.pk}": "-100",
            f"comment-{li.pk}": "Copied.",
            f"score-{han.pk}": "",
            f"comment-{han.pk}": "",
        },
        follow=True,
    )
    assert "The grades were saved." in response.content.decode()
    grades = {
        r.pk: (r.score, r.teacher_comment, r.graded_by)
        for r in school.lesson.study_records.all()
    }
    assert grades == {
        kobe.pk: (85, "Neat, but test the edge cases.", teacher),
        li.pk: (-100, "Copied.", teacher),
        han.pk: (None, "", None),
    }
    assert '<option value="85" selected>B+</option>' in response.content.decode()


def test_grading_refuses_a_score_off_the_scale(client, school):
    kobe = school.record_of(school.enrollments[0])
    response = client.post(
        url("grading", school.lesson.pk),
        {f"score-{kobe.pk}": "95", f"comment-{kobe.pk}": ""},
    )
    assert "Select a valid choice" in response.content.decode()
    kobe.refresh_from_db()
    assert kobe.score is None


def test_homework_page_lists_who_handed_in_and_when(client, school):
    kobe = school.record_of(school.enrollments[0])
    hand_in(kobe, b"print('hi')\n", "guess.py")
    response = client.get(url("homework", school.lesson.pk))
    html = response.content.decode()
    assert "1 of 3 students handed in their homework." in html
    assert "guess.py" in html and html.count("Not handed in") == 2
    assert url("homework_download", school.lesson.pk, kobe.pk) in html
    assert url("homework_zip", school.lesson.pk) in html


def test_one_homework_file_downloads_as_an_attachment_named_after_the_student(
    client, school
):
    kobe = school.record_of(school.enrollments[0])
    hand_in(kobe, b"<script>alert(1)</script>", "page.HTML")
    response = client.get(url("homework_download", school.lesson.pk, kobe.pk))
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    customer_id = kobe.enrollment.customer_id
    assert response["Content-Disposition"] == (
        # A suffix off the allow-list is never stored, so never served.
        f'attachment; filename="Kobe-{customer_id}"'
    )
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_a_record_without_homework_has_no_download(client, school):
    kobe = school.record_of(school.enrollments[0])
    response = client.get(url("homework_download", school.lesson.pk, kobe.pk))
    assert response.status_code == 404


def test_a_file_missing_from_storage_answers_404(client, school):
    kobe = school.record_of(school.enrollments[0])
    hand_in(kobe, b"gone soon")
    kobe.homework_file.storage.delete(kobe.homework_file.name)
    response = client.get(url("homework_download", school.lesson.pk, kobe.pk))
    assert response.status_code == 404


def test_zip_holds_every_handed_in_file_named_after_student_and_id(client, school):
    kobe, li, _han = (school.record_of(e) for e in school.enrollments)
    hand_in(kobe, b"kobe's work", "guess.py")
    hand_in(li, b"%PDF-1.4 li", "Report.PDF")
    response = client.get(url("homework_zip", school.lesson.pk))
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        'attachment; filename="Python S9-lesson1-homework.zip"'
    )
    assert zip_entries(response) == {
        f"Kobe-{kobe.enrollment.customer_id}.py": b"kobe's work",
        f"李雷-{li.enrollment.customer_id}.pdf": b"%PDF-1.4 li",
    }


def test_zip_name_of_a_chinese_class_has_an_ascii_fallback(client, school):
    school.mine.name = "Python 全栈 S9"
    school.mine.save()
    response = client.get(url("homework_zip", school.lesson.pk))
    header = response["Content-Disposition"]
    assert header.startswith('attachment; filename="')
    assert "filename*=utf-8''Python%20%E5%85%A8%E6%A0%88%20S9-lesson1-homework.zip" in (
        header
    )


def test_zip_leaves_out_a_file_missing_from_storage(client, school):
    kobe, li, _han = (school.record_of(e) for e in school.enrollments)
    hand_in(kobe, b"kobe", "a.py")
    hand_in(li, b"li", "b.py")
    kobe.homework_file.storage.delete(kobe.homework_file.name)
    entries = zip_entries(client.get(url("homework_zip", school.lesson.pk)))
    assert list(entries) == [f"李雷-{li.enrollment.customer_id}.py"]


PAGES = ["class_detail", "roll_call", "homework", "grading", "lesson_create"]


@pytest.mark.parametrize("page", PAGES)
def test_page_queries_do_not_grow_with_students_and_lessons(
    client, school, teacher, page, django_assert_max_num_queries
):
    args = (school.mine.pk,) if page in ("class_detail", "lesson_create") else ()
    args = args or (school.lesson.pk,)

    def grow():
        lessons = [
            CourseRecordFactory(
                class_list=school.mine, lesson_number=number, teacher=teacher
            )
            for number in (2, 3, 4)
        ]
        enrollments = add_students(
            school.mine, [f"S{n}" for n in range(12)], [school.lesson, *lessons]
        )
        for enrollment in enrollments[:4]:
            hand_in(school.record_of(enrollment), b"x")

    with django_assert_max_num_queries(12) as small:
        assert client.get(url(page, *args)).status_code == 200
    grow()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url(page, *args)).status_code == 200


@pytest.mark.parametrize("page", ["roll_call", "grading"])
def test_saving_queries_do_not_grow_with_students(
    client, school, page, django_assert_max_num_queries
):
    def post_all():
        data = {}
        for record in school.lesson.study_records.all():
            if page == "roll_call":
                data[f"attendance-{record.pk}"] = "late"
            else:
                data[f"score-{record.pk}"] = "90"
                data[f"comment-{record.pk}"] = "ok"
                # Nobody handed in: the teacher confirms marking them all.
                data.setdefault("without_homework", []).append(record.pk)
                data["confirm_without_homework"] = "on"
        return client.post(url(page, school.lesson.pk), data)

    with django_assert_max_num_queries(20) as small:
        assert post_all().status_code == 302
    StudyRecord.objects.update(attendance="present", score=None, graded_by=None)
    add_students(school.mine, [f"S{n}" for n in range(20)], [school.lesson])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert post_all().status_code == 302


def test_zip_queries_do_not_grow_with_files(
    client, school, django_assert_max_num_queries
):
    hand_in(school.record_of(school.enrollments[0]), b"x")
    with django_assert_max_num_queries(10) as small:
        zip_entries(client.get(url("homework_zip", school.lesson.pk)))
    for enrollment in add_students(
        school.mine, [f"S{n}" for n in range(10)], [school.lesson]
    ):
        hand_in(school.record_of(enrollment), b"y")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(zip_entries(client.get(url("homework_zip", school.lesson.pk)))) == 11


@pytest.mark.parametrize(
    ("page", "data"),
    [
        ("lesson_create", {"date": "2026-09-03", "title": "Forged"}),
        ("roll_call", {}),
        ("grading", {}),
    ],
)
def test_posts_need_the_csrf_token(school, teacher, page, data):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(teacher)
    target = school.mine.pk if page == "lesson_create" else school.lesson.pk
    kobe = school.record_of(school.enrollments[0])
    data = data or {
        f"attendance-{kobe.pk}": "absent",
        f"score-{kobe.pk}": "100",
        f"comment-{kobe.pk}": "Forged",
    }
    response = csrf_client.post(url(page, target), data)
    assert response.status_code == 403
    kobe.refresh_from_db()
    assert (kobe.attendance, kobe.score) == ("present", None)
    assert not CourseRecord.objects.filter(title="Forged").exists()


def test_grading_shows_who_handed_nothing_in(client, school):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    hand_in(kobe, b"print(1)")
    response = client.get(url("grading", school.lesson.pk))
    html = response.content.decode()
    for record in (li, han):
        row = html.split(f'data-testid="student-{record.enrollment.customer_id}"')[1]
        assert 'data-testid="not-handed-in">Not handed in<' in row.split("</li>")[0]
    kobe_row = html.split(f'data-testid="student-{kobe.enrollment.customer_id}"')[1]
    assert "not-handed-in" not in kobe_row.split("</li>")[0]
    assert "no-homework-warning" not in html


def test_a_mark_without_homework_is_saved_only_once_confirmed(client, school):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    hand_in(kobe, b"print(1)")
    data = {
        f"score-{kobe.pk}": "90",
        f"comment-{kobe.pk}": "Good.",
        f"score-{li.pk}": "80",
        f"comment-{li.pk}": "Handed in on paper.",
        f"score-{han.pk}": "0",
        f"comment-{han.pk}": "Nothing handed in.",
    }
    response = client.post(url("grading", school.lesson.pk), data)
    assert response.status_code == 200
    html = response.content.decode()
    warning = html.split('data-testid="no-homework-warning"')[1].split("</div>")[0]
    assert "Nothing was handed in by 李雷." in warning
    assert "Nothing was saved." in html
    assert f'name="without_homework" value="{li.pk}"' in html
    # What was typed is still there, and nothing was stored.
    assert '<option value="80" selected>B</option>' in html
    assert "Handed in on paper." in html
    assert not school.lesson.study_records.filter(score__isnull=False).exists()

    # Saving again without ticking the box changes nothing either.
    again = client.post(
        url("grading", school.lesson.pk), {**data, "without_homework": [li.pk]}
    )
    assert again.status_code == 200
    assert not school.lesson.study_records.filter(score__isnull=False).exists()

    response = client.post(
        url("grading", school.lesson.pk),
        {**data, "without_homework": [li.pk], "confirm_without_homework": "on"},
        follow=True,
    )
    assert "The grades were saved." in response.content.decode()
    scores = dict(school.lesson.study_records.values_list("pk", "score"))
    assert scores == {kobe.pk: 90, li.pk: 80, han.pk: 0}


def test_grading_a_lesson_without_homework_does_not_mention_homework(
    client, school, teacher
):
    lesson = CourseRecordFactory(
        class_list=school.mine,
        lesson_number=2,
        teacher=teacher,
        has_homework=False,
        homework_title="",
    )
    kobe = StudyRecord.objects.create(
        enrollment=school.enrollments[0], course_record=lesson
    )
    html = client.get(url("grading", lesson.pk)).content.decode()
    assert "not-handed-in" not in html
    response = client.post(
        url("grading", lesson.pk), {f"score-{kobe.pk}": "90", f"comment-{kobe.pk}": ""}
    )
    assert response.status_code == 302


def test_lessons_before_a_student_joined_count_in_no_attendance_figure(
    client, school, teacher
):
    kobe, li, han = school.enrollments
    second = CourseRecordFactory(
        class_list=school.mine, lesson_number=2, teacher=teacher
    )
    StudyRecord.objects.bulk_create(
        StudyRecord(enrollment=e, course_record=second) for e in (kobe, li, han)
    )
    # Han joined after lesson 1: not enrolled yet then, present at lesson 2.
    StudyRecord.objects.filter(enrollment=han, course_record=school.lesson).update(
        attendance="not_enrolled"
    )
    StudyRecord.objects.filter(enrollment=kobe, course_record=school.lesson).update(
        attendance="absent"
    )
    response = client.get(url("class_detail", school.mine.pk))
    students = {s.customer.name: s for s in response.context["students"]}
    assert (students["Han"].attended_count, students["Han"].lesson_count) == (1, 1)
    assert (students["Kobe"].attended_count, students["Kobe"].absent_count) == (1, 1)
    html = response.content.decode()
    assert "Attended 1/2 · homework 0/3 · graded 0/3" in html  # lesson 1
    assert "Attended 3/3 · homework 0/3 · graded 0/3" in html  # lesson 2


def test_roll_call_offers_not_enrolled_yet_only_to_whom_it_applies(client, school):
    kobe, li, _han = (school.record_of(e) for e in school.enrollments)
    StudyRecord.objects.filter(pk=li.pk).update(attendance="not_enrolled")
    html = client.get(url("roll_call", school.lesson.pk)).content.decode()
    assert f'name="attendance-{li.pk}" value="not_enrolled"' in html
    assert f'name="attendance-{kobe.pk}" value="not_enrolled"' not in html
    response = client.post(
        url("roll_call", school.lesson.pk), {f"attendance-{kobe.pk}": "not_enrolled"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    kobe.refresh_from_db()
    assert kobe.attendance == "present"
