"""Benchmark: load 100,000 customers and 1,000,000 follow-ups with seed_demo.

Target (issue 2): under 3 minutes on SQLite. Run by hand:

    .venv/bin/python bench/seed.py [--customers N] [--followups M]
    DATABASE_URL=postgres://... .venv/bin/python bench/seed.py

On SQLite it uses a fresh database file in a temporary folder; with
DATABASE_URL it uses that database (migrated first) and adds to it.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    args = parser.parse_args()

    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if "DATABASE_URL" not in env:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        started = time.monotonic()
        subprocess.run(
            [
                *manage,
                "seed_demo",
                "--quiet-logins",
                "--customers",
                str(args.customers),
                "--followups",
                str(args.followups),
            ],
            env=env,
            check=True,
        )
        elapsed = time.monotonic() - started
    engine = env["DATABASE_URL"].split(":", 1)[0]
    print(
        f"{engine}: {args.customers} customers + {args.followups} follow-ups "
        f"in {elapsed:.1f}s (target < 180s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
