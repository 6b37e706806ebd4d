"""Indexes for the jobs list on django_tasks_db's table (its model has none).

The list sorts by enqueue time and filters by status and by job; the table is
the library's, so the indexes are plain SQL here (the same on SQLite and
PostgreSQL) and dropped again when this migration is reversed.
"""

from django.db import migrations

TABLE = "django_tasks_database_dbtaskresult"
INDEXES = {
    "jobs_task_enqueued_idx": "enqueued_at",
    "jobs_task_status_enqueued_idx": "status, enqueued_at",
    "jobs_task_path_enqueued_idx": "task_path, enqueued_at",
}


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {TABLE} ({columns})",
            f"DROP INDEX {name}",
        )
        for name, columns in INDEXES.items()
    ]
