"""Timetable pages: my timetable, the campus timetable, their events, the feed.

The calendars are FullCalendar (static/vendor/fullcalendar) reading the
events of the shown span from a JSON endpoint; each endpoint reads through
the same selector or rule scope as its page. The personal feed is the one
page without a login: its secret URL is the credential.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from kingadmin.decorators import rule_required
from timetable import calendar_feed, selectors
from timetable.models import CalendarSettings, ClassSession, Room


def _settings_of(user: User) -> CalendarSettings:
    found = CalendarSettings.objects.filter(user=user).first()
    return found or CalendarSettings(user=user)


def _span(request: HttpRequest) -> tuple[datetime, datetime] | None:
    """Return the [start, end) FullCalendar asks for, or None if unreadable."""
    bounds = []
    for name in ("start", "end"):
        raw = request.GET.get(name, "")[:40]
        try:
            value = parse_datetime(raw) or parse_date(raw)
        except ValueError:
            value = None
        if value is None:
            return None
        bounds.append(value)
    start, end = (selectors.aware(value) for value in bounds)
    return (start, end) if start < end else None


def _events(request: HttpRequest, sessions: QuerySet[ClassSession]) -> JsonResponse:
    span = _span(request)
    if span is None:
        return JsonResponse(
            {"error": _("Give start and end as ISO dates, start before end.")},
            status=400,
        )
    events = []
    for session in selectors.between(sessions, *span):
        cancelled = session.is_cancelled
        title = str(session.class_list)
        if session.number:
            title = _("%(class)s · lesson %(number)s") % {
                "class": title,
                "number": session.number,
            }
        if session.room_id:
            title = f"{title} · {session.room}"
        if cancelled:
            title = _("Cancelled: %(title)s") % {"title": title}
        events.append(
            {
                "id": session.pk,
                "title": title,
                "start": timezone.localtime(session.starts_at).isoformat(),
                "end": timezone.localtime(session.ends_at).isoformat(),
                "classNames": ["session-cancelled"] if cancelled else [],
                "extendedProps": {
                    "room": str(session.room) if session.room_id else "",
                    "teacher": str(session.teacher),
                    "topic": session.topic,
                    "status": session.status,
                },
            }
        )
    return JsonResponse(events, safe=False)


# -- my timetable
@rule_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Show the user's own timetable, reminder setting and calendar feed."""
    return _mine_page(request)


def _mine_page(request: HttpRequest, *, new_feed_url: str = "") -> HttpResponse:
    upcoming = list(
        selectors.my_sessions(request.user).filter(
            starts_at__gte=timezone.now(), status=ClassSession.Status.SCHEDULED
        )[:5]
    )
    return render(
        request,
        "timetable/mine.html",
        {
            "events_url": reverse("timetable:mine_events"),
            "calendar_settings": _settings_of(request.user),
            "new_feed_url": new_feed_url,
            "upcoming": upcoming,
        },
    )


@rule_required
@require_GET
def mine_events(request: HttpRequest) -> JsonResponse:
    """Return the user's sessions in the asked span, as FullCalendar events."""
    return _events(request, selectors.my_sessions(request.user))


@rule_required
@require_POST
def settings(request: HttpRequest) -> HttpResponse:
    """Turn the evening reminders on or off."""
    chosen = _settings_of(request.user)
    chosen.reminders = request.POST.get("reminders") == "on"
    chosen.save()
    messages.success(
        request,
        _("Evening reminders are on.")
        if chosen.reminders
        else _("Evening reminders are off."),
    )
    return redirect("timetable:mine")


@rule_required
@require_POST
def feed_renew(request: HttpRequest) -> HttpResponse:
    """Make a new secret feed URL (the old one stops working); show it once."""
    token = secrets.token_urlsafe(32)
    chosen = _settings_of(request.user)
    chosen.feed_token_hash = calendar_feed.token_hash(token)
    chosen.feed_created_at = timezone.now()
    chosen.save()
    url = request.build_absolute_uri(reverse("timetable:feed", args=[token]))
    messages.success(request, _("Your calendar feed has a new address."))
    return _mine_page(request, new_feed_url=url)


@rule_required
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    """Stop the user's calendar feed."""
    chosen = _settings_of(request.user)
    if chosen.pk and chosen.feed_token_hash:
        chosen.feed_token_hash = None
        chosen.feed_created_at = None
        chosen.save()
        messages.success(request, _("Your calendar feed was turned off."))
    return redirect("timetable:mine")


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """Return the iCalendar feed of the user whose secret ``token`` this is."""
    chosen = (
        CalendarSettings.objects.select_related("user")
        .filter(feed_token_hash=calendar_feed.token_hash(token[:100]))
        .first()
    )
    if chosen is None or not chosen.user.is_active:
        return HttpResponse(status=404)
    return calendar_feed.response(chosen.user)


# -- the campus timetable
def _campus_sessions(request: HttpRequest) -> QuerySet[ClassSession]:
    return request.access.scope(request, selectors.all_sessions())


@rule_required
@require_GET
def campus(request: HttpRequest) -> HttpResponse:
    """Show the timetable of the campus (or campuses) the user may see."""
    visible = _campus_sessions(request)
    rooms = Room.objects.filter(
        branch_id__in=visible.values("class_list__branch_id")
    ).select_related("branch")
    teachers = User.objects.filter(pk__in=visible.values("teacher_id")).order_by(
        "display_name", "username"
    )
    return render(
        request,
        "timetable/campus.html",
        {
            "events_url": reverse("timetable:campus_events"),
            "rooms": rooms,
            "teachers": teachers,
            "room": request.GET.get("room", ""),
            "teacher": request.GET.get("teacher", ""),
        },
    )


@rule_required
@require_GET
def campus_events(request: HttpRequest) -> JsonResponse:
    """Return the campus sessions in the asked span, by room or teacher if asked."""
    sessions = _campus_sessions(request)
    unknown = {"room": _("Unknown room."), "teacher": _("Unknown teacher.")}
    for name, message in unknown.items():
        raw = request.GET.get(name, "")
        if raw:
            if not raw.isdigit() or len(raw) > 18:
                return JsonResponse({"error": message}, status=400)
            sessions = sessions.filter(**{f"{name}_id": int(raw)})
    return _events(request, sessions)
