"""The queue's tests use the database backend and a worker in the test process."""

import pytest

from jobs.worker import Worker

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queue(settings):
    """Jobs go to the database queue, as in production."""
    settings.TASKS = DATABASE_BACKEND


def make_worker(worker_id: str = "worker-1") -> Worker:
    worker = Worker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
    )
    worker.keeps_house = False
    return worker


@pytest.fixture
def run_worker(queue, monkeypatch):
    """Run what is due in the queue now, then return (a batch worker).

    The worker's loop closes connections left outside autocommit, as it
    should between jobs; here that is the test's own transaction, kept.
    """
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run(worker_id: str = "worker-1") -> None:
        make_worker(worker_id).run()

    return run
