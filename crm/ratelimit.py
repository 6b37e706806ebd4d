"""Fixed-window counting in the shared cache (holds across processes).

``too_many`` counts every call and says whether it went over the limit;
``count`` only reads and ``record`` counts one event, so a caller can count
only some requests (failed logins) yet check every one. Their windows are
aligned to the clock (multiples of ``window`` seconds since the epoch): every
process agrees on where a window ends without storing its start, and
``seconds_left`` tells a refused client how long to wait. A client may thus
fit up to twice the limit around a window boundary, never more.

Where the shared cache is the database (the default; Redis takes over when
configured), the counts are rows of :class:`~crm.models.RateCounter`, each
request one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (SQLite and
PostgreSQL alike): exact under concurrency and one query, where the database
cache's add/incr/touch take seventeen (its incr reads, then writes).
"""

import hashlib
import math
import time
from datetime import UTC, datetime

from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection

from crm.models import RateCounter


def too_many(key: str, *, limit: int, window: int) -> bool:
    """Count a request for ``key``; True once over ``limit`` in ``window`` seconds."""
    return record(key, window=window) > limit


def seconds_left(*, window: int) -> int:
    """Return the whole seconds (at least 1) until the current window ends."""
    return _current(window)[1]


def _current(window: int) -> tuple[int, int]:
    # (index of the current window, whole seconds until it ends), from one clock read.
    now = time.time()
    return int(now // window), max(1, math.ceil(window - now % window))


def _window_name(key: str, index: int, window: int) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"ratelimit:{window}:{index}:{digest}"


def _in_database() -> bool:
    return isinstance(caches["default"], DatabaseCache)


def count(key: str, *, window: int) -> int:
    """Return how many events ``record`` counted for ``key`` in the current window."""
    index, _ = _current(window)
    name = _window_name(key, index, window)
    if _in_database():
        hits = RateCounter.objects.filter(name=name).values_list("hits", flat=True)
        return next(iter(hits), 0)
    return cache.get(name, 0)


def record(key: str, *, window: int) -> int:
    """Count one event for ``key`` in the current window; return the new count."""
    index, left = _current(window)
    name = _window_name(key, index, window)
    if _in_database():
        return _record_in_database(name, (index + 1) * window + 1)
    # The entry only has to outlive its window: the next window has another name.
    timeout = left + 1
    if cache.add(name, 1, timeout=timeout):
        return 1
    try:
        new_count = cache.incr(name)
    except ValueError:  # expired between add() and incr()
        cache.add(name, 1, timeout=timeout)
        return 1
    # BaseCache.incr() (the database cache) stores the sum with the default
    # timeout (300 s), which could drop the count before the window ends.
    cache.touch(name, timeout=timeout)
    return new_count


def _record_in_database(name: str, expires: int) -> int:
    expires_at = datetime.fromtimestamp(expires, tz=UTC)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    value = connection.ops.adapt_datetimefield_value(expires_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, hits, expires_at) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (name) DO UPDATE SET hits = {table}.hits + 1 "
            "RETURNING hits",
            [name, value],
        )
        return cursor.fetchone()[0]


def ended_windows_delete(*, now: datetime) -> int:
    """Delete the database counters of windows that ended; return how many.

    Run by the nightly cleanup job (jobs.tasks): an ended window's row is
    never read again, so the request path never deletes.
    """
    return RateCounter.objects.filter(expires_at__lt=now).delete()[0]
