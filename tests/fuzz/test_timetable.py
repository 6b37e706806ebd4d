"""Fuzz the timetable's query strings and forms: a message or a 404, never a 500.

The calendar endpoints take any start / end / room / teacher; the leave form
any reason; the leave decision any decision, make-up session and note; the
session record form what the lesson form takes. A refused submission
changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from accounts.models import Notification
from crm.demo_data import PYTHON_S9
from crm.models import ClassList
from teacher.forms import SessionRecordForm
from teacher.models import CourseRecord, StudyRecord
from tests.fuzz.strategies import hostile_text, initial_data, post_data, query_string
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.fuzz.test_forms import assert_shows_errors, count, ids_or_hostile
from timetable import services
from timetable.models import ClassSession, LeaveRequest

calendar_values = st.one_of(
    hostile_text,
    st.sampled_from(
        ["2026-12-01", "2026-12-01T00:00:00Z", "2026-12-01T00:00:00+08:00", ""]
    ),
)


def test_calendar_events_take_any_query_string(fuzz_db):
    admin, teacher = fuzz_db.users["admin"], fuzz_db.users["teacher"]

    @fuzz_settings(30)
    @given(
        pairs=st.lists(
            st.tuples(
                st.sampled_from(["start", "end", "room", "teacher", "x"]),
                calendar_values,
            ),
            max_size=5,
        ),
        path=st.sampled_from(["/timetable/events/", "/timetable/campus/events/"]),
    )
    @example(
        pairs=[("start", "2026-12-01"), ("end", "2026-11-01")],
        path="/timetable/events/",
    )
    @example(
        pairs=[("start", "2026-12-01"), ("end", "2027-01-01"), ("room", "1e9")],
        path="/timetable/campus/events/",
    )
    def run(pairs, path):
        user = admin if "campus" in path else teacher
        response = client_for(user).get(f"{path}?{query_string(pairs)}")
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert response.json()["error"]

    run()


def _coming_session() -> ClassSession:
    s9 = ClassList.objects.get(name=PYTHON_S9)
    return (
        ClassSession.objects.filter(
            class_list=s9, status="scheduled", starts_at__gt=timezone.now()
        )
        .order_by("starts_at")
        .first()
    )


def test_leave_request_form(fuzz_db):
    student = fuzz_db.users["student"]
    session = _coming_session()

    @fuzz_settings(20)
    @given(reason=hostile_text, pk=ids_or_hostile(session.pk))
    @example(reason="   ", pk=str(session.pk))
    def run(reason, pk):
        with rolled_back():
            before = count(LeaveRequest)
            response = client_for(student).post(
                f"/timetable/sessions/{pk}/leave/", {"reason": reason}
            )
            if pk != str(session.pk):
                assert response.status_code == 404
            elif response.status_code == 302:
                assert count(LeaveRequest)[0] == before[0] + 1
                return
            else:
                assert_shows_errors(response)
            assert count(LeaveRequest) == before

    run()


def test_leave_decision(fuzz_db):
    teacher = fuzz_db.users["teacher"]
    session = _coming_session()
    leave = services.leave_request(
        session=session, user=fuzz_db.users["student"], reason="发烧"
    )

    @fuzz_settings(20)
    @given(
        decision=st.one_of(st.sampled_from(["approve", "refuse"]), hostile_text),
        makeup=st.one_of(st.just(""), hostile_text, st.just(str(session.pk))),
        note=hostile_text,
        pk=ids_or_hostile(leave.pk),
    )
    def run(decision, makeup, note, pk):
        with rolled_back():
            response = client_for(teacher).post(
                f"/timetable/leave/{pk}/decide/",
                {"decision": decision, "makeup_session": makeup, "note": note},
            )
            state = LeaveRequest.objects.get(pk=leave.pk).state
            if pk != str(leave.pk):
                assert response.status_code == 404
                assert state == "pending"
                return
            assert response.status_code == 302
            # No other class of the course exists: any make-up is refused,
            # as is any decision but the two.
            if decision in ("approve", "refuse") and makeup == "":
                expected = {"approve": "approved", "refuse": "refused"}[decision]
            else:
                expected = "pending"
            assert state == expected
            told = Notification.objects.filter(
                recipient=fuzz_db.users["student"], text__contains="leave"
            ).exists()
            assert told == (expected != "pending")

    run()


def test_session_record_form(fuzz_db):
    teacher = fuzz_db.users["teacher"]
    s9 = ClassList.objects.get(name=PYTHON_S9)
    # Yesterday just after midnight: held already, and clear of the demo
    # timetable whatever the time of day the suite runs.
    yesterday = timezone.localdate() - timedelta(days=1)
    starts_at = timezone.make_aware(datetime.combine(yesterday, time(0, 5)))
    session = services.session_create(
        class_list=s9,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=2),
        room=None,
        teacher=teacher,
    )[0]
    form = SessionRecordForm(session=session)
    base = {**initial_data(form), "title": "函数", "homework_title": "练习 1"}

    @fuzz_settings(20)
    @given(data=post_data(form, base=base), pk=ids_or_hostile(session.pk))
    def run(data, pk):
        with rolled_back():
            before = count(CourseRecord, StudyRecord)
            response = client_for(teacher).post(f"/teacher/sessions/{pk}/record/", data)
            if pk != str(session.pk):
                assert response.status_code == 404
            elif response.status_code == 302:
                assert count(CourseRecord)[0] == before[0] + 1
                return
            else:
                assert_shows_errors(response)
            assert count(CourseRecord, StudyRecord) == before

    run()
