"""The timetable (issue 15) as its users see it, on the demo data.

1. The admin adds a holiday and a schedule in kingadmin: the sessions skip
   the holiday; a second class booked into the same room then is refused.
2. The teacher opens "My timetable": the week's sessions, the next one, a
   later week; on a phone, the list view.
3. The student makes a calendar feed address and subscribes to it: the feed
   is the class's sessions.
4. The sales manager narrows the campus timetable to one room.
5. The student asks leave from a session later today; the teacher approves
   it, then records the session: the roll call has the student on leave.

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

from accounts.models import Notification, Role, User
from crm.demo_data import (
    BEIJING,
    LINUX_40,
    MENU_CAMPUS_TIMETABLE,
    MENU_LEAVE_REQUESTS,
    MENU_MY_TIMETABLE,
    PYTHON_S9,
    ROLE_TEACHER,
)
from crm.models import Branch, ClassList, Customer
from teacher.models import StudyRecord
from tests.browser.conftest import log_in
from tests.factories import ClassListFactory, UserFactory
from timetable import selectors, services
from timetable.models import (
    CalendarSettings,
    ClassSession,
    Holiday,
    LeaveRequest,
    Room,
    Schedule,
)

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
    # The list starts with today's sessions (still to record), then the next.
    upcoming = mine.filter(
        starts_at__gte=selectors.aware(timezone.localdate()),
        status=ClassSession.Status.SCHEDULED,
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


# -- leave (请假): asked by the student, approved, then the session recorded
LEAVE_REASON = "发烧，去医院"


@pytest.fixture
def second_page(browser, live_server):
    """Return a page of its own browser context (its own login), closed at the end."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def free_slot_later_today(class_list, teacher):
    """Return (start, end, room) of a free slot later today on the class's campus.

    Free: no scheduled session of the class, the teacher or the room
    overlaps it (the check ``services.session_create`` makes). Two hours
    from now if that fits before local midnight, else sooner or shorter;
    None if nothing fits (a few minutes before midnight).
    """
    soon = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    midnight = selectors.aware(timezone.localdate() + timedelta(days=1))
    rooms = list(Room.objects.filter(branch=class_list.branch).order_by("name"))
    leads = [120, 150, 180, 240, 300, 360, 90, 60, 30, 10, 2]
    for minutes in (90, 10):
        for lead in leads:
            start = soon + timedelta(minutes=lead)
            end = start + timedelta(minutes=minutes)
            if end > midnight:
                continue
            for room in rooms:
                planned = services.Planned(
                    class_list_id=class_list.pk,
                    room_id=room.pk,
                    teacher_id=teacher.pk,
                    starts_at=start,
                    ends_at=end,
                )
                if not services.conflicts([planned]):
                    return start, end, room
    return None


def hours_of(session):
    local = timezone.localtime
    return f"{local(session.starts_at):%H:%M}–{local(session.ends_at):%H:%M}"


def upcoming_item(page, session):
    """Return the item of ``session`` in the "Today and coming sessions" list."""
    day = timezone.localtime(session.starts_at).strftime("%Y-%m-%d")
    return (
        page.get_by_test_id("upcoming")
        .get_by_role("listitem")
        .filter(has_text=f"{session.class_list} · lesson {session.number}")
        .filter(has_text=day)
        .filter(has_text=hours_of(session))
    )


