"""The queue's own bookkeeping, next to django_tasks_db's task rows.

A task row (``django_tasks_db.DBTaskResult``) is the job itself: its status,
attempts (``worker_ids``), last error and result. These two tables add what
the backend leaves out: which workers are alive (so that a job whose worker
died is found again) and which periodic due times were already started (so
that each runs once however many workers run).
"""

import uuid

from django.conf import settings
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


def export_path(instance: "Export", filename: str) -> str:
    """Return a generated storage path (private, never served directly)."""
    suffix = ".xlsx" if instance.format == "xlsx" else ".csv"
    return f"private/exports/{instance.user_id}/{uuid.uuid4().hex}{suffix}"


class Export(models.Model):
    """A list exported in the background: who, which list, how far, the file.

    The list is the kingadmin list of ``model`` with ``query`` (its filters,
    search and sort), computed again in the job with the user's rules of
    that moment. The file is the user's alone.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    model = models.CharField(_("list"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    path = models.CharField(_("list address"), max_length=200)
    query = models.TextField(_("filters"), blank=True)
    format = models.CharField(_("format"), max_length=8)
    language = models.CharField(_("language"), max_length=16)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(
        _("file"), upload_to=export_path, max_length=255, blank=True
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["state", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.format}, {self.created_at:%Y-%m-%d %H:%M})"

    @property
    def percent(self) -> int:
        """Return how far the export is, 0-100."""
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_written * 100 // self.rows_total)
