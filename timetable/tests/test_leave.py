"""Leave (请假), lessons recorded from sessions, the roll call, absence alerts."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from crm.models import Enrollment
from teacher.models import StudyRecord
from teacher.services import rollcall_save
from tests.factories import ClassListFactory, RoleFactory, UserFactory
from timetable import services
from timetable.models import ClassSession, LeaveRequest
from timetable.tests.conftest import at, permissions

pytestmark = pytest.mark.django_db


def plan(campus, when, class_list=None, teacher=None, room=None):
    return services.session_create(
        class_list=class_list or campus.klass,
        starts_at=when,
        ends_at=when + timedelta(hours=2),
        room=room or campus.room,
        teacher=teacher or campus.teacher,
        topic="Functions",
    )[0]


@pytest.fixture
def tomorrow(campus):
    """A session of the class tomorrow at 19:00."""
    return plan(campus, at(timezone.localdate() + timedelta(days=1), 19))


@pytest.fixture
def leave_decider(campus):
    """The class's teacher, who may decide leave (as the demo teacher role)."""
    role = RoleFactory(name="Leave", permissions=permissions("timetable.decide_leave"))
    campus.teacher.roles.add(role)
    return campus.teacher


def test_a_student_asks_leave_and_the_teacher_is_told(campus, tomorrow, client):
    student = campus.students[0]
    client.force_login(student)

    page = client.get(reverse("timetable:mine"))
    assert reverse("timetable:leave_new", args=[tomorrow.pk]) in page.content.decode()
    response = client.post(
        reverse("timetable:leave_new", args=[tomorrow.pk]), {"reason": "发烧"}
    )

    assert response.status_code == 302
    leave = LeaveRequest.objects.get()
    assert (leave.session, leave.reason, leave.state) == (tomorrow, "发烧", "pending")
    assert leave.enrollment.customer.user == student
    told = Notification.objects.get(recipient=campus.teacher)
    assert "Student 0 asks leave from Python S9 on" in told.text
    # Asking twice is refused; the page says so.
    again = client.post(
        reverse("timetable:leave_new", args=[tomorrow.pk]), {"reason": "again"}
    )
    assert "Leave was already asked for this session." in again.content.decode()
    assert LeaveRequest.objects.count() == 1


def test_leave_from_another_class_or_a_past_session_is_a_404(campus, client):
    theirs = plan(
        campus,
        at(timezone.localdate() + timedelta(days=2), 9),
        class_list=campus.other_class,
        teacher=campus.other_teacher,
    )
    past = ClassSession.objects.create(
        class_list=campus.klass,
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(hours=1),
        teacher=campus.teacher,
    )
    client.force_login(campus.students[0])

    for session in (theirs, past):
        url = reverse("timetable:leave_new", args=[session.pk])
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert client.get(reverse("timetable:leave_new", args=[999999])).status_code == 404
    assert not LeaveRequest.objects.exists()


def test_an_empty_reason_is_refused(campus, tomorrow):
    with pytest.raises(ValidationError):
        services.leave_request(session=tomorrow, user=campus.students[0], reason=" ")


def test_the_teacher_approves_with_a_make_up_session_and_the_roll_call_shows_it(
    campus, tomorrow, leave_decider, client, django_capture_on_commit_callbacks
):
    # Another class of the same course meets the day after: the make-up.
    sister = ClassListFactory(
        branch=campus.branch, course=campus.klass.course, name="Python S10"
    )
    makeup = plan(
        campus,
        at(timezone.localdate() + timedelta(days=2), 9),
        class_list=sister,
        teacher=campus.other_teacher,
    )
    leave = services.leave_request(
        session=tomorrow, user=campus.students[1], reason="Family"
    )
    client.force_login(leave_decider)

    listed = client.get(reverse("timetable:leave_list"))
    assert listed.context["pending"] == [leave]
    assert listed.context["pending"][0].makeup_options == [makeup]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("timetable:leave_decide", args=[leave.pk]),
            {"decision": "approve", "makeup_session": makeup.pk, "note": "Catch up"},
        )

    leave.refresh_from_db()
    assert (leave.state, leave.makeup_session, leave.decided_by) == (
        "approved",
        makeup,
        leave_decider,
    )
    told = Notification.objects.get(recipient=campus.students[1])
    assert "is approved" in told.text and "Python S10" in told.text
    # The day comes: the lesson is recorded from the session; the student is
    # on leave in the roll call, the others present.
    ClassSession.objects.filter(pk=tomorrow.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5),
        ends_at=timezone.now() + timedelta(hours=2),
    )
    tomorrow.refresh_from_db()
    lesson = services.session_record(
        session=tomorrow, by=campus.teacher, title="Loops", homework_title="Loops"
    )
    tomorrow.refresh_from_db()
    assert tomorrow.course_record == lesson
    assert lesson.lesson_number == tomorrow.number
    states = dict(
        StudyRecord.objects.filter(course_record=lesson).values_list(
            "enrollment__customer__name", "attendance"
        )
    )
    assert states == {
        "Student 0": "present",
        "Student 1": "on_leave",
        "Student 2": "present",
    }


