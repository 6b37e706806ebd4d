"""The timetable (issue 15) as its users see it, on the demo data.

1. The admin adds a holiday and a schedule in kingadmin: the sessions skip
   the holiday; a second class booked into the same room then is refused.
2. The teacher opens "My timetable": the week's sessions, the next one, a
   later week; on a phone, the list view.
3. The student makes a calendar feed address and subscribes to it: the feed
   is the class's sessions.
4. The sales manager narrows the campus timetable to one room.

The schedules of scenario 1 are in 2031, years after the seeded demo term,
so they clash with nothing but each other.
"""

import hashlib
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from accounts.models import Role, User
from crm.demo_data import (
    BEIJING,
    LINUX_40,
    MENU_CAMPUS_TIMETABLE,
    MENU_MY_TIMETABLE,
    PYTHON_S9,
    ROLE_TEACHER,
)
from crm.models import Branch, ClassList
from tests.browser.conftest import log_in
from tests.factories import ClassListFactory, UserFactory
from timetable import selectors, services
from timetable.models import CalendarSettings, ClassSession, Holiday, Room, Schedule

pytestmark = pytest.mark.browser

# A Monday years after the demo term: a three-week schedule from it, and a
# holiday in its second week (Tuesday to Thursday).
MONDAY = date(2031, 3, 3)
HOLIDAY = (date(2031, 3, 11), date(2031, 3, 13))


def in_english(page, username):
    log_in(page, username)
    # The switch posts and redirects: wait for it, or the next goto races it.
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()


def open_from_menu(page, name):
    with page.expect_navigation():
        page.get_by_test_id("main-menu").get_by_role("link", name=name).click()


def another_teacher(username="bella", display_name="Bella 老师"):
    """Return a second Beijing teacher (the demo teacher's role), free all term."""
    return UserFactory(
        username=username,
        display_name=display_name,
        roles=[Role.objects.get(name=ROLE_TEACHER)],
        campus=Branch.objects.get(name=BEIJING),
    )


def beijing_class(name):
    return ClassListFactory(
        name=name, branch=Branch.objects.get(name=BEIJING), start_date=MONDAY
    )


def monday_of(day):
    return day - timedelta(days=day.weekday())


def week_of(day):
    """Return the local [Monday, next Monday) of ``day``, as aware datetimes."""
    monday = monday_of(day)
    return selectors.aware(monday), selectors.aware(monday + timedelta(days=7))


def weeks_ahead(day):
    """Return how many weeks after this one ``day``'s week is."""
    return (monday_of(day) - monday_of(timezone.localdate())).days // 7


def in_week_of(sessions, day):
    start, end = week_of(day)
    return sessions.filter(starts_at__gte=start, starts_at__lt=end)


def first_day_from_this_week(sessions):
    """Return the day of the first of ``sessions`` from this Monday on.

    The demo term meets every week but the one of New Year's days, which
    may leave the current week empty.
    """
    start, _end = week_of(timezone.localdate())
    return timezone.localtime(sessions.filter(starts_at__gte=start)[0].starts_at).date()


def next_week(page, times):
    """Move the calendar ``times`` weeks forward with its arrow."""
    for _ in range(times):
        page.get_by_role("button", name="Next", exact=True).click()


def event_title(session):
    """Return what the calendar shows of a session: class · lesson · room."""
    title = f"{session.class_list} · lesson {session.number}"
    return f"{title} · {session.room}" if session.room_id else title


def add_from_index(page, plural, singular):
    """Open the add page of a model from the kingadmin index, via its list."""
    page.goto("/kingadmin/")
    page.get_by_role("link", name=plural, exact=True).click()
    expect(page.get_by_role("heading", name=plural, exact=True)).to_be_visible()
    page.get_by_role("link", name=f"Add {singular}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Add {singular}")).to_be_visible()


