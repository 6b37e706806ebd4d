"""The benchmarks' shared harness: production mode, data, interleaved timing, table.

A bench is a script in bench/ with a ``main()``; each one reads like this::

    parser = harness.argument_parser(__doc__, repeat=15, warmup=2)
    parser.add_argument("--customers", type=int, default=100_000)
    args = harness.parse_args(parser, smoke={"customers": 300, "repeat": 2})
    with harness.production(args, "changelist", settings="bench.settings") as env:
        harness.ensure_demo(customers=args.customers)
        client = harness.logged_in_client()
        row = harness.Row("list, page 1")
        row.problems += harness.status_problems(kingadmin=..., django=...)
        if not row.problems:
            row.timing = harness.interleave(a, b, repeat=args.repeat, warmup=...)
        harness.print_table([row], a="kingadmin", b="Django admin")
        harness.print_target("A/B <= 1.0", met=row.timing.ratio <= 1.0, env=env)
        return harness.exit_status(env, [row])

**Production mode**, as README's "Production" section runs the site: DEBUG=0,
a SECRET_KEY made for the run, ALLOWED_HOSTS ``testserver,localhost`` (the
test client's host), static files collected into a temporary STATIC_ROOT
through the production storage (fingerprinted and compressed: ``{% static %}``
reads its manifest and fails on a missing file, as in production), uploads
and mail in that temporary folder. Django runs in the bench's process; pages
are fetched with ``django.test.Client`` (no network, no server).

**Databases.** A full run keeps its database between runs, as seeding 100,000
rows takes minutes: ``--database-url``, else ``$DATABASE_URL``, else
``var/bench/<database>.sqlite3``; it is migrated and ``ensure_demo`` adds only
what is missing. A smoke run (``--smoke``), and a bench asking for
``fresh=True``, gets a throwaway database instead, created empty next to the
configured one (a file in the temporary folder for SQLite, a database named
``<name>_bench_<bench>`` on the PostgreSQL server of DATABASE_URL), migrated,
and dropped at the end however the bench ends.

**Timing.** ``interleave`` runs A and B alternately (A, B, A, B ...) after the
warm-up, so that drift (caches, other load) hits both alike; the table shows
medians with min-max and the ratio A/B.

**Exit status.** A smoke run checks that the bench works, never its speed: it
exits 1 if a scenario could not be measured (a page answered other than 200,
the two sides showed different things ...); an exception exits 1 anyway. A
full run exits 0 whatever the numbers say.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATA = ROOT / "var" / "bench"
SUPERUSER = "admin"
PRODUCTION_HOSTS = "testserver,localhost"


@dataclass
class Environment:
    """What ``production()`` set up for one bench run."""

    name: str
    smoke: bool
    tmp: Path
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Timing:
    """Interleaved run times of A and B, in milliseconds."""

    a_ms: tuple[float, ...]
    b_ms: tuple[float, ...]

    @property
    def a_median(self) -> float:
        return statistics.median(self.a_ms)

    @property
    def b_median(self) -> float:
        return statistics.median(self.b_ms)

    @property
    def ratio(self) -> float:
        return self.a_median / self.b_median


@dataclass
class Row:
    """One scenario of the table: its timing, or why it could not be measured.

    ``extra`` holds further columns (query counts, sizes), printed as given.
    """

    label: str
    timing: Timing | None = None
    problems: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)


# -- command line --------------------------------------------------------------


def argument_parser(doc: str, *, repeat: int, warmup: int) -> argparse.ArgumentParser:
    """Return a parser with the options every bench has."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny data on a throwaway database, a couple of runs: check that the "
        "bench works (exit 1 if a scenario cannot be measured), never its speed",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="default: $DATABASE_URL, else a SQLite file in var/bench/",
    )
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--warmup", type=int, default=warmup)
    return parser


def parse_args(parser: argparse.ArgumentParser, *, smoke: dict) -> argparse.Namespace:
    """Parse the command line; with --smoke, ``smoke`` replaces the defaults.

    Options given on the command line win over both.
    """
    args = parser.parse_args()
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args()
    return args


# -- production mode and database ---------------------------------------------


