"""Benchmark: the consultant and teacher pickers with 100,000 student accounts.

Issue 10: the pickers list members of the role only and stay fast however
many student accounts there are. Target: kingadmin no slower than Django
admin in any scenario (A/B <= 1.0). Times, as the superuser ``admin``,
median of interleaved runs:

- the class change page (teachers: autocomplete, the chosen ones rendered);
- the customer list (the consultant filter lists the sales);
- the customer add page (the consultant select);
- the autocomplete endpoint (teachers, consultants);

each next to Django admin's equivalent page. Django's admin is installed by
``bench.settings`` only, its options derived from kingadmin's by
``bench/peer_admin.py`` (autocomplete teachers and consultant, the consultant
filter on the customer list); one scenario gives its class page
filter_horizontal teachers instead, the widget listing every account. Django
admin offers every account (it has no role narrowing), so its pages are not
the same content: the "B rows" column says how many accounts each page lists.
Run by hand:

    .venv/bin/python bench/pickers.py [--users N] [--repeat N]
    DATABASE_URL=postgres://... .venv/bin/python bench/pickers.py
    .venv/bin/python bench/pickers.py --smoke   # works? (seconds; exit 1 if not)

Production mode (DEBUG=0, collected static files) and the database as
bench/harness.py sets them up: DATABASE_URL if set, else
``var/bench/pickers.sqlite3``, kept between runs: migrated, the demo data
loaded (seed_demo, without generated leads) and student accounts (each with
its customer record and the Student role) added with bulk_create until there
are ``--users`` (with DATABASE_URL, they join the other benches' data). A full
run exits 0; a smoke run exits 1 if a page answers other than 200.
"""

import random
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import harness

STUDENT_PREFIX = "bench_student_"
BATCH = 5_000
JSON_ROW = re.compile(r'"id": ?"')
OPTION = re.compile(r'<option value="\d+"')


def options_of(name: str):
    """Return a counter of the options of ``<select name=name>``."""
    select = re.compile(rf'<select name="{name}".*?</select>', re.DOTALL)

    def count(body: str) -> int:
        return sum(len(OPTION.findall(found)) for found in select.findall(body))

    return count


def links(pattern: str):
    """Return a counter of the links whose query string matches ``pattern``."""
    link = re.compile(rf'href="[^"]*[?&;]{pattern}=\d+')
    return lambda body: len(link.findall(body))


def json_rows(body: str) -> int:
    return len(JSON_ROW.findall(body))


@dataclass
class Scenario:
    label: str
    kingadmin: str
    django: str
    # How to count the accounts a page offers (kingadmin, Django).
    rows: tuple = (json_rows, json_rows)
    # Options set on a Django ModelAdmin (by model) for this scenario only.
    django_options: dict = field(default_factory=dict)


def parse_args():
    parser = harness.argument_parser(__doc__, repeat=9, warmup=1)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds per scenario; slow pages get fewer runs (at least 3)",
    )
    parser.add_argument(
        "--show-queries",
        action="store_true",
        help="print the SQL of one kingadmin request per scenario, with its time",
    )
    return harness.parse_args(parser, smoke={"users": 300, "repeat": 2, "warmup": 1})


def ensure_data(users: int) -> None:
    """Load the demo, then add the missing student accounts."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import transaction

    from accounts.models import Role, User
    from crm.models import Customer

    harness.ensure_demo()
    have = User.objects.filter(username__startswith=STUDENT_PREFIX).count()
    missing = max(0, users - have)
    if not missing:
        print(f"Reusing {have} student accounts.")
        return
    print(f"Adding {missing} student accounts (have {have})...", flush=True)
    started = time.monotonic()
    # The demo's student role, by what it grants (its name is translated).
    student = Role.objects.filter(
        permissions__codename="use_student_portal",
        permissions__content_type__app_label="student",
    ).first()
    sales = list(User.objects.filter(username__startswith="sales_"))
    rng = random.Random(have)
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "子涵", "浩然"]
    # An unusable password: these accounts never log in during the bench.
    for start in range(have, have + missing, BATCH):
        stop = min(start + BATCH, have + missing)
        with transaction.atomic():
            created = User.objects.bulk_create(
                User(
                    username=f"{STUDENT_PREFIX}{n:06d}",
                    display_name=rng.choice(surnames) + rng.choice(given) + str(n),
                    password=UNUSABLE_PASSWORD_PREFIX,
                )
                for n in range(start, stop)
            )
            if created and created[0].pk is None:  # backends without RETURNING
                created = list(
                    User.objects.filter(
                        username__in=[user.username for user in created]
                    )
                )
            User.roles.through.objects.bulk_create(
                User.roles.through(user_id=user.pk, role_id=student.pk)
                for user in created
            )
            Customer.objects.bulk_create(
                Customer(
                    name=user.display_name,
                    phone=f"19{user.pk:09d}",
                    source=Customer.Source.QQ_GROUP,
                    status=Customer.Status.ENROLLED,
                    consultant=rng.choice(sales),
                    user=user,
                )
                for user in created
            )
    print(f"Added in {time.monotonic() - started:.1f}s.")


def configure_django_admin():
    """Let Django admin's customer list skip its unfiltered count, in memory.

    Its filters (the consultant one too) are kingadmin's, taken over by
    ``bench/peer_admin.py``.
    """
    from django.contrib import admin

    from crm.models import Customer

    admin.site.get_model_admin(Customer).show_full_result_count = False


class django_options:
    """Set options on Django admin's ModelAdmin instances, and put them back."""

    def __init__(self, options: dict):
        from django.contrib import admin

        self.options = [
            (admin.site.get_model_admin(model), name, value)
            for model, values in options.items()
            for name, value in values.items()
        ]
        self.saved = []

    def __enter__(self):
        for model_admin, name, value in self.options:
            self.saved.append((model_admin, name, model_admin.__dict__.get(name)))
            setattr(model_admin, name, value)

    def __exit__(self, *exc):
        for model_admin, name, value in reversed(self.saved):
            if value is None:
                model_admin.__dict__.pop(name, None)
            else:
                setattr(model_admin, name, value)