def fill_schedule(page, *, class_name, weekdays, start, minutes, room, teacher, span):
    page.locator("#id_class_list").select_option(label=class_name)
    weekday_boxes = page.get_by_role("group", name="weekdays")
    for day in weekdays:
        weekday_boxes.get_by_label(day, exact=True).check()
    page.get_by_label("Start time").fill(start)
    page.get_by_label("Duration (minutes)").fill(str(minutes))
    page.locator("#id_room").select_option(label=room)
    page.get_by_role("combobox", name="Teacher").press_sequentially(teacher[:4])
    page.locator("#id_teacher_listbox").get_by_role("option", name=teacher).click()
    expect(
        page.get_by_role("list", name="Chosen teacher").get_by_role("listitem")
    ).to_have_text([teacher])
    page.get_by_label("From").fill(span[0].isoformat())
    page.get_by_label("Until").fill(span[1].isoformat())


def test_admin_plans_a_term_around_a_holiday_and_a_double_booking_is_refused(
    page, demo_site
):
    go = beijing_class("Go 全栈 G1")
    java = beijing_class("Java 全栈 J1")
    bella = another_teacher()
    room = Room.objects.get(name="北京-101")
    in_english(page, "admin")

    # The campus is closed Tuesday to Thursday of the second week.
    add_from_index(page, "Holidays", "holiday")
    page.get_by_label("Name").fill("校庆")
    page.get_by_label("Campus").select_option(label=BEIJING)
    page.get_by_label("First day").fill(HOLIDAY[0].isoformat())
    page.get_by_label("Last day").fill(HOLIDAY[1].isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("“校庆” was")
    holiday = Holiday.objects.get(name="校庆")
    assert (holiday.branch.name, holiday.first_day, holiday.last_day) == (
        BEIJING,
        *HOLIDAY,
    )

    # Go G1 meets Tuesday and Thursday evenings for three weeks.
    add_from_index(page, "Schedules", "schedule")
    fill_schedule(
        page,
        class_name=go.name,
        weekdays=["Tuesday", "Thursday"],
        start="19:00",
        minutes=150,
        room=room.name,
        teacher="Alex 老师",
        span=(MONDAY, MONDAY + timedelta(days=20)),
    )
    page.get_by_role("button", name="Save", exact=True).click()
    alerts = page.get_by_role("alert")
    expect(alerts.filter(has_text="was added")).to_contain_text(
        f"The schedule “{go.name} · Tuesday, Thursday 19:00” was added"
    )
    expect(alerts.filter(has_text="planned")).to_have_text("4 sessions planned.")
    expect(alerts.filter(has_text="holidays")).to_have_text(
        "Skipped for holidays: 2031-03-11, 2031-03-13."
    )
    schedule = Schedule.objects.get(class_list=go)
    assert (schedule.weekdays, schedule.room, schedule.teacher.username) == (
        "24",
        room,
        "teacher",
    )
    sessions = ClassSession.objects.filter(class_list=go).order_by("starts_at")
    assert [
        (timezone.localtime(s.starts_at), timezone.localtime(s.ends_at), s.number)
        for s in sessions
    ] == [
        (
            timezone.make_aware(datetime.combine(day, time(19))),
            timezone.make_aware(datetime.combine(day, time(21, 30))),
            number,
        )
        for number, day in enumerate(
            [date(2031, 3, 4), date(2031, 3, 6), date(2031, 3, 18), date(2031, 3, 20)],
            start=1,
        )
    ]
    assert {(s.room_id, s.teacher.username, s.schedule_id) for s in sessions} == {
        (room.pk, "teacher", schedule.pk)
    }

    # Java J1, another teacher, the same room on Thursday evening of the
    # first week: refused, naming Go G1's session; nothing is saved.
    add_from_index(page, "Schedules", "schedule")
    fill_schedule(
        page,
        class_name=java.name,
        weekdays=["Thursday"],
        start="20:00",
        minutes=90,
        room=room.name,
        teacher=bella.display_name,
        span=(MONDAY, MONDAY + timedelta(days=6)),
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#change-form .alert-danger")).to_have_text(
        f"Room {room.name} is taken then by {go.name} on 2031-03-06 19:00–21:30."
    )
    expect(page.get_by_role("heading", name="Add schedule")).to_be_visible()
    # What the admin entered is still there, to change the time or the room.
    expect(page.get_by_label("Thursday", exact=True)).to_be_checked()
    expect(page.get_by_label("Start time")).to_have_value("20:00")
    assert not Schedule.objects.filter(class_list=java).exists()
    assert not ClassSession.objects.filter(class_list=java).exists()
    assert ClassSession.objects.filter(room=room, starts_at__year=2031).count() == 4


def test_teacher_sees_the_week_the_next_session_and_a_later_week(page, demo_site):
    teacher = User.objects.get(username="teacher")
    mine = selectors.my_sessions(teacher)
    shown_day = first_day_from_this_week(mine)
    week = list(in_week_of(mine, shown_day))
    upcoming = mine.filter(
        starts_at__gte=timezone.now(), status=ClassSession.Status.SCHEDULED
    )
    next_one = upcoming.first()
    linux_first = upcoming.filter(class_list__name=LINUX_40).first()
    in_english(page, "teacher")

    open_from_menu(page, MENU_MY_TIMETABLE)
    expect(page.get_by_role("heading", name="My timetable")).to_be_visible()
    calendar = page.get_by_test_id("calendar")
    expect(calendar.locator(".fc-timegrid")).to_be_visible()
    next_week(page, weeks_ahead(shown_day))
    events = calendar.locator(".fc-event")
    expect(events.filter(has_text=PYTHON_S9).first).to_be_visible()
    expect(events).to_have_count(len(week))
    for session in week:
        expect(events.filter(has_text=event_title(session))).to_have_count(1)

    # The next session heads the list beside the calendar.
    first_item = page.get_by_test_id("upcoming").get_by_role("listitem").first
    local = timezone.localtime
    expect(first_item).to_contain_text(
        f"{next_one.class_list} · lesson {next_one.number}"
    )
    expect(first_item).to_contain_text(local(next_one.starts_at).strftime("%Y-%m-%d"))
    expect(first_item).to_contain_text(
        f"{local(next_one.starts_at):%H:%M}–{local(next_one.ends_at):%H:%M}"
    )

    # Linux 40 starts in two weeks: the arrows lead to its first weekend.
    first_day = local(linux_first.starts_at).date()
    assert weeks_ahead(first_day) > weeks_ahead(shown_day)
    expect(events.filter(has_text=LINUX_40)).to_have_count(0)
    next_week(page, weeks_ahead(first_day) - weeks_ahead(shown_day))
    expect(events.filter(has_text=event_title(linux_first))).to_be_visible()
    expect(
        calendar.locator(f"[data-date='{first_day.isoformat()}'] .fc-event")
    ).to_contain_text([LINUX_40])


def test_teacher_timetable_on_a_phone_is_a_list(browser, live_server, demo_site):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
    )
    context.set_default_timeout(10_000)
    phone = context.new_page()
    in_english(phone, "teacher")
    shown_day = first_day_from_this_week(
        selectors.my_sessions(User.objects.get(username="teacher"))
    )
    phone.goto("/timetable/")
    calendar = phone.get_by_test_id("calendar")
    expect(calendar.locator(".fc-list")).to_be_visible()
    next_week(phone, weeks_ahead(shown_day))
    expect(calendar.locator(".fc-timegrid")).to_have_count(0)
    expect(
        calendar.locator(".fc-list-event").filter(has_text=PYTHON_S9).first
    ).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_student_subscribes_to_the_calendar_feed(page, browser, live_server, demo_site):
    student = User.objects.get(username="student")
    in_english(page, "student")
    open_from_menu(page, MENU_MY_TIMETABLE)
    expect(page.get_by_role("heading", name="My timetable")).to_be_visible()

    page.get_by_role("button", name="Create a feed address").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Your calendar feed has a new address."
    )
    url = page.get_by_test_id("feed-url").input_value()
    match = re.fullmatch(
        re.escape(live_server.url) + r"/timetable/feed/([A-Za-z0-9_-]{43})\.ics", url
    )
    assert match, url
    token = match.group(1)
    stored = CalendarSettings.objects.get(user=student)
    assert stored.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.feed_token_hash

    # A calendar app holds no session: the address alone opens the feed.
    app = browser.new_context()
    reply = app.request.get(url)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/calendar")
    feed = Calendar.from_ical(reply.body())
    events = feed.walk("VEVENT")
    now = timezone.now()
    expected = selectors.my_sessions(student).filter(
        starts_at__gte=now - timedelta(days=30), starts_at__lt=now + timedelta(days=180)
    )
    assert {str(e["UID"]) for e in events} == {
        f"session-{s.pk}@training-school-crm" for s in expected
    }
    assert len(events) > 10
    assert all(PYTHON_S9 in str(e["SUMMARY"]) for e in events)
    by_uid = {str(e["UID"]): e for e in events}
    for session in expected:
        event = by_uid[f"session-{session.pk}@training-school-crm"]
        assert event.decoded("DTSTART") == session.starts_at
        assert event.decoded("DTEND") == session.ends_at

    # The address is shown once; later the page only says a feed is on.
    page.goto("/timetable/")
    expect(page.get_by_test_id("feed-url")).to_have_count(0)
    expect(page.get_by_test_id("feed-state")).to_contain_text("is active")
    # Turned off, the address stops working.
    page.get_by_role("button", name="Turn the feed off").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Your calendar feed was turned off."
    )
    assert app.request.get(url).status == 404
    app.close()


