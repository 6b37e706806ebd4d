"""Fixed-window counters (crm.ratelimit): in the database, or in another cache."""

from unittest import mock

import pytest
from django.core.cache import cache

from crm import ratelimit
from crm.models import RateCounter

pytestmark = pytest.mark.django_db


class Clock:
    """Stands in for the ``time`` module of crm.ratelimit."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock():
    fake = Clock(1_800_000_000.0)
    with mock.patch("crm.ratelimit.time", fake):
        yield fake


@pytest.fixture(params=["database", "locmem"])
def backend(request, settings):
    if request.param == "locmem":
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        }
    cache.clear()
    yield request.param
    cache.clear()


def test_events_are_counted_per_key_and_per_window(backend, clock):
    assert [ratelimit.record("a", window=60) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.record("b", window=60) == 1
    assert ratelimit.count("a", window=60) == 3
    assert ratelimit.too_many("a", limit=3, window=60)  # the 4th
    clock.now += 60
    assert ratelimit.count("a", window=60) == 0
    assert not ratelimit.too_many("a", limit=3, window=60)
    assert RateCounter.objects.exists() == (backend == "database")


def test_one_query_counts_an_event_in_the_database(clock, django_assert_num_queries):
    ratelimit.record("a", window=60)
    with django_assert_num_queries(1):
        assert ratelimit.record("a", window=60) == 2


def test_counters_of_ended_windows_are_deleted_by_the_nightly_cleanup(clock):
    from datetime import UTC, datetime

    ratelimit.record("old", window=60)
    clock.now += 3600
    ratelimit.record("new", window=60)
    now = datetime.fromtimestamp(clock.now, tz=UTC)
    assert ratelimit.ended_windows_delete(now=now) == 1
    assert list(RateCounter.objects.values_list("hits", flat=True)) == [1]
    assert ratelimit.count("old", window=60) == 0
