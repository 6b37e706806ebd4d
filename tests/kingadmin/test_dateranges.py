from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise

from accounts.models import User
from crm.models import Customer
from kingadmin.dateranges import Preset, date_range_q, parse_date, preset_dates
from tests.factories import CustomerFactory

CREATED_AT = Customer._meta.get_field("created_at")
BIRTHDAY = Customer._meta.get_field("birthday")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def names(q: Q) -> set[str]:
    return set(Customer.objects.filter(q).values_list("name", flat=True))


# preset_dates


@pytest.mark.parametrize(
    ("preset", "today", "first"),
    [
        (Preset.TODAY, "2026-03-15", "2026-03-15"),
        (Preset.TODAY, "2028-02-29", "2028-02-29"),
        (Preset.LAST_7_DAYS, "2026-03-15", "2026-03-09"),
        (Preset.LAST_7_DAYS, "2026-01-01", "2025-12-26"),
        (Preset.LAST_7_DAYS, "2026-03-01", "2026-02-23"),
        (Preset.LAST_7_DAYS, "2028-03-01", "2028-02-24"),
        (Preset.LAST_7_DAYS, "2026-12-31", "2026-12-25"),
        (Preset.THIS_MONTH, "2026-03-15", "2026-03-01"),
        (Preset.THIS_MONTH, "2026-03-01", "2026-03-01"),
        (Preset.THIS_MONTH, "2026-12-31", "2026-12-01"),
        (Preset.THIS_MONTH, "2028-02-29", "2028-02-01"),
        (Preset.LAST_3_MONTHS, "2026-03-15", "2026-01-01"),
        (Preset.LAST_3_MONTHS, "2026-03-01", "2026-01-01"),
        (Preset.LAST_3_MONTHS, "2026-01-01", "2025-11-01"),
        (Preset.LAST_3_MONTHS, "2026-02-28", "2025-12-01"),
        (Preset.LAST_3_MONTHS, "2026-12-31", "2026-10-01"),
        (Preset.LAST_3_MONTHS, "2028-02-29", "2027-12-01"),
        (Preset.LAST_3_MONTHS, "2028-04-30", "2028-02-01"),
        (Preset.THIS_YEAR, "2026-03-15", "2026-01-01"),
        (Preset.THIS_YEAR, "2026-01-01", "2026-01-01"),
        (Preset.THIS_YEAR, "2026-12-31", "2026-01-01"),
        (Preset.THIS_YEAR, "2028-02-29", "2028-01-01"),
    ],
)
def test_preset_dates_run_from_the_first_day_of_the_preset_to_today(
    preset, today, first
):
    today = date.fromisoformat(today)
    assert preset_dates(preset, today=today) == (date.fromisoformat(first), today)


def test_preset_dates_accepts_the_raw_query_string_values():
    today = date(2026, 3, 15)
    assert preset_dates("7d", today=today) == (date(2026, 3, 9), today)
    assert preset_dates("3m", today=today) == (date(2026, 1, 1), today)


@pytest.mark.parametrize("preset", ["", "yesterday", "7D", "TODAY", " today", None])
def test_preset_dates_refuses_an_unknown_preset(preset):
    with pytest.raises(ValueError, match="Unknown date range preset"):
        preset_dates(preset, today=date(2026, 3, 15))


def test_preset_values_are_stable_and_labels_translatable():
    assert all(isinstance(label, Promise) for _, label in Preset.choices)
    with translation.override("en"):
        assert dict(Preset.choices)["7d"] == "Last 7 days"
    assert [value for value, _ in Preset.choices] == [
        "today",
        "7d",
        "month",
        "3m",
        "year",
    ]


# date_range_q on a DateTimeField, in the site's time zone (Asia/Shanghai)


@pytest.fixture
def around_march_15(db):
    """Customers created just around 2026-03-15 in Shanghai (UTC+8)."""
    for name, created_at in [
        ("before", utc(2026, 3, 14, 15, 59, 59)),
        ("first", utc(2026, 3, 14, 16, 0, 0)),
        ("last", utc(2026, 3, 15, 15, 59, 59, 999999)),
        ("after", utc(2026, 3, 15, 16, 0, 0)),
    ]:
        CustomerFactory(name=name, created_at=created_at)


