"""The timetable's jobs: telling people about changed sessions, evening reminders."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs.registry import Daily, job, periodic

# Reminders go out at this local time, the evening before.
REMINDER_TIME = datetime.time(18, 0)


def _when(session) -> str:
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    where = f" · {session.room}" if session.room_id else ""
    return f"{start:%m-%d %H:%M}–{end:%H:%M}{where}"


def _students(class_ids) -> dict[int, set]:
    """Return the student users of each class (approved enrollments), by class id."""
    from crm.models import Enrollment

    students = defaultdict(set)
    rows = Enrollment.objects.filter(
        class_list_id__in=class_ids,
        state=Enrollment.State.APPROVED,
        customer__user__isnull=False,
        customer__user__is_active=True,
    ).values_list("class_list_id", "customer__user_id")
    for class_id, user_id in rows:
        students[class_id].add(user_id)
    return students


def _text(change: str, sessions: list) -> str:
    first = sessions[0]
    values = {
        "class": first.class_list,
        "count": len(sessions),
        "when": _when(first),
        "teacher": first.teacher,
        "reason": first.cancel_reason,
    }
    if change == "cancelled":
        return (
            ngettext(
                "%(class)s: the session of %(when)s is cancelled (%(reason)s).",
                "%(class)s: %(count)s sessions from %(when)s on are cancelled "
                "(%(reason)s).",
                len(sessions),
            )
            % values
        )
    if change == "teacher":
        return (
            ngettext(
                "%(class)s: %(teacher)s teaches the session of %(when)s.",
                "%(class)s: %(teacher)s teaches %(count)s sessions from %(when)s on.",
                len(sessions),
            )
            % values
        )
    return (
        ngettext(
            "%(class)s: a session moved to %(when)s.",
            "%(class)s: %(count)s sessions moved; the first is now %(when)s.",
            len(sessions),
        )
        % values
    )


@job(attempts=5)
def sessions_changed_notify(
    *, session_ids: list[int], change: str, also: list[int], language: str
) -> int:
    """Tell the students and teachers of changed sessions, in-app and by e-mail."""
    from accounts.models import User
    from accounts.services import notification_send
    from timetable.models import ClassSession

    sessions = list(
        ClassSession.objects.filter(pk__in=session_ids)
        .select_related("class_list__course", "room", "teacher")
        .order_by("starts_at", "pk")
    )
    if not sessions:
        return 0
    class_ids = {s.class_list_id for s in sessions}
    recipients = set(also) | {s.teacher_id for s in sessions}
    for users in _students(class_ids).values():
        recipients |= users
    told = 0
    with translation.override(language):
        text = _text(change, sessions)
        subject = _("Timetable change: %(class)s") % {"class": sessions[0].class_list}
        for user in User.objects.filter(pk__in=recipients, is_active=True):
            notification_send(
                recipient=user,
                text=text,
                link=reverse("timetable:mine"),
                email_subject=subject,
            )
            told += 1
    return told


@periodic("timetable-reminders", Daily(REMINDER_TIME))
@job()
def reminders_send() -> int:
    """Remind students and teachers of tomorrow's sessions (unless they opted out)."""
    from accounts.models import User
    from accounts.services import notification_send
    from timetable.selectors import sessions_on

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    sessions = list(sessions_on(tomorrow))
    if not sessions:
        return 0
    students = _students({s.class_list_id for s in sessions})
    per_user: dict[int, list] = defaultdict(list)
    for session in sessions:
        for user_id in {session.teacher_id} | students[session.class_list_id]:
            per_user[user_id].append(session)
    users = User.objects.filter(pk__in=per_user, is_active=True).exclude(
        calendar_settings__reminders=False
    )
    told = 0
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            lines = [f"{s.class_list} {_when(s)}" for s in per_user[user.pk]]
            notification_send(
                recipient=user,
                text=_("Tomorrow: %(sessions)s") % {"sessions": "; ".join(lines)},
                link=reverse("timetable:mine"),
                email_subject=_("Your sessions tomorrow"),
            )
            told += 1
    return told
