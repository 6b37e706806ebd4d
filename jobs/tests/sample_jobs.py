"""Jobs the queue's tests enqueue (importable by path, as the worker needs)."""

import time

from accounts.models import Notification, User
from jobs.registry import job

FAILURES_LEFT = {"flaky": 0}


@job(attempts=3, first_delay=60)
def flaky(*, note: str) -> str:
    """Fail while FAILURES_LEFT says so, then notify the first user."""
    if FAILURES_LEFT["flaky"] > 0:
        FAILURES_LEFT["flaky"] -= 1
        raise ConnectionError("the far side is down")
    first = User.objects.order_by("pk").first()
    Notification.objects.create(recipient=first, text=note)
    return note


@job()
def once(*, note: str) -> str:
    """Record one run (a notification of the first user) and return ``note``."""
    first = User.objects.order_by("pk").first()
    Notification.objects.create(recipient=first, text=note)
    return note


@job(attempts=2)
def slow(*, seconds: float, note: str) -> str:
    """Take ``seconds`` (long enough to kill its worker), then record ``note``."""
    time.sleep(seconds)
    first = User.objects.order_by("pk").first()
    Notification.objects.create(recipient=first, text=note)
    return note
