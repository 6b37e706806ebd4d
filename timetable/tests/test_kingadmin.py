"""Planning in kingadmin: adding a schedule plans its sessions; sessions change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from timetable.models import ClassSession, Holiday, Schedule
from timetable.tests.conftest import MONDAY

pytestmark = pytest.mark.django_db

SCHEDULES = "/kingadmin/timetable/schedule/"
SESSIONS = "/kingadmin/timetable/classsession/"


@pytest.fixture
def planner(client, admin_user):
    client.force_login(admin_user)
    return client


def schedule_form(campus, **overrides):
    form = {
        "class_list": campus.klass.pk,
        "weekdays": ["2", "4"],
        "start_time": "19:00",
        "duration_minutes": "150",
        "room": campus.room.pk,
        "teacher": campus.teacher.pk,
        "first_date": MONDAY.isoformat(),
        "last_date": (MONDAY + timedelta(days=13)).isoformat(),
    }
    form.update(overrides)
    return form


def test_adding_a_schedule_plans_its_sessions_around_the_holidays(planner, campus):
    Holiday.objects.create(
        name="Spring",
        first_day=MONDAY + timedelta(days=8),
        last_day=MONDAY + timedelta(days=8),
    )

    response = planner.post(SCHEDULES + "add/", schedule_form(campus), follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "3 sessions planned." in page
    assert "Skipped for holidays: 2030-03-12." in page
    schedule = Schedule.objects.get()
    assert schedule.weekdays == "24"
    assert schedule.sessions.count() == 3


def test_a_double_booking_shows_the_clash_and_saves_nothing(planner, campus):
    planner.post(SCHEDULES + "add/", schedule_form(campus))

    response = planner.post(
        SCHEDULES + "add/",
        schedule_form(
            campus,
            class_list=campus.other_class.pk,
            teacher=campus.other_teacher.pk,
            weekdays=["2"],
        ),
    )

    assert response.status_code == 200
    assert "Room 101 is taken then by Python S9 on 2030-03-05 19:00–21:30." in (
        response.content.decode()
    )
    assert Schedule.objects.count() == 1
    assert not ClassSession.objects.filter(class_list=campus.other_class).exists()


def test_a_form_without_weekdays_is_refused(planner, campus):
    response = planner.post(SCHEDULES + "add/", schedule_form(campus, weekdays=[]))

    assert response.status_code == 200
    assert response.context["form"].errors["weekdays"]
    assert not Schedule.objects.exists()


def session_form(session, **overrides):
    local = timezone.localtime
    # What the page posts: its fields, and the read-only ones as hidden inputs.
    form = {
        "class_list": session.class_list_id,
        "number": session.number,
        "status": session.status,
        "schedule": session.schedule_id,
        "starts_at": local(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": local(session.ends_at).strftime("%Y-%m-%dT%H:%M"),
        "room": session.room_id,
        "teacher": session.teacher_id,
        "topic": session.topic,
        "cancel_reason": "",
    }
    form.update(overrides)
    return form


def test_moving_a_session_and_the_following_from_its_page(
    planner, campus, django_capture_on_commit_callbacks
):
    planner.post(SCHEDULES + "add/", schedule_form(campus))
    first = ClassSession.objects.order_by("starts_at").first()

    with django_capture_on_commit_callbacks(execute=True):
        response = planner.post(
            f"{SESSIONS}{first.pk}/change/",
            session_form(
                first,
                starts_at="2030-03-05T18:00",
                ends_at="2030-03-05T20:00",
                room=campus.small_room.pk,
                following="on",
            ),
        )

    assert response.status_code == 302, response.context["form"].errors
    hours = {
        (timezone.localtime(s.starts_at).hour, s.room_id)
        for s in ClassSession.objects.all()
    }
    assert hours == {(18, campus.small_room.pk)}
    assert Notification.objects.filter(text__contains="sessions moved").exists()


def test_cancelling_a_session_from_its_page_needs_a_reason(planner, campus):
    planner.post(SCHEDULES + "add/", schedule_form(campus))
    first = ClassSession.objects.order_by("starts_at").first()
    url = f"{SESSIONS}{first.pk}/change/"

    refused = planner.post(url, session_form(first, cancel="on"))
    done = planner.post(url, session_form(first, cancel="on", cancel_reason="Ill"))

    assert refused.context["form"].errors["cancel_reason"]
    assert done.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.cancel_reason, first.number) == (
        "cancelled",
        "Ill",
        None,
    )
    assert list(
        ClassSession.objects.filter(status="scheduled").values_list("number", flat=True)
    ) == [1, 2, 3]


def test_deleting_sessions_numbers_the_class_again(planner, campus):
    planner.post(SCHEDULES + "add/", schedule_form(campus))
    second = ClassSession.objects.order_by("starts_at")[1]

    response = planner.post(f"{SESSIONS}{second.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert list(
        ClassSession.objects.order_by("starts_at").values_list("number", flat=True)
    ) == [1, 2, 3]
