"""Fixed-window request counting in the shared cache (holds across processes)."""

import hashlib

from django.core.cache import cache


def too_many(key: str, *, limit: int, window: int) -> bool:
    """Count a request for ``key``; True once over ``limit`` in ``window`` seconds."""
    name = "ratelimit:" + hashlib.sha256(key.encode()).hexdigest()
    if cache.add(name, 1, timeout=window):
        return False
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add() and incr()
        cache.add(name, 1, timeout=window)
        return False
    return count > limit
