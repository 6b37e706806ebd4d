"""Periodic jobs: due times, once per due time however many workers ask."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from jobs.models import PeriodicRun
from jobs.registry import PERIODIC, Daily, Every
from jobs.worker import start_due_periodic_jobs

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC


def at(*args, tz=UTC):
    return datetime.datetime(*args, tzinfo=tz)


def test_every_is_due_on_the_multiples_of_its_minutes():
    hourly = Every(minutes=60)
    assert hourly.last_due(at(2026, 12, 3, 14, 59, 59)) == at(2026, 12, 3, 14)
    assert hourly.last_due(at(2026, 12, 3, 15)) == at(2026, 12, 3, 15)
    quarter = Every(minutes=15)
    assert quarter.last_due(at(2026, 12, 3, 14, 44)) == at(2026, 12, 3, 14, 30)


def test_daily_is_due_at_its_local_time_today_or_else_yesterday():
    nightly = Daily(datetime.time(3, 0))
    # 02:00 in Shanghai is 18:00 UTC the day before: not yet today's 03:00.
    assert nightly.last_due(at(2026, 12, 3, 2, tz=SHANGHAI)) == at(
        2026, 12, 2, 3, tz=SHANGHAI
    )
    assert nightly.last_due(at(2026, 12, 3, 3, tz=SHANGHAI)) == at(
        2026, 12, 3, 3, tz=SHANGHAI
    )


def test_the_declared_periodic_jobs():
    assert {name: str(p.schedule) for name, p in PERIODIC.items()} == {
        "crm-pool-fallback": "every 60 min",
        "finance-overdue-reminders": "daily at 09:00",
        "nightly-cleanup": "daily at 03:00",
        "timetable-reminders": "daily at 18:00",
    }


@pytest.mark.django_db
def test_each_due_time_starts_once_however_many_workers_ask(queue):
    now = at(2026, 12, 3, 12, 5)
    assert sorted(start_due_periodic_jobs(worker_id="w1", now=now)) == sorted(PERIODIC)
    assert start_due_periodic_jobs(worker_id="w2", now=now) == []
    assert start_due_periodic_jobs(worker_id="w1", now=now) == []
    runs = PeriodicRun.objects.all()
    assert runs.count() == len(PERIODIC) and {r.worker_id for r in runs} == {"w1"}
    queued = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert queued == {r.task_id for r in runs}
    # The next hour: the pool fallback is due again, the nightly job is not.
    later = at(2026, 12, 3, 13, 0, 1)
    assert start_due_periodic_jobs(worker_id="w2", now=later) == ["crm-pool-fallback"]


@pytest.mark.django_db(transaction=True)
def test_racing_workers_start_a_due_time_once(queue):
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections")
    now = at(2026, 12, 3, 12, 5)
    barrier = threading.Barrier(6)
    started = []

    def worker(n):
        try:
            barrier.wait()
            started.extend(start_due_periodic_jobs(worker_id=f"w{n}", now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(started) == sorted(PERIODIC)
    assert PeriodicRun.objects.count() == len(PERIODIC)
    assert DBTaskResult.objects.count() == len(PERIODIC)
