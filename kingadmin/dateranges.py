"""Date range presets and the filters they turn into, in the site's time zone."""

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


class Preset(models.TextChoices):
    """The ready-made ranges of a date filter; a custom range is since/until."""

    TODAY = "today", _("Today")
    LAST_7_DAYS = "7d", _("Last 7 days")
    THIS_MONTH = "month", _("This month")
    LAST_3_MONTHS = "3m", _("Last 3 months")
    THIS_YEAR = "year", _("This year")


def preset_dates(preset: str, *, today: date) -> tuple[date, date]:
    """Return the inclusive first and last calendar day of preset, up to today.

    "Last 7 days" is today and the six days before it. "Last 3 months" is
    whole calendar months, this one and the two before: on 2026-03-15 it is
    2026-01-01..2026-03-15. Raise ValueError for an unknown preset.
    """
    match preset:
        case Preset.TODAY:
            first = today
        case Preset.LAST_7_DAYS:
            first = today - timedelta(days=6)
        case Preset.THIS_MONTH:
            first = today.replace(day=1)
        case Preset.LAST_3_MONTHS:
            year, month0 = divmod(today.year * 12 + today.month - 1 - 2, 12)
            first = date(year, month0 + 1, 1)
        case Preset.THIS_YEAR:
            first = today.replace(month=1, day=1)
        case _:
            raise ValueError(f"Unknown date range preset: {preset!r}")
    return first, today


def date_range_q(
    field: models.Field,
    since: date | None,
    until: date | None,
    *,
    field_path: str | None = None,
    tz: tzinfo | None = None,
) -> Q:
    """Return a Q keeping the rows whose field falls on the days since..until.

    Both days are included; either may be None for an open-ended range, and
    Q() when both are. field_path (default field.name) is what the Q filters,
    e.g. "customer__created_at" for a field of a related model.

    A DateTimeField is compared with the local midnights starting since and
    the day after until in tz (default: the current time zone), a half-open
    interval that can use an index on the column, rather than a per-row
    conversion to a local date.
    """
    path = field_path or field.name
    q = Q()
    if isinstance(field, models.DateTimeField):
        tz = tz or timezone.get_current_timezone()
        if since is not None:
            q &= Q(**{f"{path}__gte": local_midnight(since, tz)})
        if until is not None:
            q &= Q(**{f"{path}__lt": local_midnight(until, tz, days_later=1)})
    elif isinstance(field, models.DateField):
        if since is not None:
            q &= Q(**{f"{path}__gte": since})
        if until is not None:
            q &= Q(**{f"{path}__lte": until})
    else:
        raise TypeError(f"{path!r} is not a DateField or a DateTimeField.")
    return q


def local_midnight(
    day: date, tz: tzinfo | None = None, *, days_later: int = 0
) -> datetime:
    """Return the first instant of the day days_later after day, local to tz.

    tz defaults to the current time zone; naive when USE_TZ is off.
    """
    tz = tz or timezone.get_current_timezone()
    try:
        moment = datetime.combine(day + timedelta(days=days_later), time.min)
        if settings.USE_TZ:
            # fold=0: where midnight falls in a DST gap, this is the gap's start.
            moment = timezone.make_aware(moment, tz)
            moment.astimezone(UTC)  # What the database is sent; may overflow.
    except OverflowError:
        # Only 0001-01-01 east of UTC and the day after 9999-12-31 get here:
        # every storable instant is on the near side of such a bound, so the
        # edge of the calendar stands in for it.
        moment = datetime.min if day.year == 1 else datetime.max
        if settings.USE_TZ:
            moment = moment.replace(tzinfo=UTC)
    return moment


def parse_date(value: str | None) -> date | None:
    """Return the ISO date (YYYY-MM-DD) in value, None if it is not one.

    Surrounding whitespace is ignored; anything else, such as an impossible
    day or a year of more than four digits, gives None rather than an error.
    """
    if not isinstance(value, str):
        return None
    found = ISO_DATE_RE.fullmatch(value.strip())
    if found is None:
        return None
    try:
        return date(*map(int, found.groups()))
    except ValueError:
        return None
