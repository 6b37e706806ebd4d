"""The database refuses to change or delete a ledger entry.

Triggers on SQLite and PostgreSQL (finance.triggers): whatever writes the
table (the app, a shell, a script), an UPDATE or DELETE of an entry fails.
Mistakes are corrected by reversing entries (finance.ledger). Someone who
can drop the triggers can still alter rows: the hash chain shows it
(manage.py ledger_check).
"""

from django.db import migrations

from finance.triggers import operations


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = operations("finance_ledgerentry", "finance_ledger")
