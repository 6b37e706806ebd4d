"""Benchmark: requests per second of the customer list under concurrent load.

Target (issue 13): kingadmin serves at least 3x Django admin's requests per
second on the same list, 8 clients against 2 gunicorn workers, with no
error; on 100,000 customers and 1,000,000 follow-ups. Run by hand:

    .venv/bin/python bench/throughput.py [--seconds S] [--repeat N] [--clients N]
    DATABASE_URL=postgres://... .venv/bin/python bench/throughput.py
    .venv/bin/python bench/throughput.py --smoke   # works? (seconds; exit 1 if not)

Production mode and the database of bench/changelist.py (bench/harness.py);
``bench.settings`` adds Django admin's peer list (bench/peer_admin.py: 25 rows
a page, no full count, as in bench/changelist.py). One gunicorn (sync
workers, as README's Production section runs it) serves both; ``--clients``
threads request the list's first page as the superuser, each a new
connection per request, for ``--seconds``, kingadmin and Django admin in
turn (A, B, A, B ...). The table shows the milliseconds per served request
(seconds / requests: lower is better), so A/B is the inverse of the
throughput ratio: the target is A/B <= 1/3. A response other than 200, or a
failed connection, is an error.
"""

import http.client
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

import harness

TARGET_SPEEDUP = 3.0
KINGADMIN_PATH = "/kingadmin/crm/customer/?per_page=25"
DJANGO_PATH = "/admin/crm/customer/"


def parse_args(doc: str = __doc__, *, seconds: float = 10.0):
    """Return the options of a load bench (this one's and bench/load.py's)."""
    parser = harness.argument_parser(doc, repeat=3, warmup=1)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    return harness.parse_args(
        parser,
        smoke={
            "customers": 300,
            "followups": 1000,
            "seconds": 1.0,
            "repeat": 1,
            "warmup": 0,
        },
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, log_path) -> subprocess.Popen:
    """Start gunicorn on ``port`` with the bench's environment; wait for it."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "crm_project.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
        ],
        cwd=harness.ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start within 30 s")


class Load:
    """``clients`` threads requesting ``path`` for ``seconds``; the tallies."""

    def __init__(self, port: int, path: str, cookie: str, clients: int):
        self.port, self.path, self.cookie, self.clients = port, path, cookie, clients

    def run(self, seconds: float) -> dict:
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def client() -> None:
            while time.monotonic() < stop:
                started = time.perf_counter()
                problem = self._request()
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    (errors.append(problem) if problem else latencies.append(elapsed))

        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - began
        return {"latencies": latencies, "errors": errors, "seconds": took}

    def _request(self) -> str | None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                "GET",
                self.path,
                headers={"Host": "localhost", "Cookie": self.cookie},
            )
            response = connection.getresponse()
            response.read()
            return None if response.status == 200 else f"HTTP {response.status}"
        except OSError as error:
            return f"{type(error).__name__}: {error}"
        finally:
            connection.close()


def p95(latencies: list[float]) -> float:
    if len(latencies) < 2:
        return latencies[0] if latencies else float("nan")
    return statistics.quantiles(latencies, n=20)[-1]


def measure(loads: dict[str, Load], args) -> harness.Row:
    row = harness.Row(f"list, page 1, {args.clients} clients, {args.workers} workers")
    for _ in range(args.warmup):
        for load in loads.values():
            load.run(min(args.seconds, 2.0))
    ms = {"A": [], "B": []}
    tallies = {"A": [], "B": []}
    for _ in range(args.repeat):
        for side, load in loads.items():
            tally = load.run(args.seconds)
            tallies[side].append(tally)
            served = len(tally["latencies"])
            ms[side].append(tally["seconds"] * 1000 / served if served else math.inf)
    errors = {
        side: sum(len(t["errors"]) for t in runs) for side, runs in tallies.items()
    }
    for side, runs in tallies.items():
        if errors[side]:
            first = next(t["errors"][0] for t in runs if t["errors"])
            row.problems.append(f"{side}: {errors[side]} errors (first: {first})")
    if row.problems:
        return row
    row.timing = harness.Timing(tuple(ms["A"]), tuple(ms["B"]))
    for side, runs in tallies.items():
        served = sum(len(t["latencies"]) for t in runs)
        seconds = sum(t["seconds"] for t in runs)
        every = [x for t in runs for x in t["latencies"]]
        row.extra[f"{side} req/s"] = f"{served / seconds:.1f}"
        row.extra[f"{side} p95 ms"] = f"{p95(every):.0f}"
        row.extra[f"{side} errors"] = errors[side]
    return row


def main() -> int:
    args = parse_args()
    with harness.production(
        args, "throughput", database="changelist", settings="bench.settings"
    ) as env:
        harness.ensure_demo(customers=args.customers, followups=args.followups)
        from django.conf import settings

        from crm.models import Customer, CustomerFollowUp

        client = harness.logged_in_client()
        cookie = f"{settings.SESSION_COOKIE_NAME}="
        cookie += client.cookies[settings.SESSION_COOKIE_NAME].value
        port = free_port()
        server = start_gunicorn(port, args.workers, env.tmp / "gunicorn.log")
        try:
            loads = {
                "A": Load(port, KINGADMIN_PATH, cookie, args.clients),
                "B": Load(port, DJANGO_PATH, cookie, args.clients),
            }
            print(
                f"{Customer.objects.count()} customers, "
                f"{CustomerFollowUp.objects.count()} follow-ups; {args.clients} "
                f"clients, {args.workers} gunicorn workers, {args.seconds:g} s a "
                f"round, {args.repeat} rounds each after {args.warmup} warm-up"
            )
            row = measure(loads, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
        harness.print_table(
            [row], a="kingadmin (ms per served request)", b="Django admin"
        )
        speedup = 1 / row.timing.ratio if row.timing else None
        harness.print_target(
            f"kingadmin >= {TARGET_SPEEDUP:g}x Django admin's requests per second "
            f"with 0 errors ({'unmeasured' if speedup is None else f'{speedup:.2f}x'})",
            met=None if speedup is None else speedup >= TARGET_SPEEDUP,
            env=env,
        )
        return harness.exit_status(env, [row])


if __name__ == "__main__":
    raise SystemExit(main())