def test_manager_narrows_the_campus_timetable_to_one_room(page, demo_site):
    # A second Beijing class meets in the other Beijing room on the evening
    # of S9's next day of class (this week but for New Year).
    room_101 = Room.objects.get(name="北京-101")
    room_102 = Room.objects.get(name="北京-102")
    s9_sessions = ClassSession.objects.filter(
        class_list=ClassList.objects.get(name=PYTHON_S9), room=room_101
    )
    shown_day = first_day_from_this_week(s9_sessions)
    evening = timezone.make_aware(datetime.combine(shown_day, time(19)))
    java, _booking = services.session_create(
        class_list=beijing_class("Java 全栈 J1"),
        starts_at=evening,
        ends_at=evening + timedelta(hours=2),
        room=room_102,
        teacher=another_teacher(),
    )
    s9_that_week = in_week_of(s9_sessions, shown_day).count()
    in_english(page, "manager")

    open_from_menu(page, MENU_CAMPUS_TIMETABLE)
    expect(page.get_by_role("heading", name="Campus timetable")).to_be_visible()
    rooms = page.get_by_label("Room")
    # The manager's campus only: its rooms, not Shanghai's.
    expect(rooms.locator("option")).to_have_text(
        ["All rooms", f"{BEIJING} 北京-101", f"{BEIJING} 北京-102"]
    )
    next_week(page, weeks_ahead(shown_day))
    events = page.get_by_test_id("calendar").locator(".fc-event")
    expect(events.filter(has_text=java.class_list.name)).to_have_count(1)
    expect(events.filter(has_text=PYTHON_S9)).to_have_count(s9_that_week)

    # Choosing a room reloads the page with it (no button to press).
    with page.expect_navigation():
        rooms.select_option(label=f"{BEIJING} 北京-102")
    expect(page).to_have_url(re.compile(rf"\?room={room_102.pk}&teacher=$"))
    expect(rooms).to_have_value(str(room_102.pk))
    next_week(page, weeks_ahead(shown_day))
    expect(events.filter(has_text=java.class_list.name)).to_have_count(1)
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("北京-102")

    with page.expect_navigation():
        rooms.select_option(label=f"{BEIJING} 北京-101")
    expect(rooms).to_have_value(str(room_101.pk))
    next_week(page, weeks_ahead(shown_day))
    expect(events.filter(has_text=PYTHON_S9)).to_have_count(s9_that_week)
    expect(events).to_have_count(s9_that_week)
    expect(events.filter(has_text=java.class_list.name)).to_have_count(0)
