"""The database refuses to change or delete a ledger entry.

Triggers on SQLite and PostgreSQL: whatever writes the table (the app, a
shell, a script), an UPDATE or DELETE of an entry fails. Mistakes are
corrected by reversing entries (finance.ledger). Someone who can drop the
triggers can still alter rows: the hash chain shows it (manage.py
ledger_check).
"""

from django.db import migrations

TABLE = "finance_ledgerentry"

SQLITE = [
    (
        f"CREATE TRIGGER finance_ledger_no_update BEFORE UPDATE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'ledger entries are never changed'); END",
        "DROP TRIGGER finance_ledger_no_update",
    ),
    (
        f"CREATE TRIGGER finance_ledger_no_delete BEFORE DELETE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END",
        "DROP TRIGGER finance_ledger_no_delete",
    ),
]
POSTGRESQL = [
    (
        "CREATE FUNCTION finance_ledger_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'ledger entries are never changed or deleted'; END; "
        "$$ LANGUAGE plpgsql",
        "DROP FUNCTION finance_ledger_append_only()",
    ),
    (
        f"CREATE TRIGGER finance_ledger_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION finance_ledger_append_only()",
        f"DROP TRIGGER finance_ledger_append_only ON {TABLE}",
    ),
]


def _statements(schema_editor):
    vendor = schema_editor.connection.vendor
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor, [])


def add(apps, schema_editor):
    for create, _drop in _statements(schema_editor):
        schema_editor.execute(create)


def remove(apps, schema_editor):
    for _create, drop in reversed(_statements(schema_editor)):
        schema_editor.execute(drop)


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
