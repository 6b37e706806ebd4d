"""Benchmark: the consultant and teacher pickers with 100,000 student accounts.

Issue 10: the pickers list members of the role only and stay fast however
many student accounts there are. Times, as the superuser ``admin``, median of
interleaved runs:

- the class change page (teachers: autocomplete, the chosen ones rendered);
- the customer list (the consultant filter lists the sales);
- the autocomplete endpoint (teachers, consultants);

each next to Django admin's equivalent page. Django's admin is installed by
``bench.settings`` only, its options derived from kingadmin's by
``bench/peer_admin.py`` (autocomplete teachers and consultant, the consultant
filter on the customer list); one scenario gives its class page
filter_horizontal teachers instead, the widget listing every account. Django
admin offers every account (it has no role narrowing), so its pages are not
the same content: the "D rows" column says how many accounts each page lists.
Run by hand:

    .venv/bin/python bench/pickers.py [--users N] [--repeat N]
    .venv/bin/python bench/pickers.py --users 2000 --repeat 3   # smoke run
    DATABASE_URL=postgres://... .venv/bin/python bench/pickers.py

The database is DATABASE_URL if set, else ``var/bench/pickers.sqlite3``, kept
between runs: it is migrated, the demo data loaded (seed_demo, without
generated leads) and student accounts (each with its customer record and the
Student role) are added with bulk_create until there are ``--users``. The
report always exits 0.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "var" / "bench" / "pickers.sqlite3"
SUPERUSER = "admin"
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


@dataclass
class Result:
    scenario: Scenario
    kingadmin_ms: list[float] = field(default_factory=list)
    django_ms: list[float] = field(default_factory=list)
    kingadmin_queries: int = 0
    django_queries: int = 0
    kingadmin_rows: int = 0
    django_rows: int = 0
    kingadmin_kb: float = 0.0
    django_kb: float = 0.0
    problems: list[str] = field(default_factory=list)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}",
        help="default: $DATABASE_URL, else %(default)s",
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=1)
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
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    os.environ["DATABASE_URL"] = database_url
    # Not setdefault: only these settings install Django's admin (the peer).
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    # The URLconf registers Django admin's peers of the kingadmin admins.
    import bench.urls  # noqa: F401


def ensure_data(users: int) -> None:
    """Migrate, load the demo, then add the missing student accounts."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import Role, User
    from crm.demo_data import seed_demo
    from crm.models import Customer

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username=SUPERUSER).exists():
        print("Loading the demo data...", flush=True)
        seed_demo()
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
            "class page, D: filter_horizontal",
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
            "class page, D: autocomplete",
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


def get(client, path: str):
    started = time.perf_counter()
    response = client.get(path)
    return response, (time.perf_counter() - started) * 1000


def count_queries(client, path: str) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return list(captured.captured_queries)


def run(client, scenarios, args) -> list[Result]:
    results = []
    for scenario in scenarios:
        result = Result(scenario)
        results.append(result)
        with django_options(scenario.django_options):
            measure(client, scenario, result, args)
        print(".", end="", flush=True)
    print()
    return results


def measure(client, scenario: Scenario, result: Result, args) -> None:
    """Time one scenario: both pages, interleaved; count queries and rows."""
    king, _ = get(client, scenario.kingadmin)
    django, _ = get(client, scenario.django)
    for name, response in (("kingadmin", king), ("Django", django)):
        if response.status_code != 200:
            result.problems.append(f"{name} answered {response.status_code}")
    if result.problems:
        return
    count_king, count_django = scenario.rows
    result.kingadmin_rows = count_king(king.content.decode())
    result.django_rows = count_django(django.content.decode())
    result.kingadmin_kb = len(king.content) / 1024
    result.django_kb = len(django.content) / 1024
    for _ in range(args.warmup):
        get(client, scenario.kingadmin)
        get(client, scenario.django)
    started = time.monotonic()
    for i in range(args.repeat):
        # Alternate the two, so that drift (caches, load) hits both alike.
        result.kingadmin_ms.append(get(client, scenario.kingadmin)[1])
        result.django_ms.append(get(client, scenario.django)[1])
        if i >= 2 and time.monotonic() - started > args.budget:
            break
    result.kingadmin_queries = len(count_queries(client, scenario.kingadmin))
    result.django_queries = len(count_queries(client, scenario.django))


def report(results: list[Result]) -> None:
    header = (
        f"{'scenario':<36} {'kingadmin ms':>12} {'Django ms':>10} {'ratio':>7} "
        f"{'k rows':>6} {'D rows':>7} {'k KB':>7} {'D KB':>8} "
        f"{'k q':>4} {'D q':>4} {'runs':>4}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        label = result.scenario.label
        if result.problems:
            print(f"{label:<36} NOT MEASURED: {'; '.join(result.problems)}")
            continue
        king = statistics.median(result.kingadmin_ms)
        django = statistics.median(result.django_ms)
        print(
            f"{label:<36} {king:>12.1f} {django:>10.1f} {king / django:>7.3f} "
            f"{result.kingadmin_rows:>6} {result.django_rows:>7} "
            f"{result.kingadmin_kb:>7.0f} {result.django_kb:>8.0f} "
            f"{result.kingadmin_queries:>4} {result.django_queries:>4} "
            f"{len(result.kingadmin_ms):>4}"
        )
    print("-" * len(header))
    print(
        "rows: accounts the page offers (options of a select or a filter, JSON "
        "results); kingadmin's are members of the role, Django's any account."
    )


def main() -> int:
    args = parse_args()
    setup_django(args.database_url)
    ensure_data(args.users)

    import django
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from crm.models import ClassList, Customer

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    configure_django_admin()
    User = get_user_model()
    user = User.objects.get(username=SUPERUSER)
    client = Client()
    client.force_login(user)
    klass = ClassList.objects.filter(teachers__isnull=False).order_by("pk").first()
    scenarios = build_scenarios(klass)

    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}; "
        f"Django {django.get_version()}, DEBUG={settings.DEBUG}; "
        f"{User.objects.count()} accounts "
        f"({User.objects.filter(username__startswith=STUDENT_PREFIX).count()} "
        f"generated students), {Customer.objects.count()} customers; median of "
        f"up to {args.repeat} runs (after {args.warmup} warm-up)\n"
    )
    results = run(client, scenarios, args)
    report(results)
    if args.show_queries:
        for scenario in scenarios:
            print(f"\n== {scenario.label} / kingadmin")
            for query in count_queries(client, scenario.kingadmin):
                print(f"  [{float(query['time']) * 1000:7.2f} ms] {query['sql']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
