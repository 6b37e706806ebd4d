"""Timetable pages: my timetable, the campus timetable, their events, the feed.

The calendars are FullCalendar (static/vendor/fullcalendar) reading the
events of the shown span from a JSON endpoint; each endpoint reads through
the same selector or rule scope as its page. The personal feed is the one
page without a login: its secret URL is the credential.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.models import User
from kingadmin.decorators import rule_required
from timetable import calendar_feed, selectors, services
from timetable.models import CalendarSettings, ClassSession, LeaveRequest, Room


def _settings_of(user: User) -> CalendarSettings:
    found = CalendarSettings.objects.filter(user=user).first()
    return found or CalendarSettings(user=user)


def _span(request: HttpRequest) -> tuple[datetime, datetime] | None:
    """Return the [start, end) FullCalendar asks for, or None if unreadable.

    The calendar shows the school's wall-clock times (it runs in "UTC" with
    times that carry no offset, static/js/timetable.js), so the bounds it
    sends are read as the school's local times whatever offset they carry.
    """
    bounds = []
    for name in ("start", "end"):
        raw = request.GET.get(name, "")[:40]
        try:
            value = parse_datetime(raw) or parse_date(raw)
        except ValueError:
            value = None
        if value is None:
            return None
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)
        bounds.append(value)
    start, end = (selectors.aware(value) for value in bounds)
    return (start, end) if start < end else None


def _wall_clock(moment: datetime) -> str:
    """Return ``moment`` as the school's local time, without an offset."""
    return timezone.localtime(moment).replace(tzinfo=None).isoformat()


def _events(
    request: HttpRequest,
    sessions: QuerySet[ClassSession],
    link: Callable[[selectors.CalendarRow], str] | None = None,
) -> JsonResponse:
    """Return the sessions in the asked span as events (``link``: their URLs)."""
    span = _span(request)
    if span is None:
        return JsonResponse(
            {"error": _("Give start and end as ISO dates, start before end.")},
            status=400,
        )
    events = []
    for row in selectors.calendar_rows(selectors.between(sessions, *span)):
        cancelled = row.status == ClassSession.Status.CANCELLED
        title = row.class_name
        if row.number:
            title = _("%(class)s · lesson %(number)s") % {
                "class": title,
                "number": row.number,
            }
        if row.room_name:
            title = f"{title} · {row.room_name}"
        if cancelled:
            title = _("Cancelled: %(title)s") % {"title": title}
        url = link(row) if link else ""
        events.append(
            {
                **({"url": url} if url else {}),
                "id": row.pk,
                "title": title,
                "start": _wall_clock(row.starts_at),
                "end": _wall_clock(row.ends_at),
                "classNames": ["session-cancelled"] if cancelled else [],
                "extendedProps": {
                    "room": row.room_name,
                    "teacher": row.teacher_name,
                    "topic": row.topic,
                    "status": row.status,
                },
            }
        )
    return JsonResponse(events, safe=False)


# -- my timetable
NEW_FEED_KEY = "timetable_new_feed_url"


@rule_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Show the user's own timetable, reminder setting and calendar feed."""
    new_feed_url = request.session.pop(NEW_FEED_KEY, "")
    # Today's sessions (to record) and the next ones.
    upcoming = list(
        selectors.my_sessions(request.user).filter(
            starts_at__gte=selectors.aware(timezone.localdate()),
            status=ClassSession.Status.SCHEDULED,
        )[:5]
    )
    taught = _taught(request)
    leave = list(selectors.my_leave_requests(request.user)[:10])
    studied = selectors.studied_class_ids(request.user)
    asked = {each.session_id for each in leave}
    for session in upcoming:
        session.may_ask_leave = (
            session.class_list_id in studied
            and session.pk not in asked
            and session.starts_at > timezone.now()
        )
        session.teaching_link = _teaching_link(session, taught)
    return render(
        request,
        "timetable/mine.html",
        {
            "events_url": reverse("timetable:mine_events"),
            "calendar_now": _wall_clock(timezone.now()),
            "calendar_settings": _settings_of(request.user),
            "new_feed_url": new_feed_url,
            "upcoming": upcoming,
            "leave_requests": leave,
        },
    )


@rule_required
@require_GET
def mine_events(request: HttpRequest) -> JsonResponse:
    """Return the user's sessions in the asked span, as FullCalendar events.

    A session of a class the user teaches links to its record (from its day
    on) or, once recorded, to its roll call.
    """
    taught = _taught(request)
    return _events(
        request,
        selectors.my_sessions(request.user),
        lambda row: _teaching_link(row, taught),
    )


