import time

from django.core.management.base import BaseCommand, CommandError

from crm import demo_data
from crm.bulk import bulk_load


class Command(BaseCommand):
    help = (
        "Create the demo data of MISSION.md (idempotent) and print the demo logins. "
        "--customers/--followups add generated leads for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=0, help="Generated leads to add."
        )
        parser.add_argument(
            "--followups", type=int, default=0, help="Generated follow-ups to add."
        )
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the logins."
        )

    def handle(self, *args, customers: int, followups: int, quiet_logins: bool, **opts):
        if customers < 0 or followups < 0:
            raise CommandError("--customers and --followups must not be negative.")
        demo_data.seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        created = []
        if customers:
            started = time.monotonic()
            with bulk_load():
                created = demo_data.generate_customers(customers)
            self.stdout.write(
                f"Added {customers} customers in {time.monotonic() - started:.1f}s."
            )
        if followups:
            started = time.monotonic()
            try:
                with bulk_load():
                    demo_data.generate_followups(followups, customers=created or None)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"Added {followups} follow-ups in {time.monotonic() - started:.1f}s."
            )
        if not quiet_logins:
            self.stdout.write("")
            self.stdout.write(
                f"Demo logins (password for all: {demo_data.DEMO_PASSWORD})"
            )
            for login in demo_data.DEMO_LOGINS:
                self.stdout.write(
                    f"  {login.username:<10} {login.description} — {login.role}"
                )