def test_student_asks_leave_the_teacher_approves_and_records_the_session(
    page, second_page, demo_site
):
    s9 = ClassList.objects.get(name=PYTHON_S9)
    teacher = User.objects.get(username="teacher")
    student = User.objects.get(username="student")
    li_lei = Customer.objects.get(user=student)
    slot = free_slot_later_today(s9, teacher)
    if slot is None:
        pytest.skip("Too close to local midnight for a session later today.")
    starts_at, ends_at, room = slot
    session, _booking = services.session_create(
        class_list=s9,
        starts_at=starts_at,
        ends_at=ends_at,
        room=room,
        teacher=teacher,
        topic="装饰器",
    )
    day = timezone.localtime(starts_at).strftime("%Y-%m-%d")
    when = f"{day} {timezone.localtime(starts_at):%H:%M}"
    described = f"{PYTHON_S9} on {day} {hours_of(session)}"

    # The student asks leave from the session, from "My timetable".
    in_english(page, "student")
    open_from_menu(page, MENU_MY_TIMETABLE)
    expect(page.get_by_role("heading", name="My timetable")).to_be_visible()
    item = upcoming_item(page, session)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(room.name)
    expect(item.get_by_role("link", name="Record this session")).to_have_count(0)
    item.get_by_role("link", name="Ask for leave").click()
    expect(page.get_by_role("heading", name="Ask for leave")).to_be_visible()
    expect(page.get_by_test_id("leave-session")).to_contain_text(hours_of(session))
    page.get_by_label("Reason").fill(LEAVE_REASON)
    with page.expect_navigation():
        page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Your leave request was sent to the teacher."
    )
    mine = page.get_by_test_id("leave-requests").get_by_role("listitem")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(f"{PYTHON_S9} · {when}")
    expect(mine).to_contain_text("Waiting for a decision")
    # Asked once: the link is gone from the session.
    expect(item.get_by_role("link", name="Ask for leave")).to_have_count(0)
    leave = LeaveRequest.objects.get(session=session)
    assert (leave.enrollment.customer, leave.reason, leave.state) == (
        li_lei,
        LEAVE_REASON,
        LeaveRequest.State.PENDING,
    )
    assert Notification.objects.filter(
        recipient=teacher,
        link="/timetable/leave/",
        text=f"{li_lei} asks leave from {described}: {LEAVE_REASON}",
    ).exists()

    # The teacher approves it from "Leave requests".
    teacher_page = second_page
    in_english(teacher_page, "teacher")
    open_from_menu(teacher_page, MENU_LEAVE_REQUESTS)
    expect(
        teacher_page.get_by_role("heading", name="Leave requests", exact=True)
    ).to_be_visible()
    card = teacher_page.get_by_test_id(f"leave-{leave.pk}")
    expect(card).to_contain_text(str(li_lei))
    expect(card).to_contain_text(LEAVE_REASON)
    expect(card).to_contain_text(f"{PYTHON_S9} · {day}")
    with teacher_page.expect_navigation():
        card.get_by_role("button", name="Approve").click()
    expect(teacher_page.locator(".alert-success")).to_contain_text(
        f"The leave of {li_lei} was approved."
    )
    expect(card).to_have_count(0)
    decided = teacher_page.get_by_test_id("decided-leave").locator("tbody tr")
    row = decided.filter(has_text=LEAVE_REASON)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell")).to_have_text(
        [
            str(li_lei),
            f"{PYTHON_S9} · {when}",
            LEAVE_REASON,
            f"Approved · {teacher.display_name}",
            "",
        ]
    )
    leave.refresh_from_db()
    assert (leave.state, leave.decided_by, leave.makeup_session) == (
        LeaveRequest.State.APPROVED,
        teacher,
        None,
    )
    assert leave.decided_at is not None
    told = Notification.objects.filter(recipient=student, link="/timetable/")
    assert [n.text for n in told] == [f"Your leave from {described} is approved."]

    # The student sees the decision on "My timetable".
    page.reload()
    expect(mine).to_contain_text("Approved")

    # The session is later today: the teacher records it from "My timetable".
    open_from_menu(teacher_page, MENU_MY_TIMETABLE)
    item = upcoming_item(teacher_page, session)
    expect(item).to_have_count(1)
    expect(item.get_by_role("link", name="Ask for leave")).to_have_count(0)
    item.get_by_role("link", name="Record this session").click()
    expect(
        teacher_page.get_by_role("heading", name=f"New lesson of {PYTHON_S9}")
    ).to_be_visible()
    expect(teacher_page.get_by_test_id("session")).to_contain_text(
        f"Lesson {session.number} · {day}"
    )
    title = teacher_page.get_by_role("textbox", name=re.compile(r"^Title"))
    expect(title).to_have_value("装饰器")
    title.fill("装饰器与闭包")
    teacher_page.get_by_role("textbox", name="Homework title").fill("写一个计时装饰器")
    with teacher_page.expect_navigation():
        teacher_page.get_by_role("button", name="Save lesson").click()

    # It lands on the roll call: 李雷 on leave, the others present.
    session.refresh_from_db()
    lesson = session.course_record
    assert lesson is not None
    expect(teacher_page).to_have_url(re.compile(rf"/teacher/lessons/{lesson.pk}/"))
    expect(teacher_page.locator(".alert-success")).to_contain_text(
        f"Lesson {session.number} of {PYTHON_S9} was recorded."
    )
    expect(
        teacher_page.get_by_role(
            "heading", name=f"Lesson {session.number}: 装饰器与闭包"
        )
    ).to_be_visible()
    records = list(
        StudyRecord.objects.filter(course_record=lesson).select_related(
            "enrollment__customer"
        )
    )
    assert len(records) == s9.enrollments.filter(state="approved").count() > 1
    roll_call = teacher_page.get_by_test_id("roll-call")
    for record in records:
        customer = record.enrollment.customer
        expected = "On leave" if customer == li_lei else "Present"
        expect(
            roll_call.get_by_role(
                "radiogroup", name=str(customer), exact=True
            ).get_by_role("radio", name=expected, exact=True)
        ).to_be_checked()
    attendance = {r.enrollment.customer_id: r.attendance for r in records}
    assert attendance.pop(li_lei.pk) == StudyRecord.Attendance.ON_LEAVE
    assert set(attendance.values()) == {StudyRecord.Attendance.PRESENT}
    assert (lesson.lesson_number, lesson.date, lesson.teacher, lesson.title) == (
        session.number,
        timezone.localtime(starts_at).date(),
        teacher,
        "装饰器与闭包",
    )
    assert lesson.homework_title == "写一个计时装饰器"
