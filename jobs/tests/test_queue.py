"""The queue: retries with backoff, lost workers, the jobs list and its retry."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import Notification
from jobs.models import WorkerBeat
from jobs.registry import Retry
from jobs.tests import sample_jobs
from jobs.tests.conftest import make_worker
from jobs.worker import lost_after, recover_lost_jobs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def someone():
    return UserFactory(username="someone")


def test_backoff_doubles_up_to_the_cap():
    policy = Retry(attempts=8, first_delay=timedelta(seconds=30))
    delays = [policy.delay(n).total_seconds() for n in range(1, 9)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_a_job_waits_in_the_queue_until_a_worker_runs_it(someone, run_worker):
    result = sample_jobs.once.enqueue(note="hello")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY
    assert not Notification.objects.exists()
    run_worker()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "hello"
    assert Notification.objects.get().text == "hello"


def test_a_failing_job_is_retried_later_and_succeeds_once(someone, run_worker):
    sample_jobs.FAILURES_LEFT["flaky"] = 1
    result = sample_jobs.flaky.enqueue(note="at last")
    before = timezone.now()
    run_worker()
    row = DBTaskResult.objects.get(pk=result.id)
    # Failed once: queued again a minute later, the error kept for the list.
    assert row.status == TaskResultStatus.READY
    assert row.worker_ids == ["worker-1"]
    assert "the far side is down" in row.traceback
    assert timedelta(seconds=59) <= row.run_after - before <= timedelta(seconds=62)
    run_worker()  # not due yet: nothing runs
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
    DBTaskResult.objects.filter(pk=result.id).update(run_after=timezone.now())
    run_worker("worker-2")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids == ["worker-1", "worker-2"]
    assert list(Notification.objects.values_list("text", flat=True)) == ["at last"]


def test_a_job_failing_every_attempt_ends_failed_with_its_error(someone, run_worker):
    sample_jobs.FAILURES_LEFT["flaky"] = 10
    result = sample_jobs.flaky.enqueue(note="never")
    for attempt in range(3):
        DBTaskResult.objects.filter(pk=result.id).update(run_after=timezone.now())
        run_worker(f"worker-{attempt}")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.FAILED and len(row.worker_ids) == 3
    assert row.exception_class_path == "builtins.ConnectionError"
    assert not Notification.objects.exists()
    sample_jobs.FAILURES_LEFT["flaky"] = 0


def _running(job, *, worker_id: str, started: timedelta):
    result = job.enqueue(note="interrupted")
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started,
        worker_ids=[worker_id],
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_a_job_whose_worker_died_is_queued_again(someone, queue):
    now = timezone.now()
    WorkerBeat.objects.create(
        worker_id="dead",
        host="h",
        pid=1,
        started_at=now,
        seen_at=now - lost_after() * 2,
    )
    lost = _running(sample_jobs.flaky, worker_id="dead", started=lost_after() * 2)
    assert recover_lost_jobs() == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.READY and lost.run_after <= timezone.now()
    assert "stopped before it finished (attempt 1 of 3)" in lost.traceback


def test_a_lost_job_without_retries_is_marked_failed_not_forgotten(someone, queue):
    lost = _running(sample_jobs.once, worker_id="gone", started=lost_after() * 2)
    assert recover_lost_jobs() == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == "jobs.worker.WorkerLost"


def test_a_job_of_a_live_worker_or_just_started_is_left_alone(someone, queue):
    now = timezone.now()
    WorkerBeat.objects.create(
        worker_id="alive", host="h", pid=1, started_at=now, seen_at=now
    )
    busy = _running(sample_jobs.once, worker_id="alive", started=lost_after() * 10)
    fresh = _running(sample_jobs.once, worker_id="unknown", started=timedelta(0))
    assert recover_lost_jobs() == 0
    assert {
        DBTaskResult.objects.get(pk=busy.pk).status,
        DBTaskResult.objects.get(pk=fresh.pk).status,
    } == {TaskResultStatus.RUNNING}


def test_the_jobs_list_shows_a_failed_job_and_retries_it(admin_client, run_worker):
    sample_jobs.FAILURES_LEFT["flaky"] = 10
    result = sample_jobs.flaky.enqueue(note="x")
    DBTaskResult.objects.filter(pk=result.id).update(
        worker_ids=["a", "b"], run_after=timezone.now()
    )
    run_worker()  # third and last attempt
    sample_jobs.FAILURES_LEFT["flaky"] = 0
    page = admin_client.get("/kingadmin/django_tasks_database/dbtaskresult/")
    text = page.content.decode()
    assert listed(admin_client) == [("flaky", "failed")]
    assert '<td data-column="attempts">3 / 3</td>' in text
    assert "ConnectionError: the far side is down" in text
    response = admin_client.post(
        "/kingadmin/django_tasks_database/dbtaskresult/",
        {"action": "retry", "_selected_action": [str(result.id)]},
    )
    assert response.status_code == 302
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY
    run_worker()
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL


def listed(client, **query) -> list[tuple[str, str]]:
    """Return the (job, state) of each row of the jobs list."""
    page = client.get("/kingadmin/django_tasks_database/dbtaskresult/", query)
    assert page.status_code == 200
    return re.findall(
        r'data-column="job"><a [^>]*>([^<]*)</a></td><td data-column="state">([^<]*)<',
        page.content.decode(),
    )


def test_the_jobs_list_filters_by_job_and_state(admin_client, someone, run_worker):
    sample_jobs.once.enqueue(note="done one")
    run_worker()
    sample_jobs.flaky.enqueue(note="waiting")
    assert listed(admin_client) == [("flaky", "queued"), ("once", "done")]
    assert listed(admin_client, status="READY") == [("flaky", "queued")]
    path = "jobs.tests.sample_jobs.once"
    assert listed(admin_client, job=path) == [("once", "done")]
    # An unknown job name filters nothing out (and never reaches .filter()).
    assert len(listed(admin_client, job="os.system")) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_one_job_twice(queue):
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections")
    UserFactory(username="someone")
    ids = {str(sample_jobs.once.enqueue(note=f"job {n}").id) for n in range(40)}
    barrier = threading.Barrier(2)

    def work(worker_id):
        try:
            barrier.wait()
            make_worker(worker_id).run()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = DBTaskResult.objects.filter(pk__in=ids)
    assert {row.status for row in rows} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(row.worker_ids) == 1 for row in rows)
    notes = sorted(Notification.objects.values_list("text", flat=True))
    assert notes == sorted(f"job {n}" for n in range(40))


def test_the_retry_policy_of_a_job_not_imported_yet_is_found(monkeypatch):
    import sys

    from jobs.registry import _RETRIES, retry_policy

    path = "jobs.tests.sample_jobs.slow"
    # As in a worker that never imported the module: neither it nor its policy.
    monkeypatch.delitem(_RETRIES, path)
    monkeypatch.delitem(sys.modules, "jobs.tests.sample_jobs")
    assert retry_policy(path).attempts == 2
    assert retry_policy("no.such.module.job").attempts == 1