def _taught(request: HttpRequest) -> set[int]:
    return set(
        selectors.taught_class_ids(request.user).values_list("classlist_id", flat=True)
    )


def _teaching_link(session, taught: set[int]) -> str:
    """Return where a teacher goes from a session: record it, or its roll call.

    Empty for a session of a class the user does not teach, a cancelled
    one, or one whose day has not come.
    """
    if session.class_list_id not in taught or session.status != "scheduled":
        return ""
    if session.course_record_id:
        return reverse("teacher:roll_call", args=[session.course_record_id])
    if timezone.localtime(session.starts_at).date() <= timezone.localdate():
        return reverse("teacher:session_record", args=[session.pk])
    return ""


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
    # Shown once, on the page this redirects to: reloading it makes no new one.
    request.session[NEW_FEED_KEY] = url
    return redirect("timetable:mine")


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
# The campus page offers the rooms and teachers of sessions in this window.
TERM_BEHIND = timedelta(days=60)
TERM_AHEAD = timedelta(days=180)


def _campus_sessions(request: HttpRequest) -> QuerySet[ClassSession]:
    return request.access.scope(request, selectors.all_sessions())


@rule_required
@require_GET
def campus(request: HttpRequest) -> HttpResponse:
    """Show the timetable of the campus (or campuses) the user may see."""
    # The rooms and teachers of this term (a window on the start index, not
    # every session the school ever held).
    now = timezone.now()
    term = _campus_sessions(request).filter(
        starts_at__gte=now - TERM_BEHIND, starts_at__lt=now + TERM_AHEAD
    )
    rooms = Room.objects.filter(pk__in=term.values("room_id")).select_related("branch")
    teachers = User.objects.filter(pk__in=term.values("teacher_id")).order_by(
        "display_name", "username"
    )
    return render(
        request,
        "timetable/campus.html",
        {
            "events_url": reverse("timetable:campus_events"),
            "calendar_now": _wall_clock(timezone.now()),
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


# -- leave (请假)
class LeaveForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@rule_required
@require_http_methods(["GET", "POST"])
def leave_new(request: HttpRequest, session_id: int) -> HttpResponse:
    """Ask leave from a coming session of one's own class (404 for any other)."""
    session = get_object_or_404(
        selectors.student_sessions(request.user).filter(
            status=ClassSession.Status.SCHEDULED, starts_at__gt=timezone.now()
        ),
        pk=session_id,
    )
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.leave_request(
                session=session, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your leave request was sent to the teacher."))
            return redirect("timetable:mine")
    return render(
        request, "timetable/leave_form.html", {"session": session, "form": form}
    )


def _leave_requests(request: HttpRequest) -> QuerySet[LeaveRequest]:
    """Return the leave requests of the classes the user decides for."""
    return request.access.scope(request, selectors.leave_requests())


@rule_required
@require_GET
def leave_list(request: HttpRequest) -> HttpResponse:
    """List the leave requests waiting for a decision, and the recent ones."""
    requests = _leave_requests(request)
    pending = list(requests.filter(state=LeaveRequest.State.PENDING)[:200])
    decided = list(requests.exclude(state=LeaveRequest.State.PENDING)[:30])
    services.makeup_options(pending)
    return render(
        request,
        "timetable/leave_list.html",
        {"pending": pending, "decided": decided},
    )


@rule_required
@require_POST
def leave_decide(request: HttpRequest, leave_id: int) -> HttpResponse:
    """Approve or refuse a leave request (of a class the user decides for)."""
    leave = get_object_or_404(_leave_requests(request), pk=leave_id)
    decision = request.POST.get("decision")
    if decision not in ("approve", "refuse"):
        messages.error(request, _("Choose to approve or to refuse."))
        return redirect("timetable:leave_list")
    makeup = None
    raw = request.POST.get("makeup_session", "")
    if raw:
        makeup = ClassSession.objects.filter(
            pk=int(raw) if raw.isdigit() and len(raw) < 19 else 0
        ).first()
        if makeup is None:
            messages.error(request, _("Unknown make-up session."))
            return redirect("timetable:leave_list")
    try:
        services.leave_decide(
            leave=leave,
            by=request.user,
            approve=decision == "approve",
            note=request.POST.get("note", "")[:255],
            makeup_session=makeup,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        text = (
            _("The leave of %(student)s was approved.")
            if decision == "approve"
            else _("The leave of %(student)s was refused.")
        )
        messages.success(request, text % {"student": leave.enrollment.customer})
    return redirect("timetable:leave_list")
