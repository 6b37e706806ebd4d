"""The jobs of the jobs app: sending e-mail, and the nightly cleanup."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.models import PeriodicRun, WorkerBeat
from jobs.registry import Daily, job, periodic

logger = logging.getLogger(__name__)

# Finished jobs and periodic runs are kept this long for the jobs list.
KEEP_FINISHED = datetime.timedelta(days=30)


@job(attempts=8, first_delay=30, secret_arguments=True)
def send_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one e-mail; raise (and so be retried) when the mail server fails.

    Tried 8 times over about an hour (30 s, 1, 2, 4 ... minutes apart). The
    body may hold a password link: erased from the queue once sent.
    """
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


@periodic("nightly-cleanup", Daily(datetime.time(3, 0)))
@job()
def nightly_cleanup() -> dict:
    """Delete what has expired: sessions, jobs, rate counters, links, leftovers."""
    from crm.cleanup import expired_links_delete, upload_leftovers_delete
    from crm.ratelimit import ended_windows_delete
    from jobs.exports import expired_files_delete

    now = timezone.now()
    before = now - KEEP_FINISHED
    report = {
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "finished_jobs": DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lt=before,
        ).delete()[0],
        "periodic_runs": PeriodicRun.objects.filter(created_at__lt=before).delete()[0],
        "workers": WorkerBeat.objects.filter(
            seen_at__lt=now - datetime.timedelta(days=1)
        ).delete()[0],
        "rate_counters": ended_windows_delete(now=now),
        "enrollment_links": expired_links_delete(now=now),
        "export_files": expired_files_delete(now=now),
        "upload_leftovers": upload_leftovers_delete(now=now),
    }
    logger.info("Nightly cleanup: %s", report)
    return report
