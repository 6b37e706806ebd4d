"""Benchmark: the sales report page against the same aggregates as raw SQL.

Targets: the one-year report page under 1 s on SQLite (issue 6), and the
ratio page / SQL at most 1.5 for every period, for the whole school and for
one campus (issue 13). Run by hand:

    .venv/bin/python bench/reports.py [--repeat N] [--payments N]
    DATABASE_URL=postgres://... .venv/bin/python bench/reports.py
    .venv/bin/python bench/reports.py --smoke   # works? (seconds; exit 1 if not)

Production mode (DEBUG=0, collected static files) and the database as
bench/harness.py sets them up: DATABASE_URL if set, else
``var/bench/changelist.sqlite3``, the database of bench/changelist.py (kept
between runs, topped up by seed_demo to 100,000 customers and 1,000,000
follow-ups only when it holds fewer); this bench adds payments with
``bulk_create`` until there are ``--payments`` of them. A is the page,
fetched with ``django.test.Client`` as the superuser ``admin`` (every
campus); B is the report's seven grouped queries written by hand in SQL, run
through the same connection; the two alternate. A period is compared only if
its page answers 200 with the revenue table. A full run exits 0; a smoke run
exits 1 if a period is not comparable.
"""

import random
from datetime import date, datetime, timedelta

import harness

TARGET = 1.5


def parse_args():
    parser = harness.argument_parser(__doc__, repeat=9, warmup=1)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=50_000)
    return harness.parse_args(
        parser,
        smoke={
            "customers": 300,
            "followups": 1000,
            "payments": 500,
            "repeat": 2,
            "warmup": 1,
        },
    )


def ensure_payments(wanted: int) -> None:
    """Add payments spread over the last three years until there are ``wanted``."""
    from django.utils import timezone

    from crm.models import Enrollment, Payment

    have = Payment.objects.count()
    missing = wanted - have
    if missing <= 0:
        print(f"Reusing {have} payments.")
        return
    enrollments = list(Enrollment.objects.values_list("pk", "consultant_id"))
    if not enrollments:
        raise RuntimeError("The demo has no enrollments to attach payments to.")
    rng = random.Random(6)
    now = timezone.now()
    kinds = ["deposit"] * 3 + ["tuition"] * 6 + ["refund"]
    Payment.objects.bulk_create(
        (
            Payment(
                enrollment_id=enrollment,
                consultant_id=consultant,
                kind=rng.choice(kinds),
                amount=rng.randrange(100, 20_000),
                created_at=now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60)),
            )
            for enrollment, consultant in (
                rng.choice(enrollments) for _ in range(missing)
            )
        ),
        batch_size=5_000,
    )
    print(f"Added {missing} payments (had {have}).")


