"""Tables the database keeps append-only: UPDATE and DELETE refused by triggers.

Used by the migrations that create them (the ledger, contract terms), and by
the tests that play an intruder who drops them. Kept stable: a migration
once applied must find the same names to drop them when reversed.
"""

from __future__ import annotations

from contextlib import contextmanager

# The append-only tables and their trigger names, as their migrations made them.
TABLES = (
    ("finance_ledgerentry", "finance_ledger"),
    ("finance_contractterms", "finance_terms"),
    ("finance_receipt", "finance_receipt"),
)


def append_only(vendor: str, table: str, name: str) -> list[tuple[str, str]]:
    """Return (create, drop) SQL making ``table`` refuse UPDATE and DELETE.

    ``name`` prefixes the triggers (and the PostgreSQL function). Other
    databases get nothing.
    """
    if vendor == "sqlite":
        return [
            (
                f"CREATE TRIGGER {name}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed'); END",
                f"DROP TRIGGER {name}_no_{event.lower()}",
            )
            for event in ("UPDATE", "DELETE")
        ]
    if vendor == "postgresql":
        function = f"{name}_append_only"
        return [
            (
                f"CREATE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{table} rows are never changed'; END; $$ "
                "LANGUAGE plpgsql",
                f"DROP FUNCTION {function}()",
            ),
            (
                f"CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()",
                f"DROP TRIGGER {function} ON {table}",
            ),
        ]
    return []


def operations(table: str, name: str):
    """Return the migration operations adding the triggers (and dropping them)."""
    from django.db import migrations

    def add(apps, schema_editor):
        for create, _drop in append_only(schema_editor.connection.vendor, table, name):
            schema_editor.execute(create)

    def remove(apps, schema_editor):
        statements = append_only(schema_editor.connection.vendor, table, name)
        for _create, drop in reversed(statements):
            schema_editor.execute(drop)

    return [migrations.RunPython(add, remove)]


def suspended(tables: list[tuple[str, str]]):
    """Return operations (before, after) lifting the triggers around a change.

    SQLite rebuilds a table to add a column or a constraint, which loses
    its triggers: a migration altering an append-only table drops them
    first and creates them again after (``tables``: (table, name) pairs).
    """
    from django.db import migrations

    def drop(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for table, name in tables:
            for _create, statement in reversed(append_only(vendor, table, name)):
                schema_editor.execute(statement)

    def create(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for table, name in tables:
            for statement, _drop in append_only(vendor, table, name):
                schema_editor.execute(statement)

    return migrations.RunPython(drop, create), migrations.RunPython(create, drop)


@contextmanager
def lifted(connection):
    """Drop the append-only triggers for the block, then create them again.

    For tests that empty the database (a live-server test's flush deletes
    rows on SQLite; PostgreSQL's TRUNCATE fires no row trigger).
    """
    vendor = connection.vendor
    statements = [
        pair for table, name in TABLES for pair in append_only(vendor, table, name)
    ]
    with connection.cursor() as cursor:
        for _create, drop in reversed(statements):
            cursor.execute(drop)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for create, _drop in statements:
                cursor.execute(create)
