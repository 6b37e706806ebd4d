"""Reads of the timetable, each scoped to what the user may see.

- A teacher's timetable: the sessions they teach, and every session of the
  classes they teach (a substitute's lesson shows too).
- A student's timetable: the sessions of the classes of their approved
  enrollments.
- The campus timetable (staff): every session the permission rules let the
  user list (``request.access.scope`` on the session list's rule).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from crm.models import Enrollment
from timetable.models import ClassSession

# A calendar asks for one view's span; a longer one is cut to this.
MAX_SPAN_DAYS = 62


def all_sessions() -> QuerySet[ClassSession]:
    """Return every session, with what a calendar shows of it, in time order."""
    return ClassSession.objects.select_related(
        "class_list__course", "class_list__branch", "room", "teacher"
    ).order_by("starts_at", "pk")


def teacher_sessions(user: User) -> QuerySet[ClassSession]:
    """Return the sessions ``user`` teaches or that belong to a class they teach."""
    return (
        all_sessions().filter(Q(teacher=user) | Q(class_list__teachers=user)).distinct()
    )


def student_sessions(user: User) -> QuerySet[ClassSession]:
    """Return the sessions of the classes ``user`` is enrolled in (approved)."""
    classes = Enrollment.objects.filter(
        customer__user=user, state=Enrollment.State.APPROVED
    ).values("class_list_id")
    return all_sessions().filter(class_list_id__in=classes)


def my_sessions(user: User) -> QuerySet[ClassSession]:
    """Return the sessions on ``user``'s own timetable (teaching and studying)."""
    classes = Enrollment.objects.filter(
        customer__user=user, state=Enrollment.State.APPROVED
    ).values("class_list_id")
    return (
        all_sessions()
        .filter(
            Q(teacher=user)
            | Q(class_list__teachers=user)
            | Q(class_list_id__in=classes)
        )
        .distinct()
    )


def between(
    sessions: QuerySet[ClassSession], start: date | datetime, end: date | datetime
) -> QuerySet[ClassSession]:
    """Return ``sessions`` overlapping [start, end), the span cut to MAX_SPAN_DAYS."""
    start, end = aware(start), aware(end)
    end = min(end, start + timedelta(days=MAX_SPAN_DAYS))
    return sessions.filter(starts_at__lt=end, ends_at__gt=start)


def aware(value: date | datetime) -> datetime:
    """Return ``value`` as an aware datetime (a date: its local midnight)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def sessions_on(day: date) -> QuerySet[ClassSession]:
    """Return the scheduled sessions starting on ``day`` (local time)."""
    start = aware(day)
    return all_sessions().filter(
        status=ClassSession.Status.SCHEDULED,
        starts_at__gte=start,
        starts_at__lt=aware(day + timedelta(days=1)),
    )