def build_scenarios(klass) -> list[Scenario]:
    from django.urls import reverse

    import kingadmin
    from crm.models import ClassList, Customer

    def king(name, model, *args, **query):
        path = kingadmin.site.get_model_admin(model).url(name, *args)
        return f"{path}?{urlencode(query)}" if query else path

    def django(query):
        return f"{reverse('admin:autocomplete')}?{urlencode(query)}"

    teachers = {"app_label": "crm", "model_name": "classlist"}
    consultant = {"app_label": "crm", "model_name": "customer"}
    return [
        Scenario(
            "class page (B: filter_horizontal)",
            king("change", ClassList, klass.pk),
            reverse("admin:crm_classlist_change", args=[klass.pk]),
            (options_of("teachers"), options_of("teachers")),
            {
                ClassList: {
                    "autocomplete_fields": (),
                    "filter_horizontal": ("teachers",),
                }
            },
        ),
        Scenario(
            "class page (B: autocomplete)",
            king("change", ClassList, klass.pk),
            reverse("admin:crm_classlist_change", args=[klass.pk]),
            (options_of("teachers"), options_of("teachers")),
        ),
        Scenario(
            "customer list (consultant filter)",
            king("changelist", Customer),
            reverse("admin:crm_customer_changelist"),
            (links("consultant"), links("consultant__id__exact")),
        ),
        Scenario(
            "customer add page (consultant)",
            king("add", Customer),
            reverse("admin:crm_customer_add"),
            (options_of("consultant"), options_of("consultant")),
        ),
        Scenario(
            "autocomplete teachers, no term",
            king("autocomplete", ClassList, field="teachers"),
            django({**teachers, "field_name": "teachers"}),
        ),
        Scenario(
            "autocomplete teachers 'alex'",
            king("autocomplete", ClassList, field="teachers", term="alex"),
            django({**teachers, "field_name": "teachers", "term": "alex"}),
        ),
        Scenario(
            "autocomplete consultant, CJK term",
            king("autocomplete", Customer, field="consultant", term="销售"),
            django({**consultant, "field_name": "consultant", "term": "销售"}),
        ),
        Scenario(
            "autocomplete consultant 'zz' (none)",
            king("autocomplete", Customer, field="consultant", term="zz"),
            django({**consultant, "field_name": "consultant", "term": "zz"}),
        ),
    ]


def measure(client, scenario: Scenario, args) -> harness.Row:
    """Time one scenario: both pages, interleaved; count queries and rows."""
    row = harness.Row(scenario.label)
    king = client.get(scenario.kingadmin)
    django = client.get(scenario.django)
    row.problems = harness.status_problems(kingadmin=king, Django=django)
    if row.problems:
        return row
    count_king, count_django = scenario.rows
    row.timing = harness.interleave(
        lambda: client.get(scenario.kingadmin),
        lambda: client.get(scenario.django),
        repeat=args.repeat,
        warmup=args.warmup,
        budget=args.budget,
    )
    row.extra = {
        "A rows": count_king(king.content.decode()),
        "B rows": count_django(django.content.decode()),
        "A KB": f"{len(king.content) / 1024:.0f}",
        "B KB": f"{len(django.content) / 1024:.0f}",
        "A q": len(harness.queries_of(client, scenario.kingadmin)),
        "B q": len(harness.queries_of(client, scenario.django)),
    }
    return row


def main() -> int:
    args = parse_args()
    with harness.production(args, "pickers", settings="bench.settings") as env:
        ensure_data(args.users)

        from django.contrib.auth import get_user_model

        from crm.models import ClassList, Customer

        configure_django_admin()
        User = get_user_model()
        client = harness.logged_in_client()
        klass = ClassList.objects.filter(teachers__isnull=False).order_by("pk").first()
        scenarios = build_scenarios(klass)
        print(
            f"{User.objects.count()} accounts "
            f"({User.objects.filter(username__startswith=STUDENT_PREFIX).count()} "
            f"generated students), {Customer.objects.count()} customers; up to "
            f"{args.repeat} runs each after {args.warmup} warm-up"
        )
        rows = []
        for scenario in scenarios:
            with django_options(scenario.django_options):
                rows.append(measure(client, scenario, args))
        harness.print_table(rows, a="kingadmin", b="Django admin")
        print(
            "rows: accounts the page offers (options of a select or a filter, JSON "
            "results); kingadmin's are members of the role, Django's any account."
        )
        over = [row.label for row in rows if row.timing and row.timing.ratio > 1.0]
        measured = all(row.timing for row in rows)
        harness.print_target(
            f"A/B <= 1.0 in every scenario (over it: {', '.join(over) or 'none'})",
            met=not over if measured else None,
            env=env,
        )
        if args.show_queries:
            for scenario in scenarios:
                harness.print_queries(
                    f"{scenario.label} / kingadmin",
                    harness.queries_of(client, scenario.kingadmin),
                )
        return harness.exit_status(env, rows)


if __name__ == "__main__":
    raise SystemExit(main())
