"""The queue's own bookkeeping, next to django_tasks_db's task rows.

A task row (``django_tasks_db.DBTaskResult``) is the job itself: its status,
attempts (``worker_ids``), last error and result. These two tables add what
the backend leaves out: which workers are alive (so that a job whose worker
died is found again) and which periodic due times were already started (so
that each runs once however many workers run).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerBeat(models.Model):
    """A running worker: it writes ``seen_at`` every few seconds while alive."""

    worker_id = models.CharField(_("worker id"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen at"), db_index=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} ({self.worker_id})"


class PeriodicRun(models.Model):
    """One due time of one periodic job, claimed by the worker that started it.

    The unique pair (name, due_at) is what makes a due time run once: every
    worker tries to insert it, one insert wins and enqueues the job in the
    same transaction.
    """

    name = models.CharField(_("name"), max_length=100)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    task_id = models.CharField(_("task id"), max_length=64)
    worker_id = models.CharField(_("worker id"), max_length=64)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "due_at"], name="jobs_periodic_run_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.due_at:%Y-%m-%d %H:%M}"
