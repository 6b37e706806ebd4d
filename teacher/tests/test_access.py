"""Who reaches which page of the teacher portal.

A teacher reaches only their classes, lessons and students: another
teacher's ids answer 404, as ids that do not exist do. Users without the
portal permission get 403, anonymous visitors the login page.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from teacher.tests.conftest import hand_in

pytestmark = pytest.mark.django_db

METHODS = {
    "class_list": ("GET",),
    "class_detail": ("GET",),
    "lesson_create": ("GET", "POST"),
    "session_record": ("GET", "POST"),
    "roll_call": ("GET", "POST"),
    "homework": ("GET",),
    "homework_download": ("GET",),
    "homework_zip": ("GET",),
    "grading": ("GET", "POST"),
}


def session_of(class_list):
    """Return a session of ``class_list`` held today, not recorded yet."""
    from django.utils import timezone

    from timetable.models import ClassSession

    now = timezone.now()
    return ClassSession.objects.create(
        class_list=class_list,
        starts_at=now - timedelta(hours=1),
        ends_at=now,
        teacher=class_list.teachers.first(),
    )


def own_urls(school) -> dict[str, str]:
    """Return one URL of each teacher page, on ``school.mine``."""
    record = school.record_of(school.enrollments[0])
    hand_in(record, b"mine")
    lesson = school.lesson.pk
    return {
        "class_list": reverse("teacher:class_list"),
        "class_detail": reverse("teacher:class_detail", args=[school.mine.pk]),
        "lesson_create": reverse("teacher:lesson_create", args=[school.mine.pk]),
        "session_record": reverse(
            "teacher:session_record", args=[session_of(school.mine).pk]
        ),
        "roll_call": reverse("teacher:roll_call", args=[lesson]),
        "homework": reverse("teacher:homework", args=[lesson]),
        "homework_download": reverse(
            "teacher:homework_download", args=[lesson, record.pk]
        ),
        "homework_zip": reverse("teacher:homework_zip", args=[lesson]),
        "grading": reverse("teacher:grading", args=[lesson]),
    }


def foreign_urls(school) -> list[tuple[str, str]]:
    """Return (page, URL) with ids the teacher must not reach."""
    their_record = school.their_lesson.study_records.get()
    hand_in(their_record, b"theirs")
    my_record = school.record_of(school.enrollments[0])
    theirs, their_lesson = school.theirs.pk, school.their_lesson.pk
    lesson = school.lesson.pk
    missing = 999_999
    cases = [
        ("class_detail", [theirs]),
        ("class_detail", [missing]),
        ("lesson_create", [theirs]),
        ("lesson_create", [missing]),
        ("session_record", [session_of(school.theirs).pk]),
        ("session_record", [missing]),
        ("homework_download", [their_lesson, their_record.pk]),
        # My lesson, another lesson's record; another lesson, my record.
        ("homework_download", [lesson, their_record.pk]),
        ("homework_download", [their_lesson, my_record.pk]),
        ("homework_download", [lesson, missing]),
    ]
    for page in ("roll_call", "homework", "homework_zip", "grading"):
        cases += [(page, [their_lesson]), (page, [missing])]
    return [(page, reverse(f"teacher:{page}", args=args)) for page, args in cases]


def test_every_page_has_a_case_below():
    from teacher.urls import urlpatterns

    assert {p.name for p in urlpatterns} == set(METHODS)


def test_the_teacher_reaches_every_page_of_their_class(client, teacher, school):
    client.force_login(teacher)
    for page, url in own_urls(school).items():
        assert client.get(url).status_code == 200, page


def test_another_teachers_ids_answer_404_on_every_page(client, teacher, school):
    client.force_login(teacher)
    cases = foreign_urls(school)
    assert {page for page, _url in cases} == set(METHODS) - {"class_list"}
    for page, url in cases:
        for method in METHODS[page]:
            response = client.generic(method, url, data={})
            assert response.status_code == 404, (method, url)
    assert school.their_lesson.study_records.get().attendance == "present"


def test_a_co_teacher_reaches_the_class(client, school, other_teacher):
    school.mine.teachers.add(other_teacher)
    client.force_login(other_teacher)
    for page, url in own_urls(school).items():
        assert client.get(url).status_code == 200, page


def test_a_former_teacher_no_longer_reaches_the_class(client, teacher, school):
    urls = own_urls(school)
    school.mine.teachers.remove(teacher)
    client.force_login(teacher)
    for page, url in urls.items():
        if page != "class_list":
            assert client.get(url).status_code == 404, page


def test_a_student_gets_403_on_every_page(client, student_user, school):
    client.force_login(student_user)
    for page, url in own_urls(school).items():
        for method in METHODS[page]:
            assert client.generic(method, url).status_code == 403, (method, page)


def test_anonymous_visitors_are_sent_to_the_login_page(client, school):
    for page, url in own_urls(school).items():
        for method in METHODS[page]:
            response = client.generic(method, url)
            assert response.status_code == 302, (method, page)
            assert response["Location"].startswith("/accounts/login/?next="), page


def test_methods_outside_the_rule_are_refused(client, teacher, school):
    client.force_login(teacher)
    urls = own_urls(school)
    for page in ("class_detail", "homework", "homework_zip", "homework_download"):
        assert client.post(urls[page]).status_code == 405, page
    assert client.delete(urls["grading"]).status_code == 405
