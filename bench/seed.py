"""Benchmark: load 100,000 customers and 1,000,000 follow-ups with seed_demo.

Target (issue 13; issue 2 asked for 3 minutes): under 2 minutes on SQLite (120
s; the 100,000 / 1,000,000 run). A is ``manage.py seed_demo --customers N
--followups M`` in its own process, as README runs it (the first run loads the
demo as well); B is its floor: the same number of customer and follow-up rows
written by hand with ``executemany`` INSERTs in one transaction, in this
process, then rolled back (the rollback is timed too). A adds its rows each
run, so a second A runs on a bigger database. Run by hand:

    .venv/bin/python bench/seed.py [--customers N] [--followups M] [--repeat N]
    DATABASE_URL=postgres://... .venv/bin/python bench/seed.py
    .venv/bin/python bench/seed.py --smoke   # works? (seconds; exit 1 if not)

Production mode (DEBUG=0) as bench/harness.py sets it up, always on a
throwaway database: a SQLite file in a temporary folder, or with DATABASE_URL
a database created on that PostgreSQL server, dropped at the end. A full run
exits 0; a smoke run exits 1 if the seed did not add the rows.
"""

from collections.abc import Callable
from datetime import timedelta

import harness

TARGET_S = 120
BATCH = 10_000
# Ten digits starting with 6: neither a demo lead's QQ nor a generated one.
FLOOR_QQ_BASE = 6_000_000_000


def parse_args():
    parser = harness.argument_parser(__doc__, repeat=1, warmup=0)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    return harness.parse_args(
        parser, smoke={"customers": 300, "followups": 1000, "repeat": 2}
    )


def seed_demo(customers: int, followups: int) -> None:
    harness.run_manage(
        "seed_demo",
        "--quiet-logins",
        f"--customers={customers}",
        f"--followups={followups}",
    )


def insert_rows(model, template, varying: tuple, values: Callable, count: int):
    """INSERT ``count`` rows of ``model`` like ``template`` by hand.

    Every column is the template's, but the ``varying`` ones (attnames),
    which ``values(n)`` gives for row ``n``, ready for the database.
    """
    from django.db import connection

    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.attname not in varying
    ]
    fixed = tuple(
        field.get_db_prep_save(getattr(template, field.attname), connection)
        for field in fields
    )
    columns = [field.column for field in fields]
    columns += [model._meta.get_field(name).column for name in varying]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, count, BATCH):
            stop = min(start + BATCH, count)
            cursor.executemany(sql, [fixed + values(n) for n in range(start, stop)])


def floor(customers: int, followups: int) -> None:
    """Write as many customers and follow-ups by hand, then roll them back."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from crm.models import Course, Customer, CustomerFollowUp

    consultant = User.objects.filter(username__startswith="sales_").first()
    now = timezone.now()
    with transaction.atomic():
        customer = Customer(
            name="王伟",
            source=Customer.Source.QQ_GROUP,
            consult_course=Course.objects.first(),
            consultant=consultant,
            created_at=now - timedelta(days=1),
            last_activity_at=now - timedelta(days=1),
        )
        insert_rows(
            Customer,
            customer,
            ("qq",),
            lambda n: (str(FLOOR_QQ_BASE + n),),
            customers,
        )
        pks = list(
            Customer.objects.filter(
                qq__gte=str(FLOOR_QQ_BASE), qq__lt=str(FLOOR_QQ_BASE + customers)
            ).values_list("pk", flat=True)
        )
        if len(pks) != customers:
            raise RuntimeError(f"The floor wrote {len(pks)} of {customers} customers.")
        followup = CustomerFollowUp(
            consultant=consultant,
            content="电话沟通, 有意向",
            intention=CustomerFollowUp.Intention.values[0],
            created_at=now,
        )
        insert_rows(
            CustomerFollowUp,
            followup,
            ("customer_id",),
            lambda n: (pks[n % len(pks)],),
            followups,
        )
        transaction.set_rollback(True)


def main() -> int:
    args = parse_args()
    with harness.production(args, "seed", fresh=True) as env:
        from django.db import connection

        from crm.models import Customer, CustomerFollowUp

        row = harness.Row(f"{args.customers} customers + {args.followups} follow-ups")
        row.timing = harness.interleave(
            lambda: seed_demo(args.customers, args.followups),
            lambda: floor(args.customers, args.followups),
            repeat=args.repeat,
            warmup=args.warmup,
        )
        runs = args.warmup + len(row.timing.a_ms)
        have = Customer.objects.count(), CustomerFollowUp.objects.count()
        print(f"The database holds {have[0]} customers, {have[1]} follow-ups.")
        problems = []
        if have[0] < runs * args.customers or have[1] < runs * args.followups:
            problems.append(f"seed_demo did not add the rows ({runs} runs)")
        harness.print_table(
            [row], a="seed_demo", b="hand-written INSERTs (rolled back)", unit="s"
        )
        full_size = (args.customers, args.followups) == (100_000, 1_000_000)
        harness.print_target(
            f"100,000 customers + 1,000,000 follow-ups under {TARGET_S} s on SQLite",
            met=row.timing.a_median / 1000 < TARGET_S
            if full_size and connection.vendor == "sqlite"
            else None,
            env=env,
        )
        return harness.exit_status(env, [row], problems)


if __name__ == "__main__":
    raise SystemExit(main())
