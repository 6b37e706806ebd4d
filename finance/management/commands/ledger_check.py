"""Check the tuition ledger's hash chains: exit 1 and list the breaks, if any."""

from django.core.management.base import BaseCommand, CommandError

from finance.ledger import verify


class Command(BaseCommand):
    help = (
        "Recompute every enrollment's ledger chain: an entry changed, removed or "
        "reordered behind the application's back is reported (exit status 1)."
    )

    def handle(self, *args, **options):
        problems = verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The ledger has {len(problems)} break(s).")
        self.stdout.write("The ledger's chains are whole.")
