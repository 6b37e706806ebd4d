"""Rebuild the index of customer names behind the list's search (crm.search)."""

from django.core.management.base import BaseCommand

from crm.search import reindex_all


class Command(BaseCommand):
    help = "Rebuild the search index of customer names and QQ nicknames."

    def handle(self, *args, **options):
        count = reindex_all()
        self.stdout.write(f"Indexed the names of {count} customers.")