def test_a_refusal_cannot_take_a_make_up_and_decisions_are_final(
    campus, tomorrow, leave_decider
):
    leave = services.leave_request(
        session=tomorrow, user=campus.students[0], reason="x"
    )

    with pytest.raises(ValidationError):
        services.leave_decide(
            leave=leave, by=leave_decider, approve=False, makeup_session=tomorrow
        )
    services.leave_decide(leave=leave, by=leave_decider, approve=False)
    with pytest.raises(ValidationError):
        services.leave_decide(leave=leave, by=leave_decider, approve=True)
    leave.refresh_from_db()
    assert leave.state == "refused"


def test_another_teacher_cannot_see_or_decide_the_leave(campus, tomorrow, client):
    role = RoleFactory(name="Leave", permissions=permissions("timetable.decide_leave"))
    campus.other_teacher.roles.add(role)
    leave = services.leave_request(
        session=tomorrow, user=campus.students[0], reason="x"
    )
    client.force_login(campus.other_teacher)

    assert client.get(reverse("timetable:leave_list")).context["pending"] == []
    response = client.post(
        reverse("timetable:leave_decide", args=[leave.pk]), {"decision": "approve"}
    )

    assert response.status_code == 404
    leave.refresh_from_db()
    assert leave.state == "pending"


def test_a_session_is_recorded_once_and_not_before_its_day(campus, tomorrow):
    with pytest.raises(ValidationError):
        services.session_record(
            session=tomorrow, by=campus.teacher, title="Too soon", has_homework=False
        )
    today = plan(campus, timezone.now() - timedelta(hours=1))
    services.session_record(
        session=today, by=campus.teacher, title="Now", has_homework=False
    )
    with pytest.raises(ValidationError):
        services.session_record(
            session=today, by=campus.teacher, title="Again", has_homework=False
        )


def test_the_teacher_records_todays_session_from_the_class_page(campus, client):
    today = plan(campus, timezone.now() - timedelta(hours=1))
    client.force_login(campus.teacher)

    page = client.get(reverse("teacher:class_detail", args=[campus.klass.pk]))
    record_url = reverse("teacher:session_record", args=[today.pk])
    assert record_url in page.content.decode()
    response = client.post(
        record_url,
        {"title": "Variables", "has_homework": "on", "homework_title": "Exercise 1"},
    )

    today.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "teacher:roll_call", args=[today.course_record_id]
    )
    assert today.course_record.title == "Variables"
    assert today.course_record.study_records.count() == 3


def absent(lesson, *students):
    records = StudyRecord.objects.filter(
        course_record=lesson, enrollment__customer__user__in=students
    )
    return {record.pk: "absent" for record in records}


def held(campus, days_ago: int):
    session = plan(campus, timezone.now() - timedelta(days=days_ago, hours=1))
    return services.session_record(
        session=session, by=campus.teacher, title=f"Day {days_ago}", has_homework=False
    )


def test_an_absence_without_leave_alerts_the_consultant_and_teacher(
    campus, django_capture_on_commit_callbacks
):
    lesson = held(campus, 0)
    student = campus.students[0]
    consultant = Enrollment.objects.get(customer__user=student).consultant

    with django_capture_on_commit_callbacks(execute=True):
        rollcall_save(
            course_record=lesson, attendance=absent(lesson, student), by=campus.teacher
        )

    alerts = Notification.objects.filter(text__contains="Student 0 missed")
    assert {n.recipient for n in alerts} == {consultant, campus.teacher}
    assert "absent without leave" in alerts[0].text
    assert "twice in a row" not in alerts[0].text


def test_twice_in_a_row_and_a_low_rate_are_said(
    campus, django_capture_on_commit_callbacks, settings
):
    settings.ATTENDANCE_ALERT_AFTER = 3
    student = campus.students[0]
    lessons = [held(campus, days) for days in (3, 2, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        rollcall_save(
            course_record=lessons[1],
            attendance=absent(lessons[1], student),
            by=campus.teacher,
        )
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        rollcall_save(
            course_record=lessons[2],
            attendance=absent(lessons[2], student),
            by=campus.teacher,
        )

    text = Notification.objects.filter(recipient=campus.teacher).get().text
    assert "absent twice in a row" in text
    assert "attended 33% of lessons" in text


def test_no_alert_when_nobody_is_absent_or_the_roll_call_is_saved_again(
    campus, django_capture_on_commit_callbacks
):
    lesson = held(campus, 0)
    student = campus.students[0]
    with django_capture_on_commit_callbacks(execute=True):
        rollcall_save(
            course_record=lesson, attendance=absent(lesson, student), by=campus.teacher
        )
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        rollcall_save(
            course_record=lesson, attendance=absent(lesson, student), by=campus.teacher
        )

    assert not Notification.objects.exists()


def test_on_leave_lessons_do_not_count_against_attendance(campus):
    from teacher.selectors import class_students

    lessons = [held(campus, days) for days in (2, 1)]
    record = StudyRecord.objects.get(
        course_record=lessons[0], enrollment__customer__user=campus.students[0]
    )
    record.attendance = "on_leave"
    record.save()

    row = next(
        s
        for s in class_students(class_list=campus.klass)
        if s.customer.user == campus.students[0]
    )
    assert (row.attended_count, row.lesson_count) == (1, 1)


def test_a_teacher_without_leave_rights_gets_403(campus, client):
    nobody = UserFactory(username="plain", roles=[RoleFactory(name="Plain")])
    client.force_login(nobody)

    assert client.get(reverse("timetable:leave_list")).status_code == 403
