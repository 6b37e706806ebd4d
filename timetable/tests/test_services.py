"""Planning sessions: schedules around holidays, clashes refused, changes told."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification
from tests.factories import BranchFactory
from timetable import services
from timetable.models import ClassSession, Holiday, Room, Schedule
from timetable.tests.conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def plan(campus, **overrides):
    arguments = {
        "class_list": campus.klass,
        "weekdays": [2, 4],
        "start_time": time(19, 0),
        "duration_minutes": 150,
        "room": campus.room,
        "teacher": campus.teacher,
        "first_date": MONDAY,
        "last_date": MONDAY + timedelta(days=27),
    }
    arguments.update(overrides)
    return services.schedule_create(**arguments)


def starts(class_list) -> list[str]:
    return [
        timezone.localtime(s.starts_at).strftime("%m-%d %H:%M")
        for s in ClassSession.objects.filter(class_list=class_list).order_by(
            "starts_at"
        )
    ]


def test_a_schedule_plans_its_weekdays_and_skips_the_holidays(campus):
    Holiday.objects.create(
        name="Spring",
        first_day=MONDAY + timedelta(days=8),
        last_day=MONDAY + timedelta(days=10),
    )
    # Another campus's closed day does not close this one.
    Holiday.objects.create(
        name="Elsewhere",
        branch=BranchFactory(name="Shanghai"),
        first_day=MONDAY + timedelta(days=15),
        last_day=MONDAY + timedelta(days=15),
    )

    schedule, booking = plan(campus)

    # Tuesdays and Thursdays of four weeks, but the 12th and 14th (closed).
    assert starts(campus.klass) == [
        "03-05 19:00",
        "03-07 19:00",
        "03-19 19:00",
        "03-21 19:00",
        "03-26 19:00",
        "03-28 19:00",
    ]
    assert [d.isoformat() for d in booking.skipped] == ["2030-03-12", "2030-03-14"]
    sessions = list(schedule.sessions.order_by("starts_at"))
    assert [s.number for s in sessions] == [1, 2, 3, 4, 5, 6]
    assert {(s.room, s.teacher, s.ends_at - s.starts_at) for s in sessions} == {
        (campus.room, campus.teacher, timedelta(minutes=150))
    }
    assert schedule.weekdays == "24"


def test_a_double_booked_room_is_refused_naming_the_other_session(campus):
    plan(campus)

    with pytest.raises(ValidationError) as refused:
        plan(
            campus,
            class_list=campus.other_class,
            teacher=campus.other_teacher,
            weekdays=[4],
            start_time=time(20, 0),
            duration_minutes=60,
        )

    assert "Room 101 is taken then by Python S9 on 2030-03-07 19:00–21:30." in (
        refused.value.messages
    )
    assert not ClassSession.objects.filter(class_list=campus.other_class).exists()
    assert Schedule.objects.count() == 1


def test_a_busy_teacher_and_a_busy_class_are_refused(campus):
    plan(campus)
    other_room = Room.objects.create(branch=campus.branch, name="103", capacity=30)

    with pytest.raises(ValidationError) as teacher_busy:
        services.session_create(
            class_list=campus.other_class,
            starts_at=at(MONDAY + timedelta(days=1), 18),
            ends_at=at(MONDAY + timedelta(days=1), 19, 30),
            room=other_room,
            teacher=campus.teacher,
        )
    with pytest.raises(ValidationError) as class_busy:
        services.session_create(
            class_list=campus.klass,
            starts_at=at(MONDAY + timedelta(days=1), 21),
            ends_at=at(MONDAY + timedelta(days=1), 22),
            room=other_room,
            teacher=campus.other_teacher,
        )

    assert teacher_busy.value.messages == [
        "Teacher teaches Python S9 on 2030-03-05 19:00–21:30 then."
    ]
    assert class_busy.value.messages == [
        "The class already has Python S9 on 2030-03-05 19:00–21:30 then."
    ]


def test_back_to_back_sessions_do_not_clash(campus):
    plan(campus)

    session, _booking = services.session_create(
        class_list=campus.other_class,
        starts_at=at(MONDAY + timedelta(days=1), 21, 30),
        ends_at=at(MONDAY + timedelta(days=1), 23),
        room=campus.room,
        teacher=campus.other_teacher,
    )

    assert session.number == 1


def test_a_class_larger_than_the_room_is_a_warning(campus):
    _schedule, booking = plan(campus, room=campus.small_room)

    assert booking.warnings == ["Python S9 has 3 students; room 102 seats 2."]
    assert ClassSession.objects.filter(room=campus.small_room).count() == 8


def test_a_room_of_another_campus_is_refused(campus):
    elsewhere = Room.objects.create(
        branch=BranchFactory(name="Shanghai"), name="201", capacity=30
    )

    with pytest.raises(ValidationError) as refused:
        plan(campus, room=elsewhere)

    assert refused.value.message_dict == {
        "room": ["The room is not on the class's campus."]
    }


def test_a_schedule_with_no_day_or_reversed_dates_is_refused(campus):
    with pytest.raises(ValidationError):
        plan(
            campus,
            weekdays=[1],
            first_date=MONDAY + timedelta(days=1),
            last_date=MONDAY + timedelta(days=6),
        )
    with pytest.raises(ValidationError):
        plan(campus, last_date=MONDAY - timedelta(days=1))
    assert not ClassSession.objects.exists()


def test_moving_the_following_sessions_shifts_them_all_and_tells_everyone(
    campus, django_capture_on_commit_callbacks
):
    schedule, _booking = plan(campus)
    second = schedule.sessions.order_by("starts_at")[1]

    with django_capture_on_commit_callbacks(execute=True):
        booking = services.session_move(
            session=second,
            starts_at=second.starts_at + timedelta(hours=-1),
            ends_at=second.starts_at + timedelta(hours=1),
            room=campus.room,
            following=True,
        )

    assert len(booking.sessions) == 7
    assert starts(campus.klass)[:3] == ["03-05 19:00", "03-07 18:00", "03-12 18:00"]
    durations = {s.ends_at - s.starts_at for s in schedule.sessions.all()[1:]}
    assert durations == {timedelta(hours=2)}
    told = Notification.objects.filter(text__contains="7 sessions moved")
    assert {n.recipient for n in told} == {campus.teacher, *campus.students}
    assert len(mail.outbox) == 4
    assert "Timetable change" in mail.outbox[0].subject


def test_a_move_onto_another_session_is_refused_and_changes_nothing(campus):
    schedule, _booking = plan(campus)
    services.session_create(
        class_list=campus.other_class,
        starts_at=at(MONDAY, 19),
        ends_at=at(MONDAY, 21),
        room=campus.room,
        teacher=campus.other_teacher,
    )
    first = schedule.sessions.order_by("starts_at").first()

    with pytest.raises(ValidationError) as refused:
        services.session_move(
            session=first,
            starts_at=at(MONDAY, 20),
            ends_at=at(MONDAY, 22),
            room=campus.room,
        )

    assert "Room 101 is taken then by Linux 40 on 2030-03-04 19:00–21:00." in (
        refused.value.messages
    )
    first.refresh_from_db()
    assert timezone.localtime(first.starts_at).hour == 19
    assert not Notification.objects.exists()


def test_cancelling_keeps_the_session_listed_and_renumbers_the_rest(
    campus, django_capture_on_commit_callbacks
):
    schedule, _booking = plan(campus)
    sessions = list(schedule.sessions.order_by("starts_at"))

    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=sessions[1], reason="Teacher ill")

    sessions[1].refresh_from_db()
    assert sessions[1].status == "cancelled"
    assert sessions[1].cancel_reason == "Teacher ill"
    assert sessions[1].number is None
    assert [s.number for s in schedule.sessions.order_by("starts_at")] == [
        1,
        None,
        2,
        3,
        4,
        5,
        6,
        7,
    ]
    texts = set(Notification.objects.values_list("text", flat=True))
    assert texts == {
        "Python S9: the session of 03-07 19:00–21:30 · 101 is cancelled (Teacher ill)."
    }
    # A cancelled session frees its room.
    services.session_create(
        class_list=campus.other_class,
        starts_at=sessions[1].starts_at,
        ends_at=sessions[1].ends_at,
        room=campus.room,
        teacher=campus.other_teacher,
    )


def test_cancelling_needs_a_reason_and_cannot_be_repeated(campus):
    schedule, _booking = plan(campus)
    first = schedule.sessions.first()

    with pytest.raises(ValidationError):
        services.session_cancel(session=first, reason="  ")
    services.session_cancel(session=first, reason="Holiday", following=True)
    first.refresh_from_db()
    with pytest.raises(ValidationError):
        services.session_cancel(session=first, reason="Again")

    assert not schedule.sessions.filter(status="scheduled").exists()


def test_a_substitute_teacher_is_checked_and_both_teachers_are_told(
    campus, django_capture_on_commit_callbacks
):
    schedule, _booking = plan(campus)
    first = schedule.sessions.order_by("starts_at").first()

    with django_capture_on_commit_callbacks(execute=True):
        services.session_change_teacher(session=first, teacher=campus.other_teacher)

    first.refresh_from_db()
    assert first.teacher == campus.other_teacher
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"teacher", "other_teacher", "student0", "student1", "student2"}


def test_a_session_that_started_cannot_be_changed(campus):
    now = timezone.now()
    session = ClassSession.objects.create(
        class_list=campus.klass,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        room=campus.room,
        teacher=campus.teacher,
    )

    with pytest.raises(ValidationError):
        services.session_cancel(session=session, reason="Too late")
    with pytest.raises(ValidationError):
        services.session_move(
            session=session,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
            room=None,
        )


def test_deleting_a_schedule_cancels_its_future_sessions(campus):
    schedule, _booking = plan(campus)

    cancelled = services.schedule_delete(schedule=schedule)

    assert cancelled == 8
    assert set(ClassSession.objects.values_list("status", "schedule")) == {
        ("cancelled", None)
    }


def test_the_conflict_check_is_one_query_for_a_whole_term(
    campus, django_assert_max_num_queries
):
    planned = [
        services.Planned(
            class_list_id=campus.other_class.pk,
            room_id=campus.room.pk,
            teacher_id=campus.other_teacher.pk,
            starts_at=at(MONDAY + timedelta(days=day), 9),
            ends_at=at(MONDAY + timedelta(days=day), 11),
        )
        for day in range(120)
    ]
    plan(campus, last_date=MONDAY + timedelta(days=120))

    with django_assert_max_num_queries(1):
        found = services.conflicts(planned)

    assert found == []


def test_a_session_longer_than_twelve_hours_is_refused(campus):
    with pytest.raises(ValidationError) as refused:
        services.session_create(
            class_list=campus.klass,
            starts_at=at(MONDAY, 8),
            ends_at=at(MONDAY, 21),
            room=campus.room,
            teacher=campus.teacher,
        )

    assert refused.value.messages == ["A session lasts at most 12 hours."]


def test_sessions_get_their_topics_from_the_syllabus_in_order(campus):
    course = campus.klass.course
    course.outline = "Basics\n\nFunctions\nClasses\nProjects\n"
    course.save()
    services.session_create(
        class_list=campus.klass,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 11),
        room=campus.room,
        teacher=campus.teacher,
        topic="Welcome",
    )

    plan(campus)  # eight more: nine sessions in all

    topics = list(
        ClassSession.objects.filter(class_list=campus.klass)
        .order_by("number")
        .values_list("topic", flat=True)
    )
    assert topics == [
        "Welcome",  # typed by hand: kept
        "Basics",
        "Basics",
        "Functions",
        "Functions",
        "Classes",
        "Classes",
        "Projects",
        "Projects",
    ]
