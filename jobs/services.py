"""Writes on jobs made by people (the jobs list's actions)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def job_retry(*, result: DBTaskResult) -> bool:
    """Queue a failed job once more, now; return False if it is not failed.

    The attempt counts on (the job's own retries are spent); its last error
    stays shown until the new attempt ends.
    """
    return bool(
        DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.FAILED
        ).update(
            status=TaskResultStatus.READY, run_after=timezone.now(), finished_at=None
        )
    )
