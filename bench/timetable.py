"""Benchmark: the timetable's calendar JSON and pages, 50 classes over a term.

Target (issue 15): the calendar JSON endpoints and the timetable pages stay
under 100 ms for a campus with 50 classes over a term (20 weeks), absolute,
on the machine running the bench. Their constant number of queries is
asserted by the tests (timetable/tests); the table shows the counts, and the
target line says whether a month costs the queries of a week. Scenarios, A
through the whole Django stack (``django.test.Client``, production mode):

- the campus events (``timetable:campus_events``) of one week, of one month
  (the 6-week grid FullCalendar's month view asks for) and of one room for
  that month, as the superuser ``admin`` (every campus);
- the campus page (``timetable:campus``), as ``admin``;
- "my timetable" events of that month (``timetable:mine_events``) and the
  page (``timetable:mine``), as a teacher of five classes.

B, the peer, is the floor of each: one hand-written SQL query (per select of
a page) through the same connection, its rows turned into the same events
with ``json.dumps`` (compared with A's JSON: a scenario is measured only if
both are equal), or into a bare page with the same select options / next
sessions (compared by count), in this process. Run by hand:

    .venv/bin/python bench/timetable.py [--repeat N] [--classes N] [--weeks N]
    DATABASE_URL=postgres://... .venv/bin/python bench/timetable.py
    .venv/bin/python bench/timetable.py --smoke   # works? (seconds; exit 1 if not)

Production mode (DEBUG=0, collected static files) and the database as
bench/harness.py sets them up: DATABASE_URL if set, else
``var/bench/timetable.sqlite3``, kept between runs: migrated, the demo loaded
(seed_demo, without generated leads), then a campus of its own (基准校区)
whose missing classes are added, each planned through
``timetable.services.schedule_create`` from Monday 2030-03-04 for
``--weeks`` weeks (a fixed term in the future: the same data on every run,
all of it still to come). Class n meets in one of nine weekly slots (Mon Wed
Fri, Tue Thu or Sat Sun; 09:00, 14:00 or 19:00 for 150 minutes): slot n % 9,
room n // 9 and teacher n // 5, so that no room and no teacher is booked
twice. The sessions of one Wednesday are cancelled (they stay listed); a
handful of students are enrolled in the first class. A full run exits 0; a
smoke run (3 classes, 3 weeks) exits 1 if a scenario is not comparable.
"""

import html
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from urllib.parse import urlencode

import harness

# This script shares its name with the project's timetable app, and Python
# puts the script's folder (bench/) first on sys.path: the project's folder
# goes before it, or ``import timetable`` would find this file (harness adds
# the project's folder only when missing, e.g. not with PYTHONPATH set).
sys.path.insert(0, str(harness.ROOT))

TARGET_MS = 100
FULL_SIZE = {"classes": 50, "weeks": 20}
CAMPUS = "基准校区"
COURSE = "基准课程"
TEACHER_PREFIX = "bench_tt_teacher_"
STUDENT_PREFIX = "bench_tt_student_"
STUDENTS = 5
TERM_START = date(2030, 3, 4)  # a Monday
# Nine weekly slots no two of which overlap: weekdays x start time.
PATTERNS = ([1, 3, 5], [2, 4], [6, 7])
STARTS = (clock(9, 0), clock(14, 0), clock(19, 0))
DURATION = 150
CLASSES_PER_TEACHER = 5  # consecutive classes: five different slots
CLASSES_PER_ROOM = len(PATTERNS) * len(STARTS)  # one room, every slot once
OPTION = re.compile(r'<option value="\d+"')
UPCOMING = re.compile(r'data-testid="upcoming">(.*?)</ul>', re.DOTALL)
UPCOMING_ITEM = re.compile(r'<li class="list-group-item">')
WEEK_LABEL = "campus events, week"
MONTH_LABEL = "campus events, month"


