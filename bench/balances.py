"""Benchmark: the balances page of a campus with 5,000 enrollments.

Target (issue 16): the campus balances page (``finance:balances``) under
200 ms for a campus of 5,000 open enrollments, absolute, on the machine
running the bench; its constant number of queries is asserted by the tests
(finance/tests). Scenarios, A through the whole Django stack
(``django.test.Client``, production mode, as the superuser ``admin``):

- the first page of the campus (100 enrollments, the campus's totals);
- its last page.

B, the peer, is the floor: the same page's rows (customer, class, price,
money held, hours bought / used / left) and the campus's totals in two
hand-written SQL queries through the same connection, turned into a bare
HTML table, in this process. A scenario is measured only if every customer
B lists appears on A's page. Run by hand:

    .venv/bin/python bench/balances.py [--repeat N] [--enrollments N]
    DATABASE_URL=postgres://... .venv/bin/python bench/balances.py
    .venv/bin/python bench/balances.py --smoke   # works? (seconds; exit 1 if not)

Production mode (DEBUG=0, collected static files) and the database as
bench/harness.py sets them up: DATABASE_URL if set, else
``var/bench/balances.sqlite3``, kept between runs: migrated, the demo loaded
(seed_demo, without generated leads), then a campus of its own (基准财务校区)
with ten classes whose missing enrollments are added through the services
an approval uses (``terms_at_approval``, ``payment_record``: contract terms,
hours bought, a plan, a payment with its receipt; every fifth student pays
half of the first of three instalments, due in the past), and two lessons
per class recorded through ``courserecord_create`` (their hours consumed).
"""

import html
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import harness

TARGET_MS = 200
FULL_SIZE = 5_000
CLASSES = 10
CAMPUS = "基准财务校区"
COURSE = "基准财务课程"
TEACHER = "bench_fin_teacher"
QQ_BASE = 7_400_000_000
PER_PAGE = 100


def parse_args():
    parser = harness.argument_parser(__doc__, repeat=15, warmup=2)
    parser.add_argument("--enrollments", type=int, default=FULL_SIZE)
    return harness.parse_args(
        parser, smoke={"enrollments": 30, "repeat": 2, "warmup": 1}
    )


# -- data ---------------------------------------------------------------------


def ensure_data(count: int):
    """Load the demo, then add the bench campus's missing enrollments and lessons."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from crm.models import Branch, ClassList, Course, Customer, Enrollment

    harness.ensure_demo()
    campus, _ = Branch.objects.get_or_create(name=CAMPUS)
    course, _ = Course.objects.get_or_create(
        name=COURSE,
        defaults={
            "price": Decimal("9800.00"),
            "period_months": 5,
            "class_hours": Decimal("60.0"),
            "hours_per_lesson": Decimal("2.0"),
        },
    )
    admin = User.objects.get(username=harness.SUPERUSER)
    teacher, _ = User.objects.get_or_create(
        username=TEACHER, defaults={"display_name": "基准财务老师", "campus": campus}
    )
    start = timezone.localdate() - timedelta(days=60)
    classes = []
    for n in range(CLASSES):
        class_list, _ = ClassList.objects.get_or_create(
            branch=campus,
            course=course,
            class_type=ClassList.ClassType.FULL_TIME,
            semester=n + 1,
            defaults={"name": f"基准财务{n + 1:02d}班", "start_date": start},
        )
        class_list.teachers.add(teacher)
        classes.append(class_list)
    have = Enrollment.objects.filter(class_list__branch=campus).count()
    if have >= count:
        print(f"Reusing {have} enrollments on {CAMPUS}.")
        return campus
    print(f"Enrolling {count - have} students on {CAMPUS} (have {have})...")
    started = time.monotonic()
    for n in range(have, count):
        with transaction.atomic():  # an enrollment with its account, or neither
            customer = Customer.objects.create(
                name=f"基准学员{n + 1:05d}",
                qq=str(QQ_BASE + n),
                source=Customer.Source.QQ_GROUP,
                status=Customer.Status.ENROLLED,
                consultant=admin,
            )
            enrollment = Enrollment.objects.create(
                customer=customer,
                class_list=classes[n % CLASSES],
                consultant=admin,
                state=Enrollment.State.APPROVED,
                contract_agreed=True,
                contract_agreed_at=timezone.now(),
                approved_by=admin,
                approved_at=timezone.now(),
            )
            account(enrollment, n, admin)
        if (n + 1) % 1000 == 0:
            print(f"  {n + 1} ({time.monotonic() - started:.0f}s)", flush=True)
    lessons(classes, teacher)
    print(f"Enrolled in {time.monotonic() - started:.1f}s.", flush=True)
    return campus


def account(enrollment, n: int, admin) -> None:
    """Terms, plan and payment as an approval and the desk make them."""
    from django.utils import timezone

    from finance.services import payment_record, plan_even, plan_set, terms_at_approval

    terms = terms_at_approval(enrollment=enrollment, by=admin)
    if n % 5:
        payment_record(enrollment=enrollment, amount=terms.price, by=admin)
        return
    plan = plan_even(
        price=terms.price,
        count=3,
        first_due=timezone.localdate() - timedelta(days=40),
    )
    plan_set(enrollment=enrollment, instalments=plan, by=admin)
    payment_record(
        enrollment=enrollment,
        amount=(plan[0][1] / 2).quantize(Decimal("0.01")),
        by=admin,
    )


def lessons(classes, teacher) -> None:
    """Record two lessons per class not yet having them: their hours consumed."""
    from django.utils import timezone

    from teacher.models import CourseRecord
    from teacher.services import courserecord_create

    for class_list in classes:
        for number in (1, 2):
            if CourseRecord.objects.filter(
                class_list=class_list, lesson_number=number
            ).exists():
                continue
            courserecord_create(
                class_list=class_list,
                teacher=teacher,
                lesson_number=number,
                date=timezone.localdate() - timedelta(days=20 - number),
                title=f"第{number}课",
                has_homework=False,
            )


# -- the peer -----------------------------------------------------------------

PAGE_SQL = """
SELECT e.id, c.name, cl.name, t.price,
       COALESCE(SUM(l.amount), 0),
       COALESCE(SUM(CASE WHEN l.hours > 0 THEN l.hours ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN l.hours < 0 THEN -l.hours ELSE 0 END), 0),
       COALESCE(SUM(l.hours), 0)
