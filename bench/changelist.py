"""Benchmark: the kingadmin customer list against django.contrib.admin's.

Targets (issue 13), on 100,000 customers and 1,000,000 follow-ups:

- every scenario (first page, filtered, sorted, deep page, searches by name
  and by part of a phone number) at most 0.5x Django admin's median time for
  the same page size, filter, search and sort, in at most 6 queries;
- every page reachable by paging at most 2x kingadmin's first page: the last
  counted page (OFFSET) and pages past the counted window ("Next" links with
  a keyset cursor, kingadmin/keyset.py), right after it and near the end.

Run by hand:

    .venv/bin/python bench/changelist.py [--repeat N] [--per-page N]
    DATABASE_URL=postgres://... .venv/bin/python bench/changelist.py
    .venv/bin/python bench/changelist.py --smoke   # works? (seconds; exit 1 if not)

Production mode (DEBUG=0, collected static files) and the database as
bench/harness.py sets them up: DATABASE_URL if set, else
``var/bench/changelist.sqlite3``, kept between runs and topped up by
seed_demo only when it holds fewer customers or follow-ups than asked for.
Settings ``bench.settings``: the project's plus Django's admin, which the
project does not install. Both admins get the same requests through
``django.test.Client`` as the superuser ``admin``, interleaved. Django
admin's customer list is the peer of ``bench/peer_admin.py``, derived from
kingadmin's CustomerAdmin (same columns, filters, search fields, ordering and
``list_select_related``); here it gets the page size and, to run at its
fastest, ``show_full_result_count = False``. A scenario is compared only if
both pages answer 200 and list the same rows in the same order; the deep
page is page 200, or the last page on less data. A full run exits 0; a smoke
run exits 1 if a scenario is not comparable.
"""

import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import harness

ROW_PK = re.compile(r'name="_selected_action" value="([^"]+)"')
DEEP_PAGE = 200
TARGET_RATIO = 0.5
DEEP_TARGET = 2.0
MAX_QUERIES = 6


@dataclass
class Scenario:
    label: str
    kingadmin: dict
    django: dict
    # Text each page must contain, e.g. the sort marker on the sorted column:
    # rows alone cannot tell a sort on the default order from an ignored one.
    expect: dict = field(default_factory=dict)


def parse_args():
    parser = harness.argument_parser(__doc__, repeat=15, warmup=2)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--per-page", type=int, default=25)
    parser.add_argument(
        "--show-queries",
        action="store_true",
        help="print the SQL of one request per page, with its time",
    )
    return harness.parse_args(
        parser, smoke={"customers": 300, "followups": 1000, "repeat": 2, "warmup": 1}
    )


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


def last_page(per_page: int, **filters) -> int:
    from crm.models import Customer

    return max(1, math.ceil(Customer.objects.filter(**filters).count() / per_page))