def parse_args():
    parser = harness.argument_parser(__doc__, repeat=15, warmup=2)
    parser.add_argument("--classes", type=int, default=FULL_SIZE["classes"])
    parser.add_argument("--weeks", type=int, default=FULL_SIZE["weeks"])
    parser.add_argument(
        "--show-queries",
        action="store_true",
        help="print the SQL of one A request per scenario, with its time",
    )
    return harness.parse_args(
        parser, smoke={"classes": 3, "weeks": 3, "repeat": 2, "warmup": 1}
    )


# -- data ---------------------------------------------------------------------


def cancelled_day(weeks: int) -> date:
    """Return the Wednesday whose sessions are cancelled (in the measured week)."""
    return measured_week(weeks) + timedelta(days=2)


def measured_week(weeks: int) -> date:
    """Return the Monday of the week measured: the fifth of the term, if any."""
    return TERM_START + timedelta(weeks=min(4, max(0, weeks - 1)))


def month_grid(day: date) -> tuple[date, date]:
    """Return FullCalendar's month view of ``day``'s month: 6 weeks from a Monday."""
    first = day.replace(day=1)
    start = first - timedelta(days=first.weekday())
    return start, start + timedelta(days=42)


def ensure_data(classes: int, weeks: int) -> None:
    """Load the demo, then add the bench campus's missing classes and students."""
    from django.db import transaction

    from crm.models import Branch, ClassList, Course

    harness.ensure_demo()
    campus, _ = Branch.objects.get_or_create(name=CAMPUS)
    course, _ = Course.objects.get_or_create(
        name=COURSE, defaults={"price": 9800, "period_months": 5}
    )
    scheduled = set(
        ClassList.objects.filter(
            branch=campus, course=course, schedules__isnull=False
        ).values_list("semester", flat=True)
    )
    missing = [n for n in range(classes) if n + 1 not in scheduled]
    if missing:
        print(
            f"Scheduling {len(missing)} classes over {weeks} weeks "
            f"(have {len(scheduled)})...",
            flush=True,
        )
        started = time.monotonic()
        for n in missing:
            # A class is there with its whole term, or not at all.
            with transaction.atomic():
                schedule_class(campus, course, n, weeks)
        print(f"Scheduled in {time.monotonic() - started:.1f}s.", flush=True)
    else:
        print(f"Reusing {len(scheduled)} scheduled classes.")
    ensure_students(campus, course)