@contextlib.contextmanager
def production(
    args: argparse.Namespace,
    name: str,
    *,
    database: str | None = None,
    settings: str = "crm_project.settings",
    fresh: bool = False,
) -> Iterator[Environment]:
    """Set Django up in production mode for bench ``name``, its database ready.

    ``database`` names the kept SQLite file (default: ``name``); ``fresh``
    asks for a throwaway database even in a full run. ``settings`` is the
    settings module (``bench.settings`` adds Django's admin as the peer).
    """
    database_url = args.database_url or (
        f"sqlite:///{BENCH_DATA / f'{database or name}.sqlite3'}"
    )
    throwaway = args.smoke or fresh
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp_name:
        env = Environment(name=name, smoke=args.smoke, tmp=Path(tmp_name))
        if not throwaway and database_url.startswith("sqlite:///"):
            Path(database_url.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )
        _production_environ(env.tmp, database_url, settings)
        import django

        django.setup()
        from django.conf import settings as django_settings

        # Import the URLconf now: bench.urls registers Django admin's peers.
        import_module(django_settings.ROOT_URLCONF)
        from django.core.management import call_command
        from django.db import connection

        if throwaway:
            kept_name = _create_throwaway_database(env)
        else:
            call_command("migrate", verbosity=0)
        try:
            call_command("collectstatic", interactive=False, verbosity=0)
            print(
                f"{name}: production mode (DEBUG={django_settings.DEBUG}, "
                f"{django_settings.STORAGES['staticfiles']['BACKEND'].rsplit('.')[-1]}"
                f"), {connection.vendor} {connection.settings_dict['NAME']}"
                f"{' (throwaway)' if throwaway else ''}, Django {django.get_version()}"
                f"{'; SMOKE run: tiny data, speed not judged' if args.smoke else ''}",
                flush=True,
            )
            yield env
        finally:
            if throwaway:
                connection.creation.destroy_test_db(kept_name, verbosity=0)


def _production_environ(tmp: Path, database_url: str, settings: str) -> None:
    """Set the environment of README's Production section, before Django reads it."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": settings,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": PRODUCTION_HOSTS,
            "DATABASE_URL": database_url,
            "STATIC_ROOT": str(tmp / "static"),
            "MEDIA_ROOT": str(tmp / "media"),
            "EMAIL_BACKEND": "file",
            "EMAIL_FILE_PATH": str(tmp / "mail"),
            # The test client speaks plain http: no redirect to https.
            "SECURE_SSL_REDIRECT": "0",
        }
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _create_throwaway_database(env: Environment) -> str:
    """Create and migrate an empty database beside the configured one.

    Return the configured database's name (to put back when dropping it).
    DATABASE_URL then names the throwaway database, for the subprocesses.
    """
    from django.db import connection

    kept_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        throwaway = str(env.tmp / "db.sqlite3")
    else:
        throwaway = f"{kept_name}_bench_{env.name}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = throwaway
    # Django's test-database machinery: drops a leftover of an interrupted
    # run, creates, migrates, and (destroy_test_db) drops it again. Quiet:
    # it would say that migrate created the cache table already.
    with contextlib.redirect_stdout(io.StringIO()):
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
    url = urlsplit(os.environ["DATABASE_URL"])
    if connection.vendor == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{throwaway}"
    else:
        os.environ["DATABASE_URL"] = url._replace(path=f"/{throwaway}").geturl()
    return kept_name


def ensure_demo(*, customers: int = 0, followups: int = 0) -> None:
    """Load the demo and top up generated customers and follow-ups to the counts.

    Only what is missing is seeded (100,000 customers take minutes), by
    ``manage.py seed_demo`` in its own process, as README runs it.
    """
    from django.contrib.auth import get_user_model
    from django.db import connections

    from crm.models import Customer, CustomerFollowUp

    have_customers = Customer.objects.count()
    have_followups = CustomerFollowUp.objects.count()
    has_demo = get_user_model().objects.filter(username=SUPERUSER).exists()
    more_customers = max(0, customers - have_customers)
    more_followups = max(0, followups - have_followups)
    if has_demo and not more_customers and not more_followups:
        print(f"Reusing {have_customers} customers, {have_followups} follow-ups.")
        return
    missing = [
        *([] if has_demo else ["the demo"]),
        *([f"{more_customers} customers"] if more_customers else []),
        *([f"{more_followups} follow-ups"] if more_followups else []),
    ]
    print(
        f"Seeding {', '.join(missing)} (have {have_customers} customers, "
        f"{have_followups} follow-ups)...",
        flush=True,
    )
    # The seed runs in its own process; let it have the database to itself.
    connections.close_all()
    started = time.monotonic()
    run_manage(
        "seed_demo",
        "--quiet-logins",
        f"--customers={more_customers}",
        f"--followups={more_followups}",
    )
    print(f"Seeded in {time.monotonic() - started:.1f}s.", flush=True)


def run_manage(*arguments: str) -> None:
    """Run ``manage.py`` with ``arguments`` on the bench's settings and database."""
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        env=dict(os.environ),
        check=True,
    )


# -- requests -----------------------------------------------------------------


def logged_in_client(username: str = SUPERUSER):
    """Return a test client logged in as ``username``.

    A view's exception is an answer 500 (logged with its traceback), not an
    exception in the bench: the scenario is reported, the others still run.
    """
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=username))
    return client