def test_datetime_range_keeps_exactly_the_local_day(around_march_15):
    day = date(2026, 3, 15)
    assert names(date_range_q(CREATED_AT, day, day)) == {"first", "last"}


def test_datetime_range_spans_several_local_days(around_march_15):
    q = date_range_q(CREATED_AT, date(2026, 3, 14), date(2026, 3, 16))
    assert names(q) == {"before", "first", "last", "after"}


def test_datetime_range_open_at_the_end_keeps_everything_from_local_midnight(
    around_march_15,
):
    q = date_range_q(CREATED_AT, date(2026, 3, 15), None)
    assert names(q) == {"first", "last", "after"}


def test_datetime_range_open_at_the_start_keeps_everything_to_local_midnight(
    around_march_15,
):
    q = date_range_q(CREATED_AT, None, date(2026, 3, 15))
    assert names(q) == {"before", "first", "last"}


def test_datetime_range_without_bounds_filters_nothing(around_march_15):
    q = date_range_q(CREATED_AT, None, None)
    assert q == Q()
    assert names(q) == {"before", "first", "last", "after"}


def test_datetime_range_with_until_before_since_is_empty(around_march_15):
    q = date_range_q(CREATED_AT, date(2026, 3, 16), date(2026, 3, 15))
    assert names(q) == set()


def test_datetime_range_follows_the_active_time_zone(around_march_15):
    day = date(2026, 3, 14)
    with timezone.override("UTC"):
        assert names(date_range_q(CREATED_AT, day, day)) == {"before", "first"}


def test_datetime_range_compares_the_column_without_a_per_row_date_cast(
    around_march_15, django_assert_num_queries
):
    day = date(2026, 3, 15)
    with django_assert_num_queries(2) as captured:
        list(Customer.objects.filter(date_range_q(CREATED_AT, day, day)))
        # What the check must catch: the __date lookup casts every row.
        list(Customer.objects.filter(created_at__date=day))
    ours, cast = (query["sql"] for query in captured.captured_queries)
    assert _casts_to_date(cast)
    assert not _casts_to_date(ours)
    assert not _casts_to_date(
        str(Customer.objects.filter(date_range_q(CREATED_AT, day, day)).query)
    )


def _casts_to_date(sql: str) -> bool:
    sql = sql.lower()
    return any(
        marker in sql
        for marker in ("django_datetime_cast_date", "at time zone", "::date")
    )


def test_datetime_range_can_filter_through_a_relation(db):
    CustomerFactory(name="in", created_at=utc(2026, 3, 14, 16))
    CustomerFactory(name="out", created_at=utc(2026, 3, 14, 15, 59))
    day = date(2026, 3, 15)
    q = date_range_q(CREATED_AT, day, day, field_path="customers__created_at")
    assert [user.customers.get().name for user in User.objects.filter(q)] == ["in"]


def test_datetime_range_at_the_edges_of_the_calendar_does_not_overflow(db):
    CustomerFactory(name="now")
    # 0001-01-01 00:00 in Shanghai is still year 0 in UTC.
    assert names(date_range_q(CREATED_AT, date.min, date.max)) == {"now"}
    assert names(date_range_q(CREATED_AT, parse_date("0001-01-01"), None)) == {"now"}
    assert names(date_range_q(CREATED_AT, None, parse_date("9999-12-31"))) == {"now"}
    assert names(date_range_q(CREATED_AT, date.max, None, tz=NEW_YORK)) == set()
    assert names(date_range_q(CREATED_AT, None, date.min, tz=NEW_YORK)) == set()


# date_range_q in time zones with daylight saving time


