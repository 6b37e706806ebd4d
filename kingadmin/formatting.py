"""Turning model values into the text a list or a history entry shows.

A model field with a ``mask(value)`` method holds personal data (an ID
number): its value is shown and exported masked, everywhere these functions
are used; an admin shows it whole only where it decides to (``may_unmask``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

EMPTY = "—"


def display_for_value(value, *, boolean: bool = False, tz=None):
    """Return ``value`` formatted for display (escaped later by the template).

    An aware datetime shows in ``tz``, by default the current time zone (a
    list passes it once for all its cells).
    """
    if boolean or isinstance(value, bool):
        if value is None:
            return EMPTY
        icon, label = (
            ("check-circle-fill text-success", _("Yes"))
            if value
            else (
                "x-circle text-body-secondary",
                _("No"),
            )
        )
        return format_html(
            '<i class="bi bi-{}" role="img" aria-label="{}"></i>', icon, label
        )
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime.datetime):
        if value.utcoffset() is not None:  # aware
            value = value.astimezone(tz or timezone.get_current_timezone())
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return formats.number_format(value, use_l10n=False)
    return value


def display_for_field(obj: models.Model, field: models.Field, *, tz=None):
    """Return the display value of ``field`` on ``obj`` (choices as labels)."""
    if field.many_to_many:
        return ", ".join(str(o) for o in getattr(obj, field.name).all()) or EMPTY
    if field.choices:
        value = getattr(obj, field.attname)
        if value in (None, ""):
            return EMPTY
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return getattr(obj, field.name) or EMPTY
    if is_masked(field):
        return field.mask(getattr(obj, field.attname)) or EMPTY
    return display_for_value(
        getattr(obj, field.attname),
        boolean=isinstance(field, models.BooleanField),
        tz=tz,
    )


def text_for_field(obj: models.Model, field: models.Field) -> str:
    """Return the plain-text value of ``field`` on ``obj`` (history, export)."""
    if field.many_to_many:
        return ", ".join(sorted(str(o) for o in getattr(obj, field.name).all()))
    value = getattr(obj, field.attname)
    if field.choices and value not in (None, ""):
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        related = getattr(obj, field.name)
        return "" if related is None else str(related)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if value is None:
        return ""
    if is_masked(field):
        return field.mask(value)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return str(value)


def is_masked(field) -> bool:
    """Return True if ``field`` holds personal data shown masked (has ``mask``)."""
    return callable(getattr(field, "mask", None))
