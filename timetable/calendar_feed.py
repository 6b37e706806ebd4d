"""The personal calendar feed: a user's sessions as iCalendar (RFC 5545).

Phone and desktop calendars subscribe to a secret URL (``timetable:feed``);
whoever holds it reads the user's timetable, so only its SHA-256 is stored
and the user can renew or turn it off. The feed holds the sessions from 30
days back to 180 days ahead; cancelled ones stay in it as CANCELLED, so a
subscribed calendar drops them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from icalendar import Calendar, Event

from accounts.models import User
from timetable import selectors

PAST = timedelta(days=30)
AHEAD = timedelta(days=180)


def token_hash(token: str) -> str:
    """Return the stored form of a feed secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_of(user: User) -> Calendar:
    """Return ``user``'s timetable as an iCalendar calendar."""
    now = timezone.now()
    sessions = selectors.my_sessions(user).filter(
        starts_at__gte=now - PAST, starts_at__lt=now + AHEAD
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Training School CRM//Timetable//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Timetable of %(user)s") % {"user": user})
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for session in sessions:
        event = Event()
        event.add("uid", f"session-{session.pk}@training-school-crm")
        event.add("dtstamp", session.updated_at)
        event.add("last-modified", session.updated_at)
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        summary = str(session.class_list)
        if session.number:
            summary = _("%(class)s · lesson %(number)s") % {
                "class": summary,
                "number": session.number,
            }
        event.add("summary", summary)
        if session.room_id:
            event.add("location", f"{session.class_list.branch} {session.room}")
        details = [_("Teacher: %(teacher)s") % {"teacher": session.teacher}]
        if session.topic:
            details.append(session.topic)
        if session.is_cancelled:
            details.append(session.cancel_reason)
        event.add("description", "\n".join(details))
        event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar


def response(user: User) -> HttpResponse:
    """Return the feed of ``user`` (in the school's language)."""
    with override(settings.LANGUAGE_CODE):
        body = calendar_of(user).to_ical()
    reply = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    reply["Content-Disposition"] = 'inline; filename="timetable.ics"'
    reply["Cache-Control"] = "private, max-age=300"
    return reply
