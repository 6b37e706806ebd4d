"""Writing many rows at once: seeding, search grams.

``bulk_create`` builds a model instance per row and compiles an INSERT per
batch from them; for a million generated rows nobody reads back, that is
most of the time spent. These helpers write plain tuples with one
``executemany`` and, on SQLite, give the load a large page cache.
"""

from contextlib import contextmanager

from django.db import connection, transaction

# Page cache of a bulk load on SQLite, in KiB (negative: a size, not pages):
# index pages of a million rows inserted in random key order stay in memory
# instead of being written and read back.
BULK_CACHE_KIB = 256 * 1024


def insert_rows(model, attnames: tuple[str, ...], rows) -> None:
    """INSERT ``rows`` (tuples of database values of ``attnames``) in one call."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in attnames)
    marks = ", ".join(["%s"] * len(attnames))
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
            rows,
        )


@contextmanager
def bulk_load():
    """Run a large load in one transaction (and, on SQLite, a large page cache)."""
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            previous = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        with transaction.atomic():
            yield
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")