def phone_prefix() -> str:
    """Return a phone number's first digits, shared by up to 100 numbers."""
    from crm.models import Customer

    phones = Customer.objects.exclude(phone=None).order_by("phone")
    return phones.values_list("phone", flat=True)[phones.count() // 2][:-2]


def build_scenarios(django_admin, user, per_page: int) -> list[Scenario]:
    king_base = {"per_page": per_page}
    created_desc = django_order_index(django_admin, user, "created_at")
    qq_page = min(3, last_page(per_page, source="qq_group"))
    deep = min(DEEP_PAGE, last_page(per_page))
    prefix = phone_prefix()
    return [
        Scenario("list, page 1, default sort", {**king_base}, {}),
        Scenario(
            f"source=qq_group, -created_at, p{qq_page}",
            {**king_base, "source": "qq_group", "o": "-created_at", "p": qq_page},
            {"source__exact": "qq_group", "o": f"-{created_desc}", "p": qq_page},
            expect={
                "kingadmin": "bi-caret-down-fill",
                "Django": "column-created_at sorted descending",
            },
        ),
        Scenario(
            "sorted by name, page 2",
            {**king_base, "o": "name_link", "p": 2},
            {"o": str(django_order_index(django_admin, user, "name_link")), "p": 2},
        ),
        Scenario("search 王, page 1", {**king_base, "q": "王"}, {"q": "王"}),
        Scenario("search 张伟, page 1", {**king_base, "q": "张伟"}, {"q": "张伟"}),
        Scenario(f"search phone {prefix}…", {**king_base, "q": prefix}, {"q": prefix}),
        Scenario(f"list, page {deep}", {**king_base, "p": deep}, {"p": deep}),
    ]


def deep_pages(king, per_page: int) -> list[tuple[str, dict]]:
    """Return kingadmin's deepest pages: the last counted one, then by cursor."""
    from crm.models import Customer
    from kingadmin import keyset

    total = Customer.objects.count()
    counted_pages = max(1, min(total, king.count_limit) // per_page)
    pages = [(f"page {counted_pages} (OFFSET)", {"p": counted_pages})]
    keys = keyset.spell_out(Customer, Customer._meta.ordering)
    ordered = keyset.with_keys(Customer.objects.all(), keys).order_by(
        *Customer._meta.ordering
    )
    for row in (king.count_limit, total - per_page - 1):
        if 0 <= row < total and row >= counted_pages * per_page:
            cursor = keyset.cursor_of(ordered[row], keys)
            pages.append(
                (f"after row {row + 1:,} (cursor)", {keyset.CURSOR_VAR: cursor})
            )
    return pages


def measure_deep_pages(client, king, per_page: int, args) -> list[harness.Row]:
    """Time each deep page against the first page (A: deep, B: first)."""
    base = king.url("changelist")
    first = url(base, {"per_page": per_page})
    rows = []
    for label, params in deep_pages(king, per_page):
        path = url(base, {"per_page": per_page, **params})
        row = harness.Row(label)
        response = client.get(path)
        row.problems = harness.status_problems(deep=response, first=client.get(first))
        if not row.problems and not ROW_PK.findall(response.content.decode()):
            row.problems = ["the deep page lists no rows"]
        if not row.problems:
            row.timing = harness.interleave(
                lambda path=path: client.get(path),
                lambda: client.get(first),
                repeat=args.repeat,
                warmup=args.warmup,
            )
            row.extra = {"A queries": len(harness.queries_of(client, path))}
        rows.append(row)
    return rows


def url(base: str, params: dict) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def same_rows_problems(scenario: Scenario, king_response, django_response) -> list:
    """Return why the two pages do not show the same thing (none: comparable)."""
    from crm.models import Customer

    problems = harness.status_problems(kingadmin=king_response, Django=django_response)
    if problems:
        return problems
    pages = {
        "kingadmin": king_response.content.decode(),
        "Django": django_response.content.decode(),
    }
    king_pks = ROW_PK.findall(pages["kingadmin"])
    django_pks = ROW_PK.findall(pages["Django"])
    if not king_pks:
        return ["kingadmin lists no rows"]
    if king_pks != django_pks:
        return [f"different rows: kingadmin {king_pks[:3]}..., Django {django_pks[:3]}"]
    for side, text in scenario.expect.items():
        if text not in pages[side]:
            problems.append(f"{side} page lacks {text!r}")
    name = Customer.objects.get(pk=king_pks[0]).name
    for side, page in pages.items():
        if name not in page:
            problems.append(f"{side} page lacks first row name {name!r}")
    return problems


def measure(client, scenario: Scenario, paths: dict, args) -> harness.Row:
    king_path = url(paths["kingadmin"], scenario.kingadmin)
    django_path = url(paths["django"], scenario.django)
    row = harness.Row(scenario.label)
    row.problems = same_rows_problems(
        scenario, client.get(king_path), client.get(django_path)
    )
    if row.problems:
        return row
    row.timing = harness.interleave(
        lambda: client.get(king_path),
        lambda: client.get(django_path),
        repeat=args.repeat,
        warmup=args.warmup,
    )
    king_queries = harness.queries_of(client, king_path)
    django_queries = harness.queries_of(client, django_path)
    row.extra = {"A queries": len(king_queries), "B queries": len(django_queries)}
    if args.show_queries:
        harness.print_queries(f"{scenario.label} / kingadmin", king_queries)
        harness.print_queries(f"{scenario.label} / Django", django_queries)
    return row


def print_target(rows: list[harness.Row], env: harness.Environment) -> None:
    timed = [row for row in rows if row.timing]
    over = [row.label for row in timed if row.timing.ratio > TARGET_RATIO]
    heavy = [row.label for row in timed if row.extra["A queries"] > MAX_QUERIES]
    worst = max((row.timing.ratio for row in timed), default=math.nan)
    harness.print_target(
        f"every A/B <= {TARGET_RATIO} (worst {worst:.2f}; over: "
        f"{', '.join(over) or 'none'}) in <= {MAX_QUERIES} queries "
        f"(over: {', '.join(heavy) or 'none'})",
        met=bool(timed) and not over and not heavy,
        env=env,
    )


def print_deep_target(rows: list[harness.Row], env: harness.Environment) -> None:
    timed = [row for row in rows if row.timing]
    worst = max((row.timing.ratio for row in timed), default=math.nan)
    harness.print_target(
        f"every deep page <= {DEEP_TARGET}x the first page (worst {worst:.2f})",
        met=bool(timed) and worst <= DEEP_TARGET,
        env=env,
    )


def main() -> int:
    args = parse_args()
    with harness.production(args, "changelist", settings="bench.settings") as env:
        harness.ensure_demo(customers=args.customers, followups=args.followups)

        from django.contrib.auth import get_user_model
        from django.urls import reverse

        import kingadmin
        from crm.models import Customer, CustomerFollowUp

        king = kingadmin.site.get_model_admin(Customer)
        if args.per_page not in king.list_per_page_choices:
            print(f"--per-page must be one of {king.list_per_page_choices}.")
            return 2
        django_admin = configure_django_admin(args.per_page)
        client = harness.logged_in_client()
        paths = {
            "kingadmin": king.url("changelist"),
            "django": reverse("admin:crm_customer_changelist"),
        }
        user = get_user_model().objects.get(username=harness.SUPERUSER)
        scenarios = build_scenarios(django_admin, user, args.per_page)
        print(
            f"{Customer.objects.count()} customers, "
            f"{CustomerFollowUp.objects.count()} follow-ups; {args.per_page} per "
            f"page; {args.repeat} runs each after {args.warmup} warm-up"
        )
        rows = [measure(client, scenario, paths, args) for scenario in scenarios]
        harness.print_table(rows, a="kingadmin", b="Django admin")
        print_target(rows, env)
        deep = measure_deep_pages(client, king, args.per_page, args)
        harness.print_table(deep, a="deep page", b="first page")
        print_deep_target(deep, env)
        return harness.exit_status(env, rows + deep)


if __name__ == "__main__":
    raise SystemExit(main())