def status_problems(**responses) -> list[str]:
    """Return a problem for each response (by side name) that is not a 200."""
    problems = []
    for side, response in responses.items():
        if response.status_code != 200:
            where = response.get("Location", "")
            problems.append(f"{side} answered {response.status_code} {where}".rstrip())
    return problems


def queries_of(client, path: str) -> list[dict]:
    """Return the SQL queries (with their times) of one GET of ``path``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return list(captured.captured_queries)


def print_queries(title: str, queries: list[dict]) -> None:
    print(f"\n== {title}")
    for query in queries:
        print(f"  [{float(query['time']) * 1000:7.2f} ms] {query['sql']}")


# -- timing and report --------------------------------------------------------


def interleave(
    a: Callable[[], object],
    b: Callable[[], object],
    *,
    repeat: int,
    warmup: int,
    budget: float | None = None,
) -> Timing:
    """Time ``a`` and ``b`` alternately, ``repeat`` times each, after ``warmup``.

    With ``budget`` (seconds), stop early once it is spent, after 3 runs.
    """
    for _ in range(warmup):
        a()
        b()
    a_ms: list[float] = []
    b_ms: list[float] = []
    started = time.monotonic()
    for run in range(repeat):
        a_ms.append(_elapsed_ms(a))
        b_ms.append(_elapsed_ms(b))
        if budget is not None and run >= 2 and time.monotonic() - started > budget:
            break
    return Timing(tuple(a_ms), tuple(b_ms))


def _elapsed_ms(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def print_table(rows: list[Row], *, a: str, b: str, unit: str = "ms") -> None:
    """Print the scenarios, A and B side by side (median, min-max), and A/B.

    ``unit`` is "ms" or "s".
    """
    extra = list(dict.fromkeys(name for row in rows for name in row.extra))
    header = ["scenario", f"A {unit}", "min-max", f"B {unit}", "min-max", "A/B"]
    header += extra
    scale = {"ms": 1, "s": 1 / 1000}[unit]
    cells = {id(row): _cells(row, extra, scale) for row in rows if row.timing}
    widths = [
        max(len(line[column]) for line in [header, *cells.values()])
        for column in range(len(header))
    ]
    widths[0] = max(widths[0], *(len(row.label) for row in rows))

    def render(line: list[str]) -> str:
        first, *rest = line
        padded = (
            cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)
        )
        return "  ".join([first.ljust(widths[0]), *padded])

    runs = sorted({len(row.timing.a_ms) for row in rows if row.timing})
    print(f"\nA = {a}, B = {b}; medians of {'/'.join(map(str, runs)) or 0} ", end="")
    print("interleaved runs (A, B, A, B ...)")
    print(render(header))
    print("-" * len(render(header)))
    for row in rows:
        if row.timing:
            print(render(cells[id(row)]))
        else:
            problems = "; ".join(row.problems) or "not measured"
            print(f"{row.label.ljust(widths[0])}  NOT COMPARABLE: {problems}")
    print("-" * len(render(header)))


def _cells(row: Row, extra: list[str], scale: float) -> list[str]:
    timing = row.timing

    def spread(times: tuple[float, ...]) -> str:
        return f"{_number(min(times) * scale)}-{_number(max(times) * scale)}"

    return [
        row.label,
        _number(timing.a_median * scale),
        spread(timing.a_ms),
        _number(timing.b_median * scale),
        spread(timing.b_ms),
        f"{timing.ratio:.2f}",
        *(str(row.extra.get(name, "")) for name in extra),
    ]


def _number(value: float) -> str:
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def print_target(target: str, *, met: bool | None, env: Environment) -> None:
    """Print the target line: met, NOT met, or not judged (``met`` None).

    None: nothing measured, or not the size or database the target is for.
    """
    verdict = {True: "met", False: "NOT met", None: "not judged"}[met]
    if env.smoke:
        verdict += " (smoke run: tiny data, speed not judged)"
    print(f"target: {target}: {verdict}")


def exit_status(env: Environment, rows: list[Row], problems: Sequence[str] = ()) -> int:
    """Return the exit status: 1 for a smoke run with a problem, else 0.

    A problem is a row that could not be measured, or one of ``problems``
    (what the bench found besides its table, e.g. a bad archive).
    """
    problems = [
        *(f"{row.label}: {problem}" for row in rows for problem in row.problems),
        *(f"{row.label}: not measured" for row in rows if _unmeasured(row)),
        *problems,
    ]
    elapsed = time.monotonic() - env.started
    if env.smoke and problems:
        print(f"SMOKE FAILED ({env.name}, {elapsed:.1f}s):", *problems, sep="\n  ")
        return 1
    print(f"{env.name}: done in {elapsed:.1f}s{' (smoke: ok)' if env.smoke else ''}.")
    return 0


def _unmeasured(row: Row) -> bool:
    return row.timing is None and not row.problems
