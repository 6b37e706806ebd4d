"""Benchmark: the sales report page against the same aggregates as raw SQL.

Targets (issue 6): the one-year report page under 1 s on SQLite, and the
ratio page / SQL under 2. Run by hand:

    .venv/bin/python bench/reports.py [--repeat N]
    DATABASE_URL=postgres://... .venv/bin/python bench/reports.py

The database is DATABASE_URL if set, else ``var/bench/changelist.sqlite3``
(seeded by bench/changelist.py with 100,000 customers and 1,000,000
follow-ups); this script adds payments with ``bulk_create`` until there are
``--payments`` of them. The page is fetched with ``django.test.Client`` as the
superuser ``admin`` (every campus); the SQL is the report's six grouped
queries written by hand, run through the same connection. The report always
exits 0.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from changelist import DEFAULT_SQLITE, SUPERUSER, setup_django


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}",
    )
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=1)
    return parser.parse_args()


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
        print("No enrollments to attach payments to: run seed_demo first.")
        return
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


def hand_written_sql(since: date, until: date, stale_days: int) -> list:
    """Run the report's aggregates as plain SQL; return their rows."""
    from django.db import connection
    from django.utils import timezone

    from crm.reports import add_months, shift_years

    adapt = connection.ops.adapt_datetimefield_value

    def bounds(first: date, last: date) -> list:
        return [
            adapt(local_midnight(first)),
            adapt(local_midnight(last + timedelta(days=1))),
        ]

    period = bounds(since, until)
    last_year = bounds(shift_years(since, -1), shift_years(until, -1))
    lead_counts = """
        COUNT(DISTINCT c.id),
        COUNT(DISTINCT c.id) FILTER (WHERE c.last_followup_at IS NOT NULL),
        COUNT(DISTINCT c.id) FILTER (WHERE e.id IS NOT NULL),
        COUNT(DISTINCT c.id) FILTER (WHERE e.submitted_at IS NOT NULL),
        COUNT(DISTINCT c.id) FILTER (WHERE e.state = 'approved')
    """
    leads_from = """
        FROM crm_customer c
        LEFT JOIN crm_enrollment e ON e.customer_id = c.id
        WHERE c.created_at >= %s AND c.created_at < %s
    """
    first_month = add_months(until.replace(day=1), -23)
    months = [add_months(first_month, n) for n in range(25)]
    month_sums = ", ".join(
        "SUM(CASE WHEN kind = 'refund' THEN -amount ELSE amount END) "
        "FILTER (WHERE created_at >= %s AND created_at < %s)"
        for _ in range(24)
    )
    month_params = [adapt(local_midnight(m)) for m in months]
    month_pairs = [x for n in range(24) for x in month_params[n : n + 2]]
    stale_limit = adapt(timezone.now() - timedelta(days=stale_days))
    queries = [
        (f"SELECT c.source, {lead_counts} {leads_from} GROUP BY c.source", period),
        (
            f"SELECT c.consultant_id, u.display_name, u.username, {lead_counts} "
            f"{leads_from.replace('WHERE', 'INNER JOIN accounts_user u ON u.id = c.consultant_id WHERE')} "  # noqa: E501
            "GROUP BY c.consultant_id, u.display_name, u.username",
            period,
        ),
        (
            "SELECT e.class_list_id, k.name, co.name, k.semester, b.name, k.seats, "
            "COUNT(*) FROM crm_enrollment e "
            "JOIN crm_classlist k ON k.id = e.class_list_id "
            "JOIN crm_course co ON co.id = k.course_id "
            "JOIN crm_branch b ON b.id = k.branch_id "
            "WHERE e.state = 'approved' AND e.approved_at >= %s AND e.approved_at < %s "
            "GROUP BY e.class_list_id, k.name, co.name, k.semester, b.name, k.seats",
            period,
        ),
        (
            "SELECT "
            + ", ".join(
                f"SUM(amount) FILTER (WHERE kind = '{kind}' "
                "AND created_at >= %s AND created_at < %s)"
                for _ in range(2)
                for kind in ("deposit", "tuition", "refund")
            )
            + " FROM crm_payment WHERE (created_at >= %s AND created_at < %s) "
            "OR (created_at >= %s AND created_at < %s)",
            period * 3 + last_year * 3 + period + last_year,
        ),
        (
            f"SELECT {month_sums} FROM crm_payment "
            "WHERE created_at >= %s AND created_at < %s",
            [*month_pairs, month_params[0], month_params[-1]],
        ),
        (
            "SELECT u.id, u.display_name, u.username, "
            "(SELECT COUNT(*) FROM crm_customerfollowup f WHERE f.consultant_id = u.id "
            "AND f.created_at >= %s AND f.created_at < %s), "
            "(SELECT COUNT(*) FROM crm_customer c WHERE c.consultant_id = u.id "
            "AND (c.last_followup_at IS NULL OR c.last_followup_at < %s)) "
            "FROM accounts_user u",
            [*period, stale_limit],
        ),
    ]
    results = []
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            results.append(cursor.fetchall())
    return results


def timed(function, repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    args = parse_args()
    setup_django(args.database_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from crm.models import Customer, CustomerFollowUp, Payment
    from crm.report_forms import period_dates

    ensure_payments(args.payments)
    user = get_user_model().objects.filter(username=SUPERUSER).first()
    if user is None:
        print(f"No superuser {SUPERUSER!r}: run bench/changelist.py first.")
        return 0
    client = Client()
    client.force_login(user)
    url = reverse("crm:reports")
    today = timezone.localdate()
    print(
        f"{connection.vendor}: {Customer.objects.count()} customers, "
        f"{CustomerFollowUp.objects.count()} follow-ups, "
        f"{Payment.objects.count()} payments; median of {args.repeat} runs."
    )
    print(f"{'period':<8} {'page ms':>9} {'SQL ms':>9} {'ratio':>6}")
    for period in ("month", "year"):
        since, until = period_dates(period, today)
        response = client.get(url, {"period": period})
        if response.status_code != 200 or b"revenue-net" not in response.content:
            print(f"{period}: the page answered {response.status_code}; skipped.")
            continue
        page_ms = timed(
            lambda period=period: client.get(url, {"period": period}),
            args.repeat,
            args.warmup,
        )
        sql_ms = timed(
            lambda since=since, until=until: hand_written_sql(
                since, until, settings.CRM_STALE_LEAD_DAYS
            ),
            args.repeat,
            args.warmup,
        )
        page, sql = statistics.median(page_ms), statistics.median(sql_ms)
        print(f"{period:<8} {page:>9.1f} {sql:>9.1f} {page / sql:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