FROM (
    SELECT e.id, e.customer_id, e.class_list_id
    FROM crm_enrollment e
    JOIN crm_classlist k ON k.id = e.class_list_id
    JOIN crm_customer cu ON cu.id = e.customer_id
    WHERE k.branch_id = %s AND e.state = 'approved'
    ORDER BY k.start_date, e.class_list_id, cu.name, e.id
    LIMIT %s OFFSET %s
) e
JOIN crm_customer c ON c.id = e.customer_id
JOIN crm_classlist cl ON cl.id = e.class_list_id
LEFT JOIN finance_contractterms t ON t.enrollment_id = e.id
LEFT JOIN finance_ledgerentry l ON l.enrollment_id = e.id
GROUP BY e.id, c.name, cl.name, t.price
"""
TOTALS_SQL = """
SELECT COUNT(DISTINCT e.id), COALESCE(SUM(l.amount), 0), COALESCE(SUM(l.hours), 0)
FROM crm_enrollment e
JOIN crm_classlist k ON k.id = e.class_list_id
LEFT JOIN finance_ledgerentry l ON l.enrollment_id = e.id
WHERE k.branch_id = %s AND e.state = 'approved'
"""


def floor_page(campus_id: int, page: int) -> tuple[str, list[str]]:
    """Return B's HTML of page ``page`` and the customers it lists."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(PAGE_SQL, [campus_id, PER_PAGE, (page - 1) * PER_PAGE])
        rows = cursor.fetchall()
        cursor.execute(TOTALS_SQL, [campus_id])
        totals = cursor.fetchone()
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    page_html = (
        f"<html><body><table>{cells}</table>"
        f"<p>{html.escape(str(totals))}</p></body></html>"
    )
    return page_html, [row[1] for row in rows]


# -- measuring -----------------------------------------------------------------


@dataclass
class Scenario:
    label: str
    path: str
    page: int


def measure(client, scenario: Scenario, campus_id: int, args) -> harness.Row:
    """Time one scenario, A (the page) and B (its floor) interleaved."""
    row = harness.Row(scenario.label)
    response = client.get(scenario.path)
    row.problems = harness.status_problems(A=response)
    if row.problems:
        return row
    _html, customers = floor_page(campus_id, scenario.page)
    content = response.content.decode()
    missing = [name for name in customers if html.escape(name) not in content]
    if not customers or missing:
        row.problems = [f"A lacks {len(missing)} of B's {len(customers)} customers"]
        return row
    row.timing = harness.interleave(
        lambda: client.get(scenario.path),
        lambda: floor_page(campus_id, scenario.page),
        repeat=args.repeat,
        warmup=args.warmup,
    )
    row.extra = {
        "rows": len(customers),
        "A KB": f"{len(response.content) / 1024:.0f}",
        "A queries": len(harness.queries_of(client, scenario.path)),
    }
    return row


def main() -> int:
    args = parse_args()
    with harness.production(args, "balances") as env:
        campus = ensure_data(args.enrollments)

        from crm.models import Enrollment
        from finance.models import LedgerEntry

        open_count = Enrollment.objects.filter(
            class_list__branch=campus, state=Enrollment.State.APPROVED
        ).count()
        entries = LedgerEntry.objects.filter(
            enrollment__class_list__branch=campus
        ).count()
        last = max(1, -(-open_count // PER_PAGE))
        print(
            f"{open_count} open enrollments, {entries} ledger entries on {CAMPUS}; "
            f"{args.repeat} runs each after {args.warmup} warm-up"
        )
        client = harness.logged_in_client()
        base = f"/finance/balances/?campus={campus.pk}"
        scenarios = [
            Scenario("campus balances, first page", base, 1),
            Scenario(f"campus balances, page {last}", f"{base}&page={last}", last),
        ]
        rows = [measure(client, s, campus.pk, args) for s in scenarios]
        harness.print_table(rows, a="Django view", b="hand-written SQL + html")
        timed = [row for row in rows if row.timing]
        slowest = max((row.timing.a_median for row in timed), default=float("nan"))
        full = args.enrollments >= FULL_SIZE and open_count >= FULL_SIZE
        harness.print_target(
            f"balances of a campus with {FULL_SIZE} enrollments under {TARGET_MS} ms "
            f"(slowest {slowest:.1f} ms)",
            met=(slowest < TARGET_MS) if timed and full else None,
            env=env,
        )
        return harness.exit_status(env, rows)


if __name__ == "__main__":
    raise SystemExit(main())
