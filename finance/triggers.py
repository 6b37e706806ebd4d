"""Tables the database keeps append-only: UPDATE and DELETE refused by triggers.

Used by the migrations that create them (the ledger, contract terms), and by
the tests that play an intruder who drops them. Kept stable: a migration
once applied must find the same names to drop them when reversed.
"""

from __future__ import annotations


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
