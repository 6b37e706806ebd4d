"""Benchmark: the kingadmin customer list against django.contrib.admin's.

Target (issue: list speed): median time of kingadmin / Django admin <= 1.0 for
the same page size, filter, search and sort on 100,000 customers and
1,000,000 follow-ups. Run by hand:

    .venv/bin/python bench/changelist.py [--repeat N] [--per-page N]
    DATABASE_URL=postgres://... .venv/bin/python bench/changelist.py

The database is DATABASE_URL if set, else ``var/bench/changelist.sqlite3``,
kept between runs: it is migrated, and seed_demo tops it up only when it holds
fewer customers or follow-ups than asked for. Django runs in this process
with ``bench.settings`` (DEBUG as they say): the project's, plus Django's
admin, which the project does not install. Both admins get the same requests
through ``django.test.Client`` as the superuser ``admin``. Django admin's
customer list is the peer of ``bench/peer_admin.py``, derived from kingadmin's
CustomerAdmin (same columns, filters, search fields, ordering and
``list_select_related``); here it gets the page size and, to run at its
fastest, ``show_full_result_count = False``. A scenario is compared only if
both pages answer 200 and list the same rows in the same order. The report
always exits 0.
"""

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "var" / "bench" / "changelist.sqlite3"
SUPERUSER = "admin"
ROW_PK = re.compile(r'name="_selected_action" value="([^"]+)"')


@dataclass
class Scenario:
    label: str
    kingadmin: dict
    django: dict
    # Text each page must contain, e.g. the sort marker on the sorted column:
    # rows alone cannot tell a sort on the default order from an ignored one.
    expect: dict = field(default_factory=dict)


