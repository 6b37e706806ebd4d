"""Jobs as declared in code: the task decorator with a retry policy, and schedules.

A job is a task of Django's task framework (``@task``, ``.enqueue()``; the
``django_tasks`` backport on Django 5.2, ``django.tasks`` from Django 6: only
the import below changes). ``@job(attempts=N)`` adds what the framework
leaves to the worker: a job that raises is tried again, up to N attempts in
all, after a delay that doubles each time (``Retry``). Retries happen in the
worker (jobs/worker.py); the immediate backend of the tests runs a job once.

``@periodic(name, schedule)`` declares a job the workers start at each due
time of ``schedule`` (``Every`` so many minutes, or ``Daily`` at a local
time), once per due time however many workers run (jobs.models.PeriodicRun).
A due time missed while no worker ran is caught up once, not once per miss.

Apps declare their jobs in a ``tasks.py`` module, imported when Django starts.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

__all__ = ["PERIODIC", "Daily", "Every", "Periodic", "Retry", "job", "periodic"]


@dataclass(frozen=True)
class Retry:
    """How often a failing job is tried, and how long to wait in between."""

    attempts: int = 1
    first_delay: datetime.timedelta = datetime.timedelta(seconds=30)
    max_delay: datetime.timedelta = datetime.timedelta(hours=1)

    def delay(self, attempt: int) -> datetime.timedelta:
        """Return the wait after failed attempt number ``attempt`` (1, 2 ...)."""
        return min(self.first_delay * 2 ** (attempt - 1), self.max_delay)


_RETRIES: dict[str, Retry] = {}
_SECRET_ARGUMENTS: set[str] = set()


def job(
    *,
    attempts: int = 1,
    first_delay: int = 30,
    queue_name: str = "default",
    secret_arguments: bool = False,
):
    """Declare a job: a task tried up to ``attempts`` times, ``first_delay`` s apart.

    Arguments must be JSON values (ids, strings), never model instances: the
    job may run in another process, after the row changed. A job with
    ``secret_arguments`` (a mail holding a password link) has them erased
    once it succeeded, and the jobs list never shows them.
    """

    def declare(function):
        declared = task(queue_name=queue_name)(function)
        _RETRIES[declared.module_path] = Retry(
            attempts=attempts, first_delay=datetime.timedelta(seconds=first_delay)
        )
        if secret_arguments:
            _SECRET_ARGUMENTS.add(declared.module_path)
        return declared

    return declare


def declared_jobs() -> frozenset[str]:
    """Return the task paths of every job declared with ``@job``."""
    return frozenset(_RETRIES)


def _declare_if_new(task_path: str) -> None:
    """Import the job ``task_path`` if this process has not declared it yet.

    A job declared outside an app's ``tasks.py`` is only known once imported.
    """
    if task_path not in _RETRIES:
        with contextlib.suppress(ImportError):
            import_string(task_path)


def retry_policy(task_path: str) -> Retry:
    """Return the retry policy of the job stored as ``task_path`` (once, if unknown)."""
    _declare_if_new(task_path)
    return _RETRIES.get(task_path, Retry())


def has_secret_arguments(task_path: str) -> bool:
    """Return True if the job's arguments must be neither shown nor kept."""
    _declare_if_new(task_path)
    return task_path in _SECRET_ARGUMENTS


@dataclass(frozen=True)
class Every:
    """Due every ``minutes`` minutes, on the multiples of it since midnight UTC."""

    minutes: int

    def last_due(self, now: datetime.datetime) -> datetime.datetime:
        """Return the latest due time at or before ``now``."""
        step = self.minutes * 60
        epoch = int(now.timestamp())
        return datetime.datetime.fromtimestamp(epoch - epoch % step, tz=datetime.UTC)

    def __str__(self) -> str:
        return f"every {self.minutes} min"


@dataclass(frozen=True)
class Daily:
    """Due once a day at ``at``, local time (settings.TIME_ZONE)."""

    at: datetime.time

    def last_due(self, now: datetime.datetime) -> datetime.datetime:
        """Return the latest due time at or before ``now``."""
        today = timezone.localtime(now).date()
        for day in (today, today - datetime.timedelta(days=1)):
            due = timezone.make_aware(datetime.datetime.combine(day, self.at))
            if due <= now:
                return due
        raise AssertionError("unreachable: yesterday's time is always past")

    def __str__(self) -> str:
        return f"daily at {self.at:%H:%M}"


@dataclass(frozen=True)
class Periodic:
    """A job started at each due time of ``schedule``."""

    name: str
    schedule: Every | Daily
    task: object = field(compare=False)


PERIODIC: dict[str, Periodic] = {}


def periodic(name: str, schedule: Every | Daily):
    """Start the decorated job (declared with ``@job``) at each due time."""

    def declare(declared):
        if name in PERIODIC and PERIODIC[name].task.module_path != declared.module_path:
            raise ValueError(f"The periodic job {name!r} is declared twice.")
        PERIODIC[name] = Periodic(name=name, schedule=schedule, task=declared)
        return declared

    return declare