def local_midnight(day: date) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def hand_written_sql(
    since: date, until: date, stale_days: int, campus: int | None = None
) -> list:
    """Run the report's aggregates as plain SQL; return their rows.

    ``campus``: only what the consultants of that campus own, as the page's
    campus filter does.
    """
    from django.db import connection
    from django.utils import timezone

    from crm.reports import add_months, shift_years

    adapt = connection.ops.adapt_datetimefield_value

    def bounds(first: date, last: date) -> list:
        return [
            adapt(local_midnight(first)),
            adapt(local_midnight(last + timedelta(days=1))),
        ]

    def owned(alias: str) -> tuple[str, str, list]:
        # (JOIN, AND-condition, parameters) keeping the rows of the campus.
        if campus is None:
            return "", "", []
        return (
            f"INNER JOIN accounts_user o{alias} ON o{alias}.id = {alias}.consultant_id",
            f"AND o{alias}.campus_id = %s",
            [campus],
        )

    period = bounds(since, until)
    last_year = bounds(shift_years(since, -1), shift_years(until, -1))
    lead_counts = """
        COUNT(DISTINCT c.id),
        COUNT(DISTINCT c.id) FILTER (WHERE c.last_followup_at IS NOT NULL),
        COUNT(DISTINCT c.id) FILTER (WHERE e.id IS NOT NULL),
        COUNT(DISTINCT c.id) FILTER (WHERE e.submitted_at IS NOT NULL),
        COUNT(DISTINCT c.id) FILTER (WHERE e.state = 'approved')
    """
    join_c, only_c, campus_c = owned("c")
    leads_from = f"""
        FROM crm_customer c {join_c}
        LEFT JOIN crm_enrollment e ON e.customer_id = c.id
        WHERE c.created_at >= %s AND c.created_at < %s {only_c}
    """
    join_e, only_e, campus_e = owned("e")
    join_p, only_p, campus_p = owned("p")
    first_month = add_months(until.replace(day=1), -23)
    months = [add_months(first_month, n) for n in range(25)]
    month_of = (
        "CASE "
        + " ".join(f"WHEN p.created_at < %s THEN {n}" for n in range(24))
        + " END"
    )
    month_params = [adapt(local_midnight(m)) for m in months]
    stale_limit = adapt(timezone.now() - timedelta(days=stale_days))
    users_where = "WHERE u.campus_id = %s" if campus is not None else ""
    queries = [
        (
            f"SELECT c.source, {lead_counts} {leads_from} GROUP BY c.source",
            period + campus_c,
        ),
        (
            f"SELECT c.consultant_id, u.display_name, u.username, {lead_counts} "
            f"{leads_from.replace('WHERE', 'INNER JOIN accounts_user u ON u.id = c.consultant_id WHERE')} "  # noqa: E501
            "GROUP BY c.consultant_id, u.display_name, u.username",
            period + campus_c,
        ),
        (
            "SELECT c.source, c.consultant_id, u.display_name, u.username, "
            "COUNT(DISTINCT t.customer_id), "
            "COUNT(DISTINCT t.customer_id) FILTER (WHERE t.state = 'attended') "
            "FROM timetable_triallesson t JOIN crm_customer c ON c.id = t.customer_id "
            f"{join_c} LEFT JOIN accounts_user u ON u.id = c.consultant_id "
            "WHERE t.booked_at >= %s AND t.booked_at < %s "
            f"AND t.state <> 'cancelled' {only_c} "
            "GROUP BY c.source, c.consultant_id, u.display_name, u.username",
            period + campus_c,
        ),
        (
            "SELECT e.class_list_id, k.name, co.name, k.semester, b.name, k.seats, "
            f"COUNT(*) FROM crm_enrollment e {join_e} "
            "JOIN crm_classlist k ON k.id = e.class_list_id "
            "JOIN crm_course co ON co.id = k.course_id "
            "JOIN crm_branch b ON b.id = k.branch_id "
            "WHERE e.state = 'approved' AND e.approved_at >= %s "
            f"AND e.approved_at < %s {only_e} "
            "GROUP BY e.class_list_id, k.name, co.name, k.semester, b.name, k.seats",
            period + campus_e,
        ),
        (
            "SELECT "
            + ", ".join(
                f"SUM(amount) FILTER (WHERE kind = '{kind}' "
                "AND p.created_at >= %s AND p.created_at < %s)"
                for _ in range(2)
                for kind in ("deposit", "tuition", "refund")
            )
            + f" FROM crm_payment p {join_p} WHERE ((p.created_at >= %s "
            "AND p.created_at < %s) OR (p.created_at >= %s AND p.created_at < %s)) "
            + only_p,
            period * 3 + last_year * 3 + period + last_year + campus_p,
        ),
        (
            f"SELECT {month_of} AS month, "
            "SUM(CASE WHEN kind = 'refund' THEN -amount ELSE amount END) "
            f"FROM crm_payment p {join_p} "
            f"WHERE p.created_at >= %s AND p.created_at < %s {only_p} GROUP BY 1",
            [*month_params[1:], month_params[0], month_params[-1], *campus_p],
        ),
        (
            "SELECT u.id, u.display_name, u.username, "
            "(SELECT COUNT(*) FROM crm_customerfollowup f WHERE f.consultant_id = u.id "
            "AND f.created_at >= %s AND f.created_at < %s), "
            "(SELECT COUNT(*) FROM crm_customer c WHERE c.consultant_id = u.id "
            "AND c.status = 'not_enrolled' AND c.last_activity_at < %s) "
            f"FROM accounts_user u {users_where}",
            [*period, stale_limit] + ([campus] if campus is not None else []),
        ),
    ]
    results = []
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            results.append(cursor.fetchall())
    return results


def measure(client, url: str, period: str, campus, args) -> harness.Row:
    from django.conf import settings
    from django.utils import timezone

    from crm.report_forms import period_dates

    label = period if campus is None else f"{period}, campus {campus.name}"
    row = harness.Row(label)
    since, until = period_dates(period, timezone.localdate())
    query = {"period": period}
    if campus is not None:
        query["campus"] = campus.pk
    response = client.get(url, query)
    row.problems = harness.status_problems(page=response)
    if not row.problems and b"revenue-net" not in response.content:
        row.problems.append("the page lacks the revenue table (revenue-net)")
    if row.problems:
        return row
    campus_id = None if campus is None else campus.pk
    row.timing = harness.interleave(
        lambda: client.get(url, query),
        lambda: hand_written_sql(
            since, until, settings.CRM_STALE_LEAD_DAYS, campus=campus_id
        ),
        repeat=args.repeat,
        warmup=args.warmup,
    )
    return row


def main() -> int:
    args = parse_args()
    with harness.production(args, "reports", database="changelist") as env:
        harness.ensure_demo(customers=args.customers, followups=args.followups)
        ensure_payments(args.payments)

        from django.db import connection
        from django.urls import reverse

        from crm.models import Branch, Customer, CustomerFollowUp, Payment

        client = harness.logged_in_client()
        url = reverse("crm:reports")
        print(
            f"{Customer.objects.count()} customers, "
            f"{CustomerFollowUp.objects.count()} follow-ups, "
            f"{Payment.objects.count()} payments; {args.repeat} runs each after "
            f"{args.warmup} warm-up"
        )
        campus = Branch.objects.order_by("pk").first()
        rows = [
            measure(client, url, period, where, args)
            for where in (None, campus)
            for period in ("month", "year")
        ]
        harness.print_table(rows, a="report page", b="hand-written SQL")
        measured = [row for row in rows if row.timing]
        year = next((row for row in measured if row.label == "year"), None)
        met = None
        if year and len(measured) == len(rows):
            fast_enough = connection.vendor != "sqlite" or year.timing.a_median < 1000
            met = fast_enough and all(row.timing.ratio <= TARGET for row in measured)
        harness.print_target(
            f"year page under 1 s on SQLite, and A/B <= {TARGET} for every period, "
            "whole school and one campus",
            met=met,
            env=env,
        )
        return harness.exit_status(env, rows)


if __name__ == "__main__":
    raise SystemExit(main())