@dataclass
class Result:
    scenario: Scenario
    problems: list[str] = field(default_factory=list)
    kingadmin_ms: list[float] = field(default_factory=list)
    django_ms: list[float] = field(default_factory=list)
    kingadmin_queries: list[dict] = field(default_factory=list)
    django_queries: list[dict] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        return not self.problems

    @property
    def ratio(self) -> float:
        return statistics.median(self.kingadmin_ms) / statistics.median(self.django_ms)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}",
        help="default: $DATABASE_URL, else %(default)s",
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--per-page", type=int, default=25)
    parser.add_argument(
        "--show-queries",
        action="store_true",
        help="print the SQL of one request per page, with its time",
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


def ensure_data(customers: int, followups: int) -> None:
    """Migrate, then seed only what is missing (seeding 100k rows takes minutes)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from crm.models import Customer, CustomerFollowUp

    call_command("migrate", verbosity=0)
    have_customers = Customer.objects.count()
    have_followups = CustomerFollowUp.objects.count()
    has_superuser = get_user_model().objects.filter(username=SUPERUSER).exists()
    more_customers = max(0, customers - have_customers)
    more_followups = max(0, followups - have_followups)
    if has_superuser and not more_customers and not more_followups:
        print(f"Reusing {have_customers} customers, {have_followups} follow-ups.")
        return
    print(
        f"Seeding {more_customers} customers and {more_followups} follow-ups "
        f"(have {have_customers} and {have_followups})...",
        flush=True,
    )
    # The seed runs in its own process; let it have the database to itself.
    connections.close_all()
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "seed_demo",
            "--quiet-logins",
            "--customers",
            str(more_customers),
            "--followups",
            str(more_followups),
        ],
        env=dict(os.environ),
        check=True,
    )
    print(f"Seeded in {time.monotonic() - started:.1f}s.")


def configure_django_admin(per_page: int):
    """Give Django admin's customer list the page size, at its fastest.

    Its other options are kingadmin's, taken over by ``bench/peer_admin.py``.
    """
    from django.contrib import admin

    from crm.models import Customer

    # The registered instance: the admin URLs are bound to it already.
    django_admin = admin.site.get_model_admin(Customer)
    django_admin.list_per_page = per_page
    django_admin.show_full_result_count = False
    return django_admin


def django_order_index(django_admin, user, name: str) -> int:
    """Return Django admin's ``o`` index of column ``name``.

    The index counts the action checkbox column when there are actions.
    """
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    offset = 1 if django_admin.get_actions(request) else 0
    return offset + list(django_admin.list_display).index(name)


def build_scenarios(king, django_admin, user, per_page: int) -> list[Scenario]:
    king_base = {"per_page": per_page}
    created_desc = django_order_index(django_admin, user, "created_at")
    return [
        Scenario("list, page 1, default sort", {**king_base}, {}),
        Scenario(
            "source=qq_group, -created_at, p3",
            {**king_base, "source": "qq_group", "o": "-created_at", "p": 3},
            {"source__exact": "qq_group", "o": f"-{created_desc}", "p": 3},
            expect={
                "kingadmin": "bi-caret-down-fill",
                "Django": "column-created_at sorted descending",
            },
        ),
        Scenario("search 王, page 1", {**king_base, "q": "王"}, {"q": "王"}),
        Scenario("list, page 200", {**king_base, "p": 200}, {"p": 200}),
    ]


def url(base: str, params: dict) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def get(client, path: str):
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    return response, elapsed


def check_same_rows(result: Result, king_response, django_response) -> None:
    for name, response in (("kingadmin", king_response), ("Django", django_response)):
        if response.status_code != 200:
            where = response.get("Location", "")
            result.problems.append(
                f"{name} answered {response.status_code} {where}".rstrip()
            )
    if result.problems:
        return
    king_pks = ROW_PK.findall(king_response.content.decode())
    django_pks = ROW_PK.findall(django_response.content.decode())
    if not king_pks:
        result.problems.append("kingadmin lists no rows")
    elif king_pks != django_pks:
        result.problems.append(
            f"different rows: kingadmin {king_pks[:3]}..., Django {django_pks[:3]}..."
        )
    for label, response in (
        ("kingadmin", king_response),
        ("Django", django_response),
    ):
        text = result.scenario.expect.get(label)
        if text and text not in response.content.decode():
            result.problems.append(f"{label} page lacks {text!r}")
    if not result.problems:
        from crm.models import Customer

        name = Customer.objects.get(pk=king_pks[0]).name
        for label, response in (
            ("kingadmin", king_response),
            ("Django", django_response),
        ):
            if name not in response.content.decode():
                result.problems.append(f"{label} page lacks first row name {name!r}")


def count_queries(path: str, client) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return list(captured.captured_queries)


def run(client, scenarios, paths, repeat: int, warmup: int) -> list[Result]:
    results = []
    for scenario in scenarios:
        king_path = url(paths["kingadmin"], scenario.kingadmin)
        django_path = url(paths["django"], scenario.django)
        result = Result(scenario)
        results.append(result)
        king_response, _ = get(client, king_path)
        django_response, _ = get(client, django_path)
        check_same_rows(result, king_response, django_response)
        if not result.comparable:
            continue
        for _ in range(warmup):
            get(client, king_path)
            get(client, django_path)
        # Alternate the two, so that drift (caches, other load) hits both alike.
        for _ in range(repeat):
            result.kingadmin_ms.append(get(client, king_path)[1])
            result.django_ms.append(get(client, django_path)[1])
        result.kingadmin_queries = count_queries(king_path, client)
        result.django_queries = count_queries(django_path, client)
    return results


def report(results: list[Result], show_queries: bool) -> None:
    header = (
        f"{'scenario':<36} {'kingadmin ms':>12} {'Django ms':>10} {'ratio':>6} "
        f"{'k queries':>9} {'D queries':>9}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for result in results:
        label = result.scenario.label
        if not result.comparable:
            print(f"{label:<36} NOT COMPARABLE: {'; '.join(result.problems)}")
            continue
        ratios.append(result.ratio)
        print(
            f"{label:<36} {statistics.median(result.kingadmin_ms):>12.1f} "
            f"{statistics.median(result.django_ms):>10.1f} {result.ratio:>6.2f} "
            f"{len(result.kingadmin_queries):>9} {len(result.django_queries):>9}"
        )
    print("-" * len(header))
    if ratios:
        geomean = math.exp(statistics.fmean(math.log(r) for r in ratios))
        verdict = "met" if geomean <= 1.0 else "NOT met"
        print(f"{'geometric mean ratio':<36} {geomean:>31.2f}")
        print(f"target: ratio <= 1.0 ({verdict}; scenarios over it: ", end="")
        over = [r.scenario.label for r in results if r.comparable and r.ratio > 1.0]
        print(f"{', '.join(over) or 'none'})")
    else:
        print("target: ratio <= 1.0 (no scenario was comparable)")
    if show_queries:
        for result in results:
            for name, queries in (
                ("kingadmin", result.kingadmin_queries),
                ("Django", result.django_queries),
            ):
                print(f"\n== {result.scenario.label} / {name}")
                for query in queries:
                    print(f"  [{float(query['time']) * 1000:7.2f} ms] {query['sql']}")


def main() -> int:
    args = parse_args()
    setup_django(args.database_url)
    ensure_data(args.customers, args.followups)

    import django
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    import kingadmin
    from crm.models import Customer, CustomerFollowUp

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    king = kingadmin.site.get_model_admin(Customer)
    if args.per_page not in king.list_per_page_choices:
        print(f"--per-page must be one of {king.list_per_page_choices}.")
        return 0
    user = get_user_model().objects.get(username=SUPERUSER)
    django_admin = configure_django_admin(args.per_page)
    client = Client()
    client.force_login(user)
    paths = {
        "kingadmin": king.url("changelist"),
        "django": reverse("admin:crm_customer_changelist"),
    }
    scenarios = build_scenarios(king, django_admin, user, args.per_page)

    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}; "
        f"Django {django.get_version()}, DEBUG={settings.DEBUG}; "
        f"{Customer.objects.count()} customers, "
        f"{CustomerFollowUp.objects.count()} follow-ups; "
        f"{args.per_page} per page, median of {args.repeat} "
        f"(after {args.warmup} warm-up)\n"
    )
    results = run(client, scenarios, paths, args.repeat, args.warmup)
    report(results, args.show_queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
