"""The timetable pages: who reaches them, what their events hold, the feed."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests.factories import BranchFactory, ClassListFactory, RoleFactory, UserFactory
from timetable import selectors, services
from timetable.models import CalendarSettings, ClassSession, Room
from timetable.tests.conftest import MONDAY, at, permissions

pytestmark = pytest.mark.django_db

# As FullCalendar in "UTC" asks: the school's wall-clock midnights.
SPAN = {"start": "2030-03-04T00:00:00Z", "end": "2030-03-11T00:00:00Z"}

# Every page of the timetable and the methods it answers (the feed aside:
# its secret URL is the credential, tested below).
METHODS = {
    "mine": ("GET",),
    "mine_events": ("GET",),
    "settings": ("POST",),
    "feed_renew": ("POST",),
    "feed_revoke": ("POST",),
    "campus": ("GET",),
    "campus_events": ("GET",),
    "leave_new": ("GET", "POST"),
    "leave_list": ("GET",),
    "leave_decide": ("POST",),
}


def test_every_page_has_a_case_here():
    from timetable.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {*METHODS, "feed"}


@pytest.fixture
def term(campus):
    """Two weeks of S9 (Tue, Thu 19:00) and one Linux 40 session."""
    services.schedule_create(
        class_list=campus.klass,
        weekdays=[2, 4],
        start_time=time(19, 0),
        duration_minutes=150,
        room=campus.room,
        teacher=campus.teacher,
        first_date=MONDAY,
        last_date=MONDAY + timedelta(days=13),
    )
    services.session_create(
        class_list=campus.other_class,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 11),
        room=campus.room,
        teacher=campus.other_teacher,
        topic="Shell basics",
    )
    return campus


@pytest.fixture
def manager(campus):
    role = RoleFactory(
        name="Manager", permissions=permissions("timetable.view_campus_timetable")
    )
    return UserFactory(username="manager", roles=[role], campus=campus.branch)


def events(client, name="timetable:mine_events", **params):
    response = client.get(reverse(name), {**SPAN, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_teacher_sees_the_sessions_of_their_class_only(client, term):
    client.force_login(term.teacher)

    shown = events(client)

    assert [e["title"] for e in shown] == [
        "Python S9 · lesson 1 · 101",
        "Python S9 · lesson 2 · 101",
    ]
    # The school's wall-clock time, without an offset (see timetable.js).
    assert (shown[0]["start"], shown[0]["end"]) == (
        "2030-03-05T19:00:00",
        "2030-03-05T21:30:00",
    )
    assert shown[0]["extendedProps"]["teacher"] == "Teacher"


def test_a_student_sees_their_class_and_not_the_others(client, term):
    client.force_login(term.students[0])

    assert len(events(client)) == 2

    client.force_login(term.other_teacher)
    assert [e["extendedProps"]["topic"] for e in events(client)] == ["Shell basics"]


def test_a_cancelled_session_stays_shown_as_cancelled(client, term):
    session = ClassSession.objects.filter(class_list=term.klass).first()
    services.session_cancel(session=session, reason="Ill")
    client.force_login(term.students[0])

    first = events(client)[0]

    assert first["title"].startswith("Cancelled: Python S9")
    assert first["classNames"] == ["session-cancelled"]


def test_an_unreadable_span_is_a_400_with_a_message(client, term):
    client.force_login(term.teacher)
    url = reverse("timetable:mine_events")

    for params in (
        {},
        {"start": "yesterday", "end": "2030-03-11"},
        {"start": "2030-03-11", "end": "2030-03-04"},
        {"start": "2030-02-30", "end": "2030-03-04"},
        {"start": "9" * 5000, "end": "2030-03-04"},
    ):
        response = client.get(url, params)
        assert response.status_code == 400, params
        assert "start and end" in response.json()["error"]


def test_a_long_span_is_cut_short(client, term):
    client.force_login(term.teacher)

    shown = events(client, start="2000-01-01", end="2100-01-01")

    assert shown == []


def test_the_campus_timetable_shows_the_managers_campus_by_room_or_teacher(
    client, term, manager
):
    elsewhere = BranchFactory(name="Shanghai")
    services.session_create(
        class_list=ClassListFactory(branch=elsewhere, name="Far away"),
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 11),
        room=Room.objects.create(branch=elsewhere, name="201", capacity=20),
        teacher=UserFactory(username="far_teacher"),
    )
    client.force_login(manager)

    everything = events(client, "timetable:campus_events")
    by_teacher = events(
        client, "timetable:campus_events", teacher=term.other_teacher.pk
    )
    by_room = events(client, "timetable:campus_events", room=term.small_room.pk)
    page = client.get(reverse("timetable:campus"))

    assert len(everything) == 3
    assert "Far away" not in str(everything)
    assert [e["extendedProps"]["topic"] for e in by_teacher] == ["Shell basics"]
    assert by_room == []
    assert page.status_code == 200
    assert "201" not in {str(room) for room in page.context["rooms"]}
    bad = client.get(reverse("timetable:campus_events"), {**SPAN, "room": "1 OR 1"})
    assert bad.status_code == 400


def test_who_reaches_which_page(client, term, manager):
    student, teacher = term.students[0], term.teacher
    teacher.roles.add(
        RoleFactory(name="Leave", permissions=permissions("timetable.decide_leave"))
    )
    coming = services.session_create(
        class_list=term.klass,
        starts_at=at(timezone.localdate() + timedelta(days=1), 9),
        ends_at=at(timezone.localdate() + timedelta(days=1), 11),
        room=term.room,
        teacher=teacher,
    )[0]
    leave = services.leave_request(session=coming, user=term.students[1], reason="x")
    args = {"leave_new": [coming.pk], "leave_decide": [leave.pk]}
    own = {"mine", "mine_events", "settings", "feed_renew", "feed_revoke"}
    allowed = {
        student: {*own, "leave_new"},
        teacher: {*own, "leave_new", "leave_list", "leave_decide"},
        manager: {"campus", "campus_events"},
        UserFactory(username="nobody"): set(),
    }
    for user, pages in allowed.items():
        client.force_login(user)
        for page, methods in METHODS.items():
            url = reverse(f"timetable:{page}", args=args.get(page, []))
            for method in methods:
                response = client.generic(method, url)
                if page in pages:
                    # The teacher studies nowhere: their leave form is a 404.
                    assert response.status_code in (200, 302, 400, 404), (user, page)
                else:
                    assert response.status_code == 403, (user, page)
    client.logout()
    for page, methods in METHODS.items():
        url = reverse(f"timetable:{page}", args=args.get(page, []))
        for method in methods:
            response = client.generic(method, url)
            assert response.status_code == 302, page
            assert response["Location"].startswith("/accounts/login/")


def test_the_calendar_page_loads_the_vendored_calendar(client, term):
    client.force_login(term.teacher)

    response = client.get(reverse("timetable:mine"))

    html = response.content.decode()
    assert "vendor/fullcalendar/index.global" in html
    assert 'data-events-url="/timetable/events/"' in html
    assert 'name="csp-nonce"' in html
    nonce = response.context["request"].csp_nonce
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert [s.number for s in response.context["upcoming"]] == [1, 2, 3, 4]


def test_the_feed_lists_the_sessions_and_can_be_renewed_and_turned_off(client, campus):
    tomorrow = timezone.localdate() + timedelta(days=1)
    for hour in (9, 14):
        services.session_create(
            class_list=campus.klass,
            starts_at=at(tomorrow, hour),
            ends_at=at(tomorrow, hour + 2),
            room=campus.room,
            teacher=campus.teacher,
        )
    # Far ahead: not in the feed (it holds the next 180 days).
    services.session_create(
        class_list=campus.klass,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 11),
        room=campus.room,
        teacher=campus.teacher,
    )
    client.force_login(campus.students[0])

    response = client.post(reverse("timetable:feed_renew"), follow=True)

    url = response.context["new_feed_url"]
    # Shown once: the page again (a reload) no longer holds it.
    assert client.get(reverse("timetable:mine")).context["new_feed_url"] == ""
    assert url.startswith("http://testserver/timetable/feed/")
    stored = CalendarSettings.objects.get(user=campus.students[0])
    assert stored.feed_token_hash and stored.feed_token_hash not in url
    client.logout()
    feed = client.get(url)
    assert feed.status_code == 200
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    sessions = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    # In the school's language (settings.LANGUAGE_CODE: "en" in the tests).
    assert [str(e["SUMMARY"]) for e in sessions] == [
        "Python S9 · lesson 1",
        "Python S9 · lesson 2",
    ]
    assert sessions[0].decoded("DTSTART") == at(tomorrow, 9)
    assert str(sessions[0]["LOCATION"]) == "Beijing 101"
    assert str(sessions[0]["STATUS"]) == "CONFIRMED"

    client.force_login(campus.students[0])
    again = client.post(reverse("timetable:feed_renew"), follow=True)
    assert client.get(url).status_code == 404  # the old address stops working
    client.post(reverse("timetable:feed_revoke"))
    assert client.get(again.context["new_feed_url"]).status_code == 404
    assert client.get("/timetable/feed/guess.ics").status_code == 404


def test_reminders_can_be_turned_off(client, term):
    client.force_login(term.teacher)

    client.post(reverse("timetable:settings"), {})
    assert CalendarSettings.objects.get(user=term.teacher).reminders is False
    client.post(reverse("timetable:settings"), {"reminders": "on"})
    assert CalendarSettings.objects.get(user=term.teacher).reminders is True


def test_events_cost_the_same_queries_for_one_week_or_a_busy_month(
    client, term, django_assert_max_num_queries
):
    client.force_login(term.teacher)
    with django_assert_max_num_queries(20) as few:
        events(client)
    services.schedule_create(
        class_list=term.klass,
        weekdays=[1, 3, 5, 6],
        start_time=time(9, 0),
        duration_minutes=120,
        room=term.small_room,
        teacher=term.teacher,
        first_date=MONDAY,
        last_date=MONDAY + timedelta(days=30),
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        shown = events(client, start="2030-03-04", end="2030-04-04")
    assert len(shown) > 20


def test_a_teachers_session_of_today_links_to_its_record_then_its_roll_call(
    client, campus
):
    today = timezone.localdate()
    # Started today (not yesterday, whatever the hour the test runs).
    starts_at = max(
        timezone.now() - timedelta(minutes=30),
        selectors.aware(today) + timedelta(minutes=1),
    )
    session = services.session_create(
        class_list=campus.klass,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        room=campus.room,
        teacher=campus.teacher,
    )[0]
    span = {"start": today.isoformat(), "end": (today + timedelta(days=1)).isoformat()}
    client.force_login(campus.teacher)

    first = events(client, **span)
    page = client.get(reverse("timetable:mine"))
    services.session_record(
        session=session, by=campus.teacher, title="Loops", has_homework=False
    )
    session.refresh_from_db()
    then = events(client, **span)

    record = reverse("teacher:session_record", args=[session.pk])
    assert [e.get("url") for e in first] == [record]
    assert record in page.content.decode()
    assert [e.get("url") for e in then] == [
        reverse("teacher:roll_call", args=[session.course_record_id])
    ]
    # A student's events link nowhere.
    client.force_login(campus.students[0])
    assert [e.get("url") for e in events(client, **span)] == [None]


def test_the_pages_cost_the_same_queries_with_a_busy_term(
    client, term, manager, django_assert_max_num_queries
):
    pages = {
        term.teacher: reverse("timetable:mine"),
        manager: reverse("timetable:campus"),
    }
    counts = {}
    for user, url in pages.items():
        client.force_login(user)
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    services.schedule_create(
        class_list=term.klass,
        weekdays=[1, 3, 5, 6],
        start_time=time(9, 0),
        duration_minutes=120,
        room=term.small_room,
        teacher=term.teacher,
        first_date=timezone.localdate(),
        last_date=timezone.localdate() + timedelta(days=60),
    )
    for user, url in pages.items():
        client.force_login(user)
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
