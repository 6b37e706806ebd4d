"""A mail server outage: the action commits, the mail waits and arrives once.

A real SMTP server (aiosmtpd) on loopback; Django's SMTP backend; the
database queue and a worker, as in production.
"""

import socket

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm.models import Enrollment
from crm.tests.test_enrollment import link, reviewer, sales, submitted  # noqa: F401

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """The SMTP settings of a server on loopback that is down until started."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    yield server, inbox
    if getattr(server, "_thread", None) is not None:
        server.stop()


def test_the_approval_commits_while_the_mail_server_is_down(
    link,  # noqa: F811
    reviewer,  # noqa: F811
    smtp,
    run_worker,
):
    server, inbox = smtp
    enrollment = submitted(link)
    client = Client()
    client.force_login(reviewer)
    response = client.post(
        f"/crm/enrollments/{enrollment.pk}/approve/",
        {"payment_kind": "deposit", "payment_amount": "2000"},
    )
    assert response.status_code == 302
    assert Enrollment.objects.get().state == "approved"
    mail_job = DBTaskResult.objects.get(task_path="jobs.tasks.send_email")
    assert mail_job.args_kwargs["kwargs"]["to"] == ["lilei@example.com"]

    run_worker()  # the server is down: the attempt fails, the job waits
    mail_job.refresh_from_db()
    assert mail_job.status == TaskResultStatus.READY
    assert "ConnectionRefusedError" in mail_job.traceback
    assert mail_job.run_after > timezone.now()
    assert inbox.messages == []

    server.start()  # the server is back; the retry comes due
    DBTaskResult.objects.filter(pk=mail_job.pk).update(run_after=timezone.now())
    run_worker()
    run_worker()
    mail_job.refresh_from_db()
    assert mail_job.status == TaskResultStatus.SUCCESSFUL
    assert len(mail_job.worker_ids) == 2
    [message] = inbox.messages
    assert message.rcpt_tos == ["lilei@example.com"]
    assert "Python full-stack S9" in message.content.decode()


def test_a_sent_mail_job_keeps_no_body_and_the_list_never_shows_it(
    smtp, run_worker, admin_client
):
    from jobs.tasks import send_email

    server, inbox = smtp
    server.start()
    result = send_email.enqueue(
        subject="Set your password", body="https://x/reset/SECRET/", to=["a@b.cn"]
    )
    page = f"/kingadmin/django_tasks_database/dbtaskresult/{result.id}/change/"
    assert "SECRET" not in admin_client.get(page).content.decode()  # queued
    run_worker()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.args_kwargs == {"args": [], "kwargs": {}}
    [message] = inbox.messages
    assert b"SECRET" in message.content
    assert "SECRET" not in admin_client.get(page).content.decode()