@pytest.mark.parametrize(
    ("day", "first_instant", "next_day_instant"),
    [
        # Clocks go forward at 02:00: a 23-hour day.
        (date(2026, 3, 8), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),
        # Clocks go back at 02:00: a 25-hour day.
        (date(2026, 11, 1), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
    ],
)
def test_datetime_range_days_start_at_local_midnight_across_dst(
    db, day, first_instant, next_day_instant
):
    one_second = timedelta(seconds=1)
    for name, created_at in [
        ("before", first_instant - one_second),
        ("first", first_instant),
        ("last", next_day_instant - one_second),
        ("after", next_day_instant),
    ]:
        CustomerFactory(name=name, created_at=created_at)
    assert names(date_range_q(CREATED_AT, day, day, tz=NEW_YORK)) == {"first", "last"}


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        (SHANGHAI, date(2026, 3, 15)),
        (NEW_YORK, date(2026, 3, 8)),
        (NEW_YORK, date(2026, 3, 9)),
        (NEW_YORK, date(2026, 11, 1)),
        (NEW_YORK, date(2026, 11, 2)),
        # Chile moves its clocks at midnight: 00:00 does not exist on the
        # first day, and the last hour of the day before is repeated.
        (SANTIAGO, date(2026, 9, 6)),
        (SANTIAGO, date(2026, 4, 5)),
    ],
)
def test_datetime_range_bounds_are_the_first_instants_of_the_local_days(tz, day):
    q = date_range_q(CREATED_AT, day, day, tz=tz)
    bounds = dict(q.children)
    for bound, first_day in [
        (bounds["created_at__gte"], day),
        (bounds["created_at__lt"], day + timedelta(days=1)),
    ]:
        assert bound.astimezone(tz).date() == first_day
        before = bound - timedelta(microseconds=1)
        assert before.astimezone(tz).date() == first_day - timedelta(days=1)


def test_datetime_range_without_time_zone_support_uses_naive_midnights(settings):
    settings.USE_TZ = False
    q = date_range_q(CREATED_AT, date(2026, 3, 15), date(2026, 3, 15))
    assert dict(q.children) == {
        "created_at__gte": datetime(2026, 3, 15),
        "created_at__lt": datetime(2026, 3, 16),
    }


# date_range_q on a DateField


@pytest.fixture
def birthdays(db):
    for name, birthday in [
        ("none", None),
        ("13th", date(2000, 3, 13)),
        ("14th", date(2000, 3, 14)),
        ("15th", date(2000, 3, 15)),
        ("16th", date(2000, 3, 16)),
    ]:
        CustomerFactory(name=name, birthday=birthday)


def test_date_range_includes_both_ends(birthdays):
    q = date_range_q(BIRTHDAY, date(2000, 3, 14), date(2000, 3, 15))
    assert names(q) == {"14th", "15th"}
    day = date(2000, 3, 15)
    assert names(date_range_q(BIRTHDAY, day, day)) == {"15th"}


def test_date_range_open_at_either_end(birthdays):
    assert names(date_range_q(BIRTHDAY, date(2000, 3, 15), None)) == {"15th", "16th"}
    assert names(date_range_q(BIRTHDAY, None, date(2000, 3, 14))) == {"13th", "14th"}


def test_date_range_without_bounds_keeps_rows_without_a_date(birthdays):
    q = date_range_q(BIRTHDAY, None, None)
    assert names(q) == {"none", "13th", "14th", "15th", "16th"}


def test_date_range_ignores_the_time_zone(birthdays):
    day = date(2000, 3, 15)
    assert names(date_range_q(BIRTHDAY, day, day, tz=NEW_YORK)) == {"15th"}


def test_date_range_refuses_a_field_that_is_not_a_date():
    with pytest.raises(TypeError, match="'name' is not a DateField"):
        date_range_q(Customer._meta.get_field("name"), date(2026, 3, 15), None)


# parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-15", date(2026, 3, 15)),
        (" 2026-03-15 ", date(2026, 3, 15)),
        ("\t2026-03-15\n", date(2026, 3, 15)),
        ("2028-02-29", date(2028, 2, 29)),
        ("0001-01-01", date(1, 1, 1)),
        ("9999-12-31", date(9999, 12, 31)),
    ],
)
def test_parse_date_reads_an_iso_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "abc",
        "2026-02-30",
        "2027-02-29",
        "2026-13-01",
        "2026-00-10",
        "0000-01-01",
        "99999-01-01",
        "-2026-03-15",
        "+2026-03-15",
        "2026-3-15",
        "20260315",
        "2026-W11-7",
        "2026-03-15T00:00",
        "2026-03-15 12:00",
        "2026-03-15\x00",
        "\x002026-03-15",
        "２０２６-０３-１５",
        "2026-03-15" * 1000,
        "9" * 10_000,
        None,
    ],
)
def test_parse_date_returns_none_for_anything_else(value):
    assert parse_date(value) is None
