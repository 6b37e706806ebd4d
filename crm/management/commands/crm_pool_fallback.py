"""Move private leads nobody worked for CRM_STALE_LEAD_DAYS into the public pool.

The workers run it every hour (the periodic job ``crm-pool-fallback``,
crm/tasks.py); by hand:

    .venv/bin/python manage.py crm_pool_fallback
"""

from django.core.management.base import BaseCommand

from crm.pool import customers_fall_back


class Command(BaseCommand):
    help = "Move leads nobody followed up for too long into the public pool."

    def handle(self, *args, **options):
        moved = customers_fall_back()
        self.stdout.write(f"{moved} lead(s) moved to the public pool.")