def schedule_class(campus, course, n: int, weeks: int) -> None:
    """Create class ``n`` (its room and teacher if new) and plan its term.

    Through ``schedule_create``, as the school plans a term: its clash check,
    holidays and numbering run. Then the sessions of the cancelled day are
    cancelled as ``session_cancel`` does, without telling anyone (no job).
    """
    from accounts.models import Role, User
    from crm.demo_data import ROLE_TEACHER
    from crm.models import ClassList
    from timetable import services
    from timetable.models import ClassSession, Room

    room, _ = Room.objects.get_or_create(
        branch=campus,
        name=f"B{n // CLASSES_PER_ROOM + 1:02d}",
        defaults={"capacity": 40},
    )
    teacher, created = User.objects.get_or_create(
        username=f"{TEACHER_PREFIX}{n // CLASSES_PER_TEACHER:02d}",
        defaults={
            "display_name": f"基准老师{n // CLASSES_PER_TEACHER + 1:02d}",
            "campus": campus,
        },
    )
    if created:
        teacher.set_unusable_password()
        teacher.save(update_fields=["password"])
        teacher.roles.add(Role.objects.get(name=ROLE_TEACHER))
    class_list, _ = ClassList.objects.get_or_create(
        branch=campus,
        course=course,
        class_type=ClassList.ClassType.FULL_TIME,
        semester=n + 1,
        defaults={"name": f"基准{n + 1:02d}班", "start_date": TERM_START},
    )
    class_list.teachers.add(teacher)
    slot = n % CLASSES_PER_ROOM
    services.schedule_create(
        class_list=class_list,
        weekdays=PATTERNS[slot // len(STARTS)],
        start_time=STARTS[slot % len(STARTS)],
        duration_minutes=DURATION,
        room=room,
        teacher=teacher,
        first_date=TERM_START,
        last_date=TERM_START + timedelta(weeks=weeks, days=-1),
    )
    day = cancelled_day(weeks)
    ClassSession.objects.filter(
        class_list=class_list,
        status=ClassSession.Status.SCHEDULED,
        starts_at__date=day,
    ).update(
        status=ClassSession.Status.CANCELLED,
        cancel_reason="校区活动",
        number=None,
    )
    services.sessions_renumber(class_list=class_list)


def ensure_students(campus, course) -> None:
    """Enroll (approved) ``STUDENTS`` student accounts in the first class."""
    from django.db import transaction

    from accounts.models import Role, User
    from crm.demo_data import ROLE_STUDENT
    from crm.models import ClassList

    first = ClassList.objects.get(branch=campus, course=course, semester=1)
    admin = User.objects.get(username=harness.SUPERUSER)
    role = Role.objects.get(name=ROLE_STUDENT)
    for n in range(STUDENTS):
        if User.objects.filter(username=f"{STUDENT_PREFIX}{n}").exists():
            continue
        with transaction.atomic():  # the account with its enrollment, or neither
            enroll_student(n, campus, first, admin, role)


def enroll_student(n: int, campus, class_list, admin, role) -> None:
    """Create student ``n``'s account and customer, approved in ``class_list``."""
    from django.utils import timezone

    from accounts.models import User
    from crm.models import Customer, Enrollment

    user = User.objects.create(
        username=f"{STUDENT_PREFIX}{n}",
        display_name=f"基准学员{n + 1}",
        campus=campus,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.roles.add(role)
    customer = Customer.objects.create(
        name=user.display_name,
        qq=str(7_300_000_000 + n),
        source=Customer.Source.QQ_GROUP,
        status=Customer.Status.ENROLLED,
        consultant=admin,
        user=user,
    )
    Enrollment.objects.create(
        customer=customer,
        class_list=class_list,
        consultant=admin,
        state=Enrollment.State.APPROVED,
        approved_by=admin,
        approved_at=timezone.now(),
    )


# -- the floors (B): hand-written SQL, same process -----------------------------

EVENTS_SQL = """
    SELECT s.id, s.number, s.status, s.topic, s.starts_at, s.ends_at, s.room_id,
           r.name, k.name, co.name, k.semester,
           u.display_name, u.first_name, u.last_name, u.username
    FROM timetable_classsession s
    INNER JOIN crm_classlist k ON k.id = s.class_list_id
    INNER JOIN crm_course co ON co.id = k.course_id
    INNER JOIN accounts_user u ON u.id = s.teacher_id
    LEFT JOIN timetable_room r ON r.id = s.room_id
    WHERE s.starts_at < %s AND s.starts_at > %s AND s.ends_at > %s {where}
    ORDER BY s.starts_at, s.id
"""
# The sessions on a user's own timetable: taught, of a class taught, studied.
MINE_SQL = """
    AND (s.teacher_id = %s
         OR s.class_list_id IN (
             SELECT classlist_id FROM crm_classlist_teachers WHERE user_id = %s)
         OR s.class_list_id IN (
             SELECT e.class_list_id FROM crm_enrollment e
             INNER JOIN crm_customer c ON c.id = e.customer_id
             WHERE c.user_id = %s AND e.state = 'approved'))
"""


def user_name(display_name: str, first_name: str, last_name: str, username: str):
    """Return ``str(user)`` from its columns (accounts.models.User.__str__)."""
    return display_name or f"{first_name} {last_name}".strip() or username


def local_iso(value: datetime) -> str:
    """Return the school's wall-clock time of ``value``, without an offset."""
    from django.utils import timezone

    if value.tzinfo is None:  # SQLite: naive UTC
        value = value.replace(tzinfo=UTC)
    return timezone.localtime(value).replace(tzinfo=None).isoformat()


def floor_events(start: datetime, end: datetime, where: str = "", params=()) -> bytes:
    """Return the events JSON of the sessions in [start, end) matching ``where``."""
    from django.db import connection
    from django.utils.translation import gettext

    from timetable.models import MAX_SESSION

    adapt = connection.ops.adapt_datetimefield_value
    lesson = gettext("%(class)s · lesson %(number)s")
    cancelled_title = gettext("Cancelled: %(title)s")
    with connection.cursor() as cursor:
        cursor.execute(
            EVENTS_SQL.format(where=where),
            [adapt(end), adapt(start - MAX_SESSION), adapt(start), *params],
        )
        rows = cursor.fetchall()
    events = []
    for (
        pk,
        number,
        status,
        topic,
        starts_at,
        ends_at,
        room_id,
        room,
        class_name,
        course,
        semester,
        *teacher,
    ) in rows:
        title = class_name or f"{course} {semester}"
        if number:
            title = lesson % {"class": title, "number": number}
        if room_id:
            title = f"{title} · {room}"
        cancelled = status == "cancelled"
        if cancelled:
            title = cancelled_title % {"title": title}
        events.append(
            {
                "id": pk,
                "title": title,
                "start": local_iso(starts_at),
                "end": local_iso(ends_at),
                "classNames": ["session-cancelled"] if cancelled else [],
                "extendedProps": {
                    "room": room if room_id else "",
                    "teacher": user_name(*teacher),
                    "topic": topic,
                    "status": status,
                },
            }
        )
    return json.dumps(events).encode()


def floor_campus_page() -> bytes:
    """Return a bare page with the campus page's room and teacher options.

    As the page: the rooms and teachers of the sessions of this term
    (timetable.views.TERM_BEHIND / TERM_AHEAD around now).
    """
    from django.db import connection
    from django.utils import timezone

    from timetable.views import TERM_AHEAD, TERM_BEHIND

    adapt = connection.ops.adapt_datetimefield_value
    now = timezone.now()
    term = [adapt(now - TERM_BEHIND), adapt(now + TERM_AHEAD)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, b.name, r.name FROM timetable_room r "
            "INNER JOIN crm_branch b ON b.id = r.branch_id "
            "WHERE r.id IN (SELECT s.room_id FROM timetable_classsession s "
            "WHERE s.starts_at >= %s AND s.starts_at < %s) "
            "ORDER BY b.name, r.name",
            term,
        )
        rooms = cursor.fetchall()
        cursor.execute(
            "SELECT id, display_name, first_name, last_name, username "
            "FROM accounts_user WHERE id IN "
            "(SELECT teacher_id FROM timetable_classsession "
            "WHERE starts_at >= %s AND starts_at < %s) "
            "ORDER BY display_name, username",
            term,
        )
        teachers = cursor.fetchall()
    escape = html.escape
    room_options = "".join(
        f'<option value="{pk}">{escape(campus)} {escape(name)}</option>'
        for pk, campus, name in rooms
    )
    teacher_options = "".join(
        f'<option value="{pk}">{escape(user_name(*names))}</option>'
        for pk, *names in teachers
    )
    return (
        "<!doctype html><title>Campus timetable</title><form>"
        f'<select name="room"><option value="">All rooms</option>{room_options}'
        f'</select><select name="teacher"><option value="">All teachers</option>'
        f'{teacher_options}</select></form><div id="timetable" '
        'data-events-url="/timetable/campus/events/"></div>'
    ).encode()


def floor_mine_page(user_id: int) -> bytes:
    """Return a bare page with the user's next five sessions and reminder setting."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k.name, co.name, k.semester, s.starts_at "
            "FROM timetable_classsession s "
            "INNER JOIN crm_classlist k ON k.id = s.class_list_id "
            "INNER JOIN crm_course co ON co.id = k.course_id "
            f"WHERE s.starts_at >= %s AND s.status = 'scheduled' {MINE_SQL} "
            "ORDER BY s.starts_at, s.id LIMIT 5",
            [connection.ops.adapt_datetimefield_value(timezone.now())] + [user_id] * 3,
        )
        upcoming = cursor.fetchall()
        cursor.execute(
            "SELECT reminders FROM timetable_calendarsettings WHERE user_id = %s",
            [user_id],
        )
        reminders = cursor.fetchone()
    items = "".join(
        f'<li class="list-group-item">{html.escape(name or f"{course} {semester}")}'
        f" {local_iso(starts_at)}</li>"
        for name, course, semester, starts_at in upcoming
    )
    checked = " checked" if reminders is None or reminders[0] else ""
    return (
        "<!doctype html><title>My timetable</title>"
        '<div id="timetable" data-events-url="/timetable/events/"></div>'
        f'<ul data-testid="upcoming">{items}</ul>'
        f'<input type="checkbox" name="reminders"{checked}>'
    ).encode()


# -- scenarios ----------------------------------------------------------------


@dataclass
class Scenario:
    label: str
    client: object
    path: str
    floor: Callable[[], bytes]
    # Why A and B do not show the same thing (none: comparable).
    compare: Callable[[bytes, bytes], list[str]]
    events: bool = False


def same_events(a: bytes, b: bytes) -> list[str]:
    ours, floor = json.loads(a), json.loads(b)
    if not ours:
        return ["A lists no events"]
    if ours != floor:
        first = next(
            (pair for pair in zip(ours, floor, strict=False) if pair[0] != pair[1]),
            (len(ours), len(floor)),
        )
        return [f"A's events differ from B's ({len(ours)} / {len(floor)}): {first}"]
    return []


def options_of(name: str, body: str) -> int:
    select = re.search(rf'<select[^>]* name="{name}".*?</select>', body, re.DOTALL)
    return len(OPTION.findall(select.group(0))) if select else -1


def same_options(a: bytes, b: bytes) -> list[str]:
    problems = []
    for name in ("room", "teacher"):
        ours, floor = options_of(name, a.decode()), options_of(name, b.decode())
        if ours <= 0 or ours != floor:
            problems.append(f"{name} options: A {ours}, B {floor}")
    return problems


def upcoming_of(body: str) -> int:
    found = UPCOMING.search(body)
    return len(UPCOMING_ITEM.findall(found.group(1))) if found else -1


def same_upcoming(a: bytes, b: bytes) -> list[str]:
    ours, floor = upcoming_of(a.decode()), upcoming_of(b.decode())
    if ours <= 0 or ours != floor:
        return [f"next sessions: A {ours}, B {floor}"]
    return []


def span(first: date, last: date) -> tuple[datetime, datetime]:
    """Return local midnights of ``first`` and ``last``, as FullCalendar asks."""
    from django.utils import timezone

    return tuple(
        timezone.make_aware(datetime.combine(day, datetime.min.time()))
        for day in (first, last)
    )


def events_path(name: str, bounds: tuple[datetime, datetime], **params) -> str:
    from django.urls import reverse

    start, end = bounds
    query = {"start": start.isoformat(), "end": end.isoformat(), **params}
    return f"{reverse(name)}?{urlencode(query)}"


def build_scenarios(admin, teacher, teacher_client, args) -> list[Scenario]:
    from django.urls import reverse

    from timetable.models import Room

    monday = measured_week(args.weeks)
    week = span(monday, monday + timedelta(days=7))
    month = span(*month_grid(monday))
    room = Room.objects.get(branch__name=CAMPUS, name="B01")
    campus_events = "timetable:campus_events"
    return [
        Scenario(
            WEEK_LABEL,
            admin,
            events_path(campus_events, week),
            lambda: floor_events(*week),
            same_events,
            events=True,
        ),
        Scenario(
            MONTH_LABEL,
            admin,
            events_path(campus_events, month),
            lambda: floor_events(*month),
            same_events,
            events=True,
        ),
        Scenario(
            f"campus events, room {room.name}, month",
            admin,
            events_path(campus_events, month, room=room.pk),
            lambda: floor_events(*month, "AND s.room_id = %s", [room.pk]),
            same_events,
            events=True,
        ),
        Scenario(
            "campus page",
            admin,
            reverse("timetable:campus"),
            floor_campus_page,
            same_options,
        ),
        Scenario(
            "my events, teacher, month",
            teacher_client,
            events_path("timetable:mine_events", month),
            lambda: floor_events(*month, MINE_SQL, [teacher.pk] * 3),
            same_events,
            events=True,
        ),
        Scenario(
            "my timetable page, teacher",
            teacher_client,
            reverse("timetable:mine"),
            lambda: floor_mine_page(teacher.pk),
            same_upcoming,
        ),
    ]


def queries_of_call(function: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def measure(scenario: Scenario, args) -> harness.Row:
    """Time one scenario, A (the page) and B (its floor) interleaved."""
    client = scenario.client
    row = harness.Row(scenario.label)
    response = client.get(scenario.path)
    row.problems = harness.status_problems(A=response)
    if row.problems:
        return row
    row.problems = scenario.compare(response.content, scenario.floor())
    if row.problems:
        return row
    row.timing = harness.interleave(
        lambda: client.get(scenario.path),
        scenario.floor,
        repeat=args.repeat,
        warmup=args.warmup,
    )
    queries = harness.queries_of(client, scenario.path)
    row.extra = {
        "events": len(json.loads(response.content)) if scenario.events else "",
        "A KB": f"{len(response.content) / 1024:.0f}",
        "A queries": len(queries),
        "B queries": queries_of_call(scenario.floor),
    }
    if args.show_queries:
        harness.print_queries(scenario.label, queries)
    return row


def print_target(rows: list[harness.Row], args, env: harness.Environment) -> None:
    timed = [row for row in rows if row.timing]
    slow = [row.label for row in timed if row.timing.a_median >= TARGET_MS]
    slowest = max((row.timing.a_median for row in timed), default=float("nan"))
    queries = {row.label: row.extra["A queries"] for row in timed}
    week, month = queries.get(WEEK_LABEL), queries.get(MONTH_LABEL)
    constant = week is not None and week == month
    full_size = (args.classes, args.weeks) == tuple(FULL_SIZE.values())
    harness.print_target(
        f"every A under {TARGET_MS} ms with {FULL_SIZE['classes']} classes over "
        f"{FULL_SIZE['weeks']} weeks (slowest {slowest:.1f} ms; over: "
        f"{', '.join(slow) or 'none'}), a month in the queries of a week "
        f"({week} / {month})",
        met=not slow and constant if full_size and len(timed) == len(rows) else None,
        env=env,
    )


def main() -> int:
    args = parse_args()
    with harness.production(args, "timetable") as env:
        ensure_data(args.classes, args.weeks)

        from django.db.models import Max, Min
        from django.utils.timezone import localtime

        from accounts.models import User
        from timetable.models import ClassSession

        admin = harness.logged_in_client()
        teacher = User.objects.get(username=f"{TEACHER_PREFIX}00")
        teacher_client = harness.logged_in_client(teacher.username)
        campus_sessions = ClassSession.objects.filter(class_list__branch__name=CAMPUS)
        term = campus_sessions.aggregate(first=Min("starts_at"), last=Max("ends_at"))
        first, last = (localtime(term[end]).date() for end in ("first", "last"))
        print(
            f"{campus_sessions.values('class_list').distinct().count()} classes, "
            f"{campus_sessions.count()} sessions on {CAMPUS} from "
            f"{first} to {last} "
            f"({ClassSession.objects.count()} in all); {teacher} teaches "
            f"{teacher.teaching_classes.count()} classes; {args.repeat} runs each "
            f"after {args.warmup} warm-up"
        )
        monday = measured_week(args.weeks)
        grid = month_grid(monday)
        print(f"week from {monday}, month grid from {grid[0]} to {grid[1]} (6 weeks)")
        scenarios = build_scenarios(admin, teacher, teacher_client, args)
        rows = [measure(scenario, args) for scenario in scenarios]
        harness.print_table(rows, a="Django view", b="hand-written SQL + json/html")
        print_target(rows, args, env)
        return harness.exit_status(env, rows)


if __name__ == "__main__":
    raise SystemExit(main())
