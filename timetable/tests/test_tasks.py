"""The timetable's jobs: evening reminders (periodic) and change notices."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from jobs.registry import PERIODIC
from timetable import services
from timetable.models import CalendarSettings
from timetable.tasks import reminders_send
from timetable.tests.conftest import at

pytestmark = pytest.mark.django_db


def plan_tomorrow(campus, hour=19, **overrides):
    tomorrow = timezone.localdate() + timedelta(days=1)
    arguments = {
        "class_list": campus.klass,
        "starts_at": at(tomorrow, hour),
        "ends_at": at(tomorrow, hour + 2),
        "room": campus.room,
        "teacher": campus.teacher,
    }
    arguments.update(overrides)
    return services.session_create(**arguments)[0]


def test_reminders_are_a_periodic_job_every_evening():
    declared = PERIODIC["timetable-reminders"]

    assert str(declared.schedule) == "daily at 18:00"
    assert declared.task is reminders_send


def test_tomorrows_students_and_teachers_are_reminded_once_each(
    campus, django_capture_on_commit_callbacks
):
    plan_tomorrow(campus, 9)
    plan_tomorrow(campus, 14)
    plan_tomorrow(
        campus,
        9,
        class_list=campus.other_class,
        teacher=campus.other_teacher,
        room=campus.small_room,
    )
    # Today's and the day after tomorrow's sessions are not tomorrow's (today
    # at noon, local time: an hour from now is tomorrow after 23:00).
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    plan_tomorrow(campus, 9, starts_at=noon, ends_at=noon + timedelta(hours=1))
    CalendarSettings.objects.create(user=campus.students[2], reminders=False)

    with django_capture_on_commit_callbacks(execute=True):
        told = reminders_send.call()

    assert told == 4  # teacher, other teacher, two students (one opted out)
    texts = dict(Notification.objects.values_list("recipient__username", "text"))
    assert set(texts) == {"teacher", "other_teacher", "student0", "student1"}
    assert texts["student0"].startswith("Tomorrow: Python S9 ")
    assert texts["student0"].count("Python S9") == 2
    assert "Linux 40" not in texts["student0"]
    assert "Linux 40" in texts["other_teacher"]
    assert len(mail.outbox) == 4
    assert mail.outbox[0].subject == "Your sessions tomorrow"


def test_no_session_tomorrow_no_reminder(campus):
    assert reminders_send.call() == 0
    assert not Notification.objects.exists()


def test_cancelled_sessions_are_not_reminded(campus):
    session = plan_tomorrow(campus)
    services.session_cancel(session=session, reason="Ill")

    assert reminders_send.call() == 0
