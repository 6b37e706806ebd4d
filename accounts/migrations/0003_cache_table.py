"""Create the database cache table(s) of settings.CACHES during `migrate`.

The shared cache (rate limits across gunicorn workers) is a DatabaseCache, whose
table is not a model: Django creates it only with `createcachetable`. Running
that command's logic here means `migrate` leaves nothing to do by hand. It skips
a table that already exists (so databases that ran `createcachetable` before,
and the test runner, which runs it after migrating, are fine), and it works on
every backend Django supports. Reversing is a no-op: the table holds only
disposable cache entries, and `createcachetable` never drops tables either.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop),
    ]
