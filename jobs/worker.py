"""The worker: django_tasks_db's worker plus retries, lost jobs and schedules.

``manage.py worker`` runs one. Many may run, on one machine or several, on
one queue in the database: a worker claims a job by locking its row
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's single writer
serialises the claims), so two workers never run one job.

Besides running jobs, each worker keeps a house thread that every
``BEAT_SECONDS``:

1. writes its heartbeat (jobs.models.WorkerBeat);
2. finds jobs left RUNNING by a worker not seen for JOBS_LOST_AFTER_SECONDS (killed,
   its machine gone): each is tried again if its retry policy allows, else
   marked failed with ``WorkerLost``; never silently gone;
3. starts the periodic jobs that are due (jobs.registry.PERIODIC), each due
   time once: the worker that inserts the (name, due time) row enqueues the
   job in the same transaction; the others' inserts fail on the unique pair.

A job that raises is marked failed by the library; if its ``@job(attempts=)``
allows another attempt, it goes back to the queue with ``run_after`` set by
the policy's backoff, its last error kept for the jobs list.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult

from jobs.models import PeriodicRun, WorkerBeat
from jobs.registry import PERIODIC, has_secret_arguments, retry_policy

logger = logging.getLogger(__name__)

BEAT_SECONDS = 5.0


def lost_after() -> datetime.timedelta:
    """Return how long a worker may go unseen before its jobs count as lost."""
    return datetime.timedelta(seconds=settings.JOBS_LOST_AFTER_SECONDS)


class WorkerLost(Exception):
    """The worker running the job stopped before the job finished."""


def requeue_or_fail(result: DBTaskResult, *, now: datetime.datetime) -> bool:
    """After a failed attempt: queue ``result`` again if its policy allows.

    Return True if it was queued again. The last error stays on the row.
    """
    policy = retry_policy(result.task_path)
    attempts = len(result.worker_ids)
    if attempts >= policy.attempts:
        return False
    DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=now + policy.delay(attempts),
        finished_at=None,
    )
    logger.warning(
        "Job %s (%s) failed attempt %d of %d; retrying.",
        result.pk,
        result.task_path,
        attempts,
        policy.attempts,
    )
    return True


def erase_arguments(result: DBTaskResult) -> None:
    """Forget the arguments of a finished job (a mail's body with its link)."""
    DBTaskResult.objects.filter(pk=result.pk).update(
        args_kwargs={"args": [], "kwargs": {}}
    )


def recover_lost_jobs(*, now: datetime.datetime | None = None) -> int:
    """Queue again (or fail) the jobs whose worker stopped; return how many."""
    now = now or timezone.now()
    stale = now - lost_after()
    alive = set(
        WorkerBeat.objects.filter(seen_at__gte=stale).values_list(
            "worker_id", flat=True
        )
    )
    recovered = 0
    for result in DBTaskResult.objects.running().filter(started_at__lt=stale):
        if result.worker_ids and result.worker_ids[-1] in alive:
            continue
        policy = retry_policy(result.task_path)
        error = WorkerLost(
            "The worker running this job stopped before it finished "
            f"(attempt {len(result.worker_ids)} of {policy.attempts})."
        )
        again = len(result.worker_ids) < policy.attempts
        changed = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        ).update(
            status=TaskResultStatus.READY if again else TaskResultStatus.FAILED,
            run_after=now if again else result.run_after,
            finished_at=None if again else now,
            exception_class_path=f"{__name__}.{WorkerLost.__qualname__}",
            traceback=str(error),
        )
        if changed:
            recovered += 1
            logger.warning("Job %s lost its worker: %s", result.pk, error)
    return recovered


def start_due_periodic_jobs(
    *, worker_id: str, now: datetime.datetime | None = None
) -> list[str]:
    """Enqueue each periodic job whose latest due time has not started yet.

    Return the names of the jobs this call started.
    """
    now = now or timezone.now()
    started = []
    for declared in PERIODIC.values():
        due = declared.schedule.last_due(now)
        if PeriodicRun.objects.filter(name=declared.name, due_at=due).exists():
            continue
        try:
            with transaction.atomic():
                run = PeriodicRun.objects.create(
                    name=declared.name, due_at=due, worker_id=worker_id
                )
                result = declared.task.enqueue()
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another worker started this due time
        started.append(declared.name)
    return started


class Worker(DatabaseWorker):
    """django_tasks_db's worker with a house thread and retries.

    ``keeps_house = False`` leaves the house work out (the tests call
    ``keep_house()`` themselves, in their own transaction).
    """

    keeps_house = True

    def run(self) -> None:
        now = timezone.now()
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": now,
                "seen_at": now,
            },
        )
        stop = threading.Event()
        house = threading.Thread(
            target=self._keep_house, args=(stop,), name="jobs-house", daemon=True
        )
        if self.keeps_house:
            house.start()
        try:
            super().run()
        finally:
            stop.set()
            if house.is_alive():
                house.join(timeout=BEAT_SECONDS * 2)
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        if db_task_result.status == TaskResultStatus.FAILED:
            requeue_or_fail(db_task_result, now=timezone.now())
        elif has_secret_arguments(db_task_result.task_path):
            erase_arguments(db_task_result)

    def _keep_house(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self.keep_house()
                except Exception:
                    logger.exception("The worker's house thread failed; going on.")
                stop.wait(min(BEAT_SECONDS, lost_after().total_seconds() / 3))
        finally:
            connection.close()

    def keep_house(self) -> None:
        """Beat, recover lost jobs, start due periodic jobs (the house thread)."""
        close_old_connections()
        now = timezone.now()
        WorkerBeat.objects.filter(worker_id=self.worker_id).update(seen_at=now)
        recover_lost_jobs(now=now)
        start_due_periodic_jobs(worker_id=self.worker_id, now=now)
