"""On PostgreSQL, the database refuses overlapping sessions too.

Exclusion constraints over each session's time range: no two scheduled
sessions overlap in one room, for one teacher or for one class. The service
checks the same under a lock and words the refusal (timetable.services);
these hold whatever writes the table. ``btree_gist`` lets a GiST index
compare the integer ids with ``=``; it is a trusted extension (PostgreSQL
13+), which the database's owner may create. SQLite has no exclusion
constraints: there the service's check under the write lock is the guard
(SQLite runs one writer at a time).
"""

from django.db import migrations

TABLE = "timetable_classsession"
CONSTRAINTS = {
    "session_no_room_overlap": "room_id",
    "session_no_teacher_overlap": "teacher_id",
    "session_no_class_overlap": "class_list_id",
}


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (status = 'scheduled')"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {name}")


class Migration(migrations.Migration):
    dependencies = [("timetable", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
