"""Reads of the timetable, each scoped to what the user may see.

- A teacher's timetable: the sessions they teach, and every session of the
  classes they teach (a substitute's lesson shows too), in ``my_sessions``.
- A student's timetable: the sessions of the classes of their approved
  enrollments.
- The campus timetable (staff): every session the permission rules let the
  user list (``request.access.scope`` on the session list's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from crm.models import ClassList, Enrollment
from timetable.models import MAX_SESSION, ClassSession, LeaveRequest, Room

# A calendar asks for one view's span; a longer one is cut to this.
MAX_SPAN_DAYS = 62


def all_sessions() -> QuerySet[ClassSession]:
    """Return every session, with what a calendar shows of it, in time order."""
    return ClassSession.objects.select_related(
        "class_list__course", "class_list__branch", "room", "teacher"
    ).order_by("starts_at", "pk")


def taught_class_ids(user: User) -> QuerySet:
    """Return the ids of the classes ``user`` teaches (a subquery)."""
    return ClassList.teachers.through.objects.filter(user=user).values("classlist_id")


def _studied_class_ids(user: User) -> QuerySet:
    return Enrollment.objects.filter(
        customer__user=user, state=Enrollment.State.APPROVED
    ).values("class_list_id")


def student_sessions(user: User) -> QuerySet[ClassSession]:
    """Return the sessions of the classes ``user`` is enrolled in (approved)."""
    return all_sessions().filter(class_list_id__in=_studied_class_ids(user))


def my_sessions(user: User) -> QuerySet[ClassSession]:
    """Return the sessions on ``user``'s own timetable (teaching and studying).

    Subqueries rather than joins: a session is in it once, with no DISTINCT.
    """
    return all_sessions().filter(
        Q(teacher=user)
        | Q(class_list_id__in=taught_class_ids(user))
        | Q(class_list_id__in=_studied_class_ids(user))
    )


def between(
    sessions: QuerySet[ClassSession], start: date | datetime, end: date | datetime
) -> QuerySet[ClassSession]:
    """Return ``sessions`` overlapping [start, end), the span cut to MAX_SPAN_DAYS."""
    start, end = aware(start), aware(end)
    end = min(end, start + timedelta(days=MAX_SPAN_DAYS))
    # The lower bound on starts_at keeps the index range to the span: no
    # session lasts longer than MAX_SESSION.
    return sessions.filter(
        starts_at__lt=end, starts_at__gt=start - MAX_SESSION, ends_at__gt=start
    )


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


def leave_requests() -> QuerySet[LeaveRequest]:
    """Return every leave request with what its list shows, newest first."""
    return LeaveRequest.objects.select_related(
        "session__class_list__course",
        "session__room",
        "enrollment__customer",
        "decided_by",
        "makeup_session__class_list",
    ).order_by("-created_at", "-pk")


def studied_class_ids(user: User) -> set[int]:
    """Return the ids of the classes ``user`` studies in (approved enrollments)."""
    return set(
        Enrollment.objects.filter(
            customer__user=user, state=Enrollment.State.APPROVED
        ).values_list("class_list_id", flat=True)
    )


def my_leave_requests(user: User) -> QuerySet[LeaveRequest]:
    """Return the leave requests ``user`` made as a student, newest first."""
    return leave_requests().filter(enrollment__customer__user=user)


@dataclass(frozen=True)
class CalendarRow:
    """What a calendar shows of a session, without building its objects."""

    pk: int
    starts_at: datetime
    ends_at: datetime
    status: str
    number: int | None
    topic: str
    class_name: str
    room_name: str
    teacher_name: str
    class_list_id: int
    course_record_id: int | None


def calendar_rows(sessions: QuerySet[ClassSession]) -> list[CalendarRow]:
    """Return ``sessions`` as calendar rows, in four queries however many.

    A month of a campus is hundreds of sessions of a few dozen classes,
    rooms and teachers: the sessions are read as plain values, and each
    class, room and teacher is built (and named) once.
    """
    rows = list(
        sessions.values_list(
            "pk",
            "starts_at",
            "ends_at",
            "status",
            "number",
            "topic",
            "class_list_id",
            "room_id",
            "teacher_id",
            "course_record_id",
        )
    )
    classes = {
        c.pk: str(c)
        for c in ClassList.objects.filter(pk__in={r[6] for r in rows})
        .select_related("course")
        .only("name", "semester", "course__name")
    }
    rooms = {
        r.pk: str(r)
        for r in Room.objects.filter(pk__in={r[7] for r in rows if r[7]}).only("name")
    }
    teachers = {
        u.pk: str(u)
        for u in User.objects.filter(pk__in={r[8] for r in rows}).only(
            "display_name", "first_name", "last_name", "username"
        )
    }
    return [
        CalendarRow(
            *row[:6],
            class_name=classes[row[6]],
            room_name=rooms.get(row[7], ""),
            teacher_name=teachers[row[8]],
            class_list_id=row[6],
            course_record_id=row[9],
        )
        for row in rows
    ]
