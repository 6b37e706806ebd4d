"""Writes of the timetable: schedules, one-off sessions and their changes.

Every write that books a room, a teacher or a class runs the same check
under the same lock: the rows of the rooms, teachers and classes concerned
are locked (``SELECT ... FOR UPDATE``, in id order), then the scheduled
sessions overlapping the new times are read in one query and any clash is
refused with a message naming the other session. Two bookings of one room
therefore run one after the other, and the second sees the first. On
PostgreSQL exclusion constraints hold the same rule in the database
(migration 0002); SQLite runs one writer at a time.

A class larger than the room is a warning, not a refusal (the school may
add chairs). Changes to sessions tell the class's students and teachers
(``timetable.tasks.sessions_changed_notify``, a job).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import ClassList, Enrollment
from finance.services import consumption_sync
from jobs.queue import enqueue_on_commit
from timetable.models import (
    MAX_SESSION,
    ClassSession,
    Holiday,
    LeaveRequest,
    Room,
    Schedule,
)

# A schedule plans at most this many sessions (a year of daily lessons).
MAX_SESSIONS = 366


@dataclass(frozen=True)
class Planned:
    """The times and places of a session about to be written."""

    class_list_id: int
    room_id: int | None
    teacher_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass
class Booking:
    """What a write booked: its sessions, the days it skipped, its warnings."""

    sessions: list[ClassSession] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def closed_days(*, branch_id: int | None, first: date, last: date) -> set[date]:
    """Return the days between ``first`` and ``last`` the campus is closed."""
    days = set()
    holidays = Holiday.objects.filter(
        Q(branch_id=branch_id) | Q(branch__isnull=True),
        first_day__lte=last,
        last_day__gte=first,
    )
    for holiday in holidays:
        day = max(holiday.first_day, first)
        while day <= min(holiday.last_day, last):
            days.add(day)
            day += timedelta(days=1)
    return days


def _at(day: date, start: time, minutes: int) -> tuple[datetime, datetime]:
    starts_at = timezone.make_aware(datetime.combine(day, start))
    return starts_at, starts_at + timedelta(minutes=minutes)


def schedule_dates(
    *, weekdays: Iterable[int], first: date, last: date, closed: set[date]
) -> tuple[list[date], list[date]]:
    """Return the days a pattern meets between two dates, and the closed ones."""
    wanted = set(weekdays)
    meets, skipped = [], []
    day = first
    while day <= last:
        if day.isoweekday() in wanted:
            (skipped if day in closed else meets).append(day)
        day += timedelta(days=1)
    return meets, skipped


# -- the check
def _lock(planned: Sequence[Planned]) -> None:
    """Lock the rows of the rooms, teachers and classes ``planned`` books."""
    rooms = sorted({p.room_id for p in planned if p.room_id is not None})
    teachers = sorted({p.teacher_id for p in planned})
    classes = sorted({p.class_list_id for p in planned})
    # Evaluated for their locks; the same order everywhere avoids deadlocks.
    list(Room.objects.select_for_update().filter(pk__in=rooms).order_by("pk"))
    list(User.objects.select_for_update().filter(pk__in=teachers).order_by("pk"))
    list(ClassList.objects.select_for_update().filter(pk__in=classes).order_by("pk"))


def _describe(session: ClassSession) -> str:
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    return _("%(class)s on %(day)s %(start)s–%(end)s") % {
        "class": session.class_list,
        "day": start.strftime("%Y-%m-%d"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def conflicts(planned: Sequence[Planned], *, exclude: Iterable[int] = ()) -> list[str]:
    """Return a message for each clash of ``planned`` with a scheduled session.

    One query, whatever the number of planned sessions: every scheduled
    session in the planned time span using one of their rooms, teachers or
    classes, compared in Python.
    """
    if not planned:
        return []
    rooms = {p.room_id for p in planned if p.room_id is not None}
    teachers = {p.teacher_id for p in planned}
    classes = {p.class_list_id for p in planned}
    others = list(
        ClassSession.objects.filter(
            Q(room_id__in=rooms)
            | Q(teacher_id__in=teachers)
            | Q(class_list_id__in=classes),
            status=ClassSession.Status.SCHEDULED,
            starts_at__lt=max(p.ends_at for p in planned),
            ends_at__gt=min(p.starts_at for p in planned),
        )
        .exclude(pk__in=list(exclude))
        .select_related("class_list__course", "room", "teacher")
        .order_by("starts_at", "pk")
    )
    messages = []
    for p in planned:
        for other in others:
            if not (other.starts_at < p.ends_at and other.ends_at > p.starts_at):
                continue
            what = _describe(other)
            if p.room_id is not None and other.room_id == p.room_id:
                messages.append(
                    _("Room %(room)s is taken then by %(session)s.")
                    % {"room": other.room, "session": what}
                )
            elif other.teacher_id == p.teacher_id:
                messages.append(
                    _("%(teacher)s teaches %(session)s then.")
                    % {"teacher": other.teacher, "session": what}
                )
            elif other.class_list_id == p.class_list_id:
                messages.append(
                    _("The class already has %(session)s then.") % {"session": what}
                )
    return list(dict.fromkeys(messages))


def _check(planned: Sequence[Planned], *, exclude: Iterable[int] = ()) -> None:
    _lock(planned)
    found = conflicts(planned, exclude=exclude)
    if found:
        raise ValidationError(found)


def _capacity_warnings(
    class_list: ClassList, room_ids: Iterable[int | None]
) -> list[str]:
    rooms = Room.objects.filter(pk__in=[r for r in set(room_ids) if r is not None])
    size = Enrollment.objects.filter(
        class_list=class_list, state=Enrollment.State.APPROVED
    ).count()
    return [
        _("%(class)s has %(students)s students; room %(room)s seats %(capacity)s.")
        % {
            "class": class_list,
            "students": size,
            "room": room,
            "capacity": room.capacity,
        }
        for room in rooms
        if size > room.capacity
    ]


def _save(sessions: Sequence[ClassSession]) -> None:
    """Write new sessions in one INSERT, changed ones in one UPDATE."""
    new = [s for s in sessions if s.pk is None]
    changed = [s for s in sessions if s.pk is not None]
    now = timezone.now()
    for session in sessions:
        session.updated_at = now
    try:
        with transaction.atomic():
            ClassSession.objects.bulk_create(new)
            ClassSession.objects.bulk_update(
                changed, ["starts_at", "ends_at", "room", "teacher", "updated_at"]
            )
    except IntegrityError as error:
        # Only the PostgreSQL exclusion constraints get here: a booking that
        # raced past the lock (written outside these services).
        raise ValidationError(
            _("Another session was booked at the same time; try again.")
        ) from error


def sessions_renumber(*, class_list: ClassList) -> None:
    """Number the class's scheduled sessions 1, 2, 3 ... in time order."""
    changed = []
    sessions = ClassSession.objects.filter(class_list=class_list).order_by(
        "starts_at", "pk"
    )
    number = 0
    for session in sessions.only("pk", "number", "status", "starts_at"):
        wanted = None
        if session.status == ClassSession.Status.SCHEDULED:
            number += 1
            wanted = number
        if session.number != wanted:
            session.number = wanted
            changed.append(session)
    ClassSession.objects.bulk_update(changed, ["number"], batch_size=500)


def syllabus_topics_set(*, class_list: ClassList) -> int:
    """Give the class's sessions without a topic one from the course's syllabus.

    The syllabus (one stage a line) is spread over the numbered sessions in
    order: with 8 stages and 64 sessions, sessions 1-8 get the first stage,
    9-16 the second ... A topic typed by hand is kept. Return how many
    sessions got one.
    """
    stages = [
        line.strip() for line in class_list.course.outline.splitlines() if line.strip()
    ]
    sessions = list(
        ClassSession.objects.filter(class_list=class_list, number__isnull=False)
        .only("pk", "number", "topic")
        .order_by("number")
    )
    if not stages or not sessions:
        return 0
    total = len(sessions)
    changed = []
    for session in sessions:
        if not session.topic:
            stage = stages[(session.number - 1) * len(stages) // total]
            session.topic = stage[: ClassSession._meta.get_field("topic").max_length]
            changed.append(session)
    ClassSession.objects.bulk_update(changed, ["topic"], batch_size=500)
    return len(changed)


# -- schedules and sessions
@transaction.atomic
def schedule_create(
    *,
    class_list: ClassList,
    weekdays: Iterable[int],
    start_time: time,
    duration_minutes: int,
    room: Room | None,
    teacher: User,
    first_date: date,
    last_date: date,
) -> tuple[Schedule, Booking]:
    """Plan a class's sessions on ``weekdays`` between two dates, skipping holidays.

    Refused as a whole (ValidationError naming each clash) if one of them
    would overlap another session of the room, the teacher or the class.
    """
    days = sorted({int(day) for day in weekdays})
    schedule = Schedule(
        class_list=class_list,
        weekdays="".join(str(day) for day in days),
        start_time=start_time,
        duration_minutes=duration_minutes,
        room=room,
        teacher=teacher,
        first_date=first_date,
        last_date=last_date,
    )
    schedule.full_clean()
    if room is not None and room.branch_id != class_list.branch_id:
        raise ValidationError({"room": _("The room is not on the class's campus.")})
    closed = closed_days(
        branch_id=class_list.branch_id, first=first_date, last=last_date
    )
    meets, skipped = schedule_dates(
        weekdays=days, first=first_date, last=last_date, closed=closed
    )
    if not meets:
        raise ValidationError(
            _("No session falls between these dates on these weekdays.")
        )
    if len(meets) > MAX_SESSIONS:
        raise ValidationError(
            _("A schedule plans at most %(max)s sessions.") % {"max": MAX_SESSIONS}
        )
    sessions = []
    for day in meets:
        starts_at, ends_at = _at(day, start_time, duration_minutes)
        sessions.append(
            ClassSession(
                class_list=class_list,
                schedule=schedule,
                starts_at=starts_at,
                ends_at=ends_at,
                room=room,
                teacher=teacher,
            )
        )
    _check([_planned(s) for s in sessions])
    schedule.save()
    for session in sessions:
        session.schedule = schedule
    _save(sessions)
    sessions_renumber(class_list=class_list)
    syllabus_topics_set(class_list=class_list)
    booking = Booking(sessions=sessions, skipped=skipped)
    booking.warnings = _capacity_warnings(class_list, [room.pk if room else None])
    return schedule, booking


@transaction.atomic
def schedule_delete(*, schedule: Schedule) -> int:
    """Delete a schedule; its sessions yet to come are cancelled (and people told).

    Past sessions stay as they were, without a schedule. Return how many
    sessions were cancelled.
    """
    future = list(
        schedule.sessions.filter(
            status=ClassSession.Status.SCHEDULED, starts_at__gte=timezone.now()
        ).select_related("class_list")
    )
    for each in future:
        each.status = ClassSession.Status.CANCELLED
        each.cancel_reason = _("The schedule was removed.")
        each.number = None
    ClassSession.objects.bulk_update(future, ["status", "cancel_reason", "number"])
    class_list = schedule.class_list
    schedule.delete()
    sessions_renumber(class_list=class_list)
    _notify(future, "cancelled")
    return len(future)


@transaction.atomic
def sessions_delete(*, sessions: Sequence[ClassSession]) -> None:
    """Delete sessions planned by mistake; their classes are numbered again.

    To call a session off, cancel it: a cancelled session stays listed and
    people are told. Deleting tells nobody.
    """
    classes = {session.class_list_id for session in sessions}
    ClassSession.objects.filter(pk__in=[s.pk for s in sessions]).delete()
    for class_list in ClassList.objects.filter(pk__in=classes):
        sessions_renumber(class_list=class_list)


def _planned(session: ClassSession) -> Planned:
    return Planned(
        class_list_id=session.class_list_id,
        room_id=session.room_id,
        teacher_id=session.teacher_id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )


@transaction.atomic
def session_create(
    *,
    class_list: ClassList,
    starts_at: datetime,
    ends_at: datetime,
    room: Room | None,
    teacher: User,
    topic: str = "",
) -> tuple[ClassSession, Booking]:
    """Plan one session of a class outside any schedule."""
    session = ClassSession(
        class_list=class_list,
        starts_at=starts_at,
        ends_at=ends_at,
        room=room,
        teacher=teacher,
        topic=topic,
    )
    session.full_clean(exclude=["number"])
    _check_length(starts_at, ends_at)
    if room is not None and room.branch_id != class_list.branch_id:
        raise ValidationError({"room": _("The room is not on the class's campus.")})
    _check([_planned(session)])
    _save([session])
    sessions_renumber(class_list=class_list)
    session.refresh_from_db(fields=["number"])
    warnings = _capacity_warnings(class_list, [session.room_id])
    return session, Booking(sessions=[session], warnings=warnings)


def _following(session: ClassSession, following: bool) -> list[ClassSession]:
    """Return ``session`` and, if ``following``, the later ones of its schedule."""
    if not following:
        return [session]
    later = ClassSession.objects.filter(
        class_list_id=session.class_list_id,
        status=ClassSession.Status.SCHEDULED,
        starts_at__gte=session.starts_at,
    )
    if session.schedule_id is not None:
        later = later.filter(schedule_id=session.schedule_id)
    return list(later.select_related("class_list").order_by("starts_at", "pk"))


def _check_length(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError(_("A session must end after it starts."))
    if ends_at - starts_at > MAX_SESSION:
        raise ValidationError(_("A session lasts at most 12 hours."))


def _refuse_past(sessions: Sequence[ClassSession]) -> None:
    now = timezone.now()
    if any(s.starts_at < now for s in sessions):
        raise ValidationError(_("A session that has started cannot be changed."))


def _refuse_cancelled(session: ClassSession) -> None:
    if session.is_cancelled:
        raise ValidationError(_("This session was cancelled."))


@transaction.atomic
def session_move(
    *,
    session: ClassSession,
    starts_at: datetime,
    ends_at: datetime,
    room: Room | None,
    following: bool = False,
) -> Booking:
    """Move a session (and, if ``following``, the later ones by the same shift).

    The later sessions keep their own times shifted by the same amount and
    take the new room.
    """
    _refuse_cancelled(session)
    _check_length(starts_at, ends_at)
    if room is not None and room.branch_id != session.class_list.branch_id:
        raise ValidationError({"room": _("The room is not on the class's campus.")})
    moved = _following(session, following)
    _refuse_past(moved)
    if starts_at < timezone.now():
        raise ValidationError(_("A session cannot be moved into the past."))
    shift = starts_at - session.starts_at
    length = ends_at - starts_at
    for each in moved:
        each.starts_at = each.starts_at + shift
        each.ends_at = each.starts_at + length
        each.room = room
    _check([_planned(s) for s in moved], exclude=[s.pk for s in moved])
    _save(moved)
    sessions_renumber(class_list=session.class_list)
    _notify(moved, "moved")
    warnings = _capacity_warnings(session.class_list, [room.pk if room else None])
    return Booking(sessions=moved, warnings=warnings)


@transaction.atomic
def session_cancel(
    *, session: ClassSession, reason: str, following: bool = False
) -> Booking:
    """Cancel a session (and, if ``following``, the later ones); they stay listed."""
    _refuse_cancelled(session)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the session is cancelled.")})
    cancelled = _following(session, following)
    _refuse_past(cancelled)
    for each in cancelled:
        each.status = ClassSession.Status.CANCELLED
        each.cancel_reason = reason[:255]
        each.number = None
    ClassSession.objects.bulk_update(cancelled, ["status", "cancel_reason", "number"])
    sessions_renumber(class_list=session.class_list)
    _notify(cancelled, "cancelled")
    return Booking(sessions=cancelled)


@transaction.atomic
def session_change_teacher(
    *, session: ClassSession, teacher: User, following: bool = False
) -> Booking:
    """Give a session (and, if ``following``, the later ones) another teacher."""
    _refuse_cancelled(session)
    changed = _following(session, following)
    _refuse_past(changed)
    previous = {each.teacher_id for each in changed} - {teacher.pk}
    for each in changed:
        each.teacher = teacher
    _check([_planned(s) for s in changed], exclude=[s.pk for s in changed])
    _save(changed)
    _notify(changed, "teacher", also=previous)
    return Booking(sessions=changed)


def _notify(
    sessions: Sequence[ClassSession], change: str, *, also: Iterable[int] = ()
) -> None:
    """Tell the students and teachers of ``sessions`` (a job, after the commit)."""
    from timetable.tasks import sessions_changed_notify

    if sessions:
        enqueue_on_commit(
            sessions_changed_notify,
            session_ids=[s.pk for s in sessions],
            change=change,
            also=sorted(also),
            language=get_language() or "zh-hans",
        )


# -- lessons from sessions
@transaction.atomic
def session_record(
    *,
    session: ClassSession,
    by: User,
    title: str,
    content: str = "",
    has_homework: bool = True,
    homework_title: str = "",
    homework_requirements: str = "",
):
    """Record the lesson a session held: its number and date, its students.

    Students on approved leave start "on leave" in the roll call; the others
    "present", as for any lesson (teacher.services.courserecord_create).
    """
    from teacher.models import StudyRecord
    from teacher.services import courserecord_create

    session = (
        ClassSession.objects.select_for_update()
        .select_related("class_list")
        .get(pk=session.pk)
    )
    if session.is_cancelled:
        raise ValidationError(_("This session was cancelled."))
    if session.course_record_id is not None:
        raise ValidationError(_("This session is already recorded."))
    if timezone.localtime(session.starts_at).date() > timezone.localdate():
        raise ValidationError(_("A session is recorded on its day, not before."))
    lesson = courserecord_create(
        class_list=session.class_list,
        teacher=by,
        lesson_number=session.number,
        date=timezone.localtime(session.starts_at).date(),
        title=title,
        content=content,
        has_homework=has_homework,
        homework_title=homework_title,
        homework_requirements=homework_requirements,
    )
    session.course_record = lesson
    session.save(update_fields=["course_record", "updated_at"])
    on_leave = LeaveRequest.objects.filter(
        session=session, state=LeaveRequest.State.APPROVED
    ).values("enrollment_id")
    if StudyRecord.objects.filter(
        course_record=lesson, enrollment_id__in=on_leave
    ).update(attendance=StudyRecord.Attendance.ON_LEAVE):
        consumption_sync(course_record_id=lesson.pk, by=by)
    return lesson


# -- leave (请假)
@transaction.atomic
def leave_request(*, session: ClassSession, user: User, reason: str) -> LeaveRequest:
    """Ask leave from a session of a class ``user`` studies in; teachers are told."""
    from accounts.services import notifications_send

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you ask leave.")})
    enrollment = Enrollment.objects.filter(
        customer__user=user,
        class_list_id=session.class_list_id,
        state=Enrollment.State.APPROVED,
    ).first()
    if enrollment is None:
        raise ValidationError(_("You do not study in this class."))
    if session.is_cancelled:
        raise ValidationError(_("This session was cancelled."))
    if session.starts_at <= timezone.now():
        raise ValidationError(_("Leave is asked before the session starts."))
    if LeaveRequest.objects.filter(session=session, enrollment=enrollment).exists():
        raise ValidationError(_("Leave was already asked for this session."))
    leave = LeaveRequest(session=session, enrollment=enrollment, reason=reason[:500])
    leave.full_clean(exclude=["session", "enrollment"])
    leave.save()
    notifications_send(
        recipients=session.class_list.teachers.filter(is_active=True),
        text=_("%(student)s asks leave from %(session)s: %(reason)s")
        % {
            "student": enrollment.customer,
            "session": _describe(session),
            "reason": reason[:200],
        },
        link=reverse("timetable:leave_list"),
    )
    return leave


def _makeup_sessions(course_ids) -> QuerySet[ClassSession]:
    return (
        ClassSession.objects.filter(
            class_list__course_id__in=course_ids,
            status=ClassSession.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .select_related("class_list__course", "room")
        .order_by("starts_at", "pk")
    )


def makeup_choices(leave: LeaveRequest) -> QuerySet[ClassSession]:
    """Return the sessions that can make up for ``leave``'s: same course, later on."""
    session = leave.session
    return _makeup_sessions([session.class_list.course_id]).exclude(
        class_list_id=session.class_list_id
    )


def makeup_options(leaves: Sequence[LeaveRequest], *, each: int = 20) -> None:
    """Set ``makeup_options`` on each leave: its first ``each`` choices, one query."""
    options = list(
        _makeup_sessions({leave.session.class_list.course_id for leave in leaves})[
            :1000
        ]
    )
    for leave in leaves:
        session = leave.session
        leave.makeup_options = [
            option
            for option in options
            if option.class_list.course_id == session.class_list.course_id
            and option.class_list_id != session.class_list_id
        ][:each]


@transaction.atomic
def leave_decide(
    *,
    leave: LeaveRequest,
    by: User,
    approve: bool,
    note: str = "",
    makeup_session: ClassSession | None = None,
) -> LeaveRequest:
    """Approve or refuse a leave request; the student is told.

    Approving marks the student "on leave" in the lesson's roll call if the
    lesson is recorded already. A make-up session must be a later session of
    another class of the same course.
    """
    from accounts.services import notification_send
    from teacher.models import StudyRecord

    leave = (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("session__class_list", "enrollment__customer__user")
        .get(pk=leave.pk)
    )
    if leave.state != LeaveRequest.State.PENDING:
        raise ValidationError(_("This request was decided already."))
    if makeup_session is not None:
        if not approve:
            raise ValidationError(
                {"makeup_session": _("Only approved leave gets a make-up session.")}
            )
        if not makeup_choices(leave).filter(pk=makeup_session.pk).exists():
            raise ValidationError(
                {
                    "makeup_session": _(
                        "Choose a later session of another class of the same course."
                    )
                }
            )
    leave.state = LeaveRequest.State.APPROVED if approve else LeaveRequest.State.REFUSED
    leave.decided_by = by
    leave.decided_at = timezone.now()
    leave.decision_note = note.strip()[:255]
    leave.makeup_session = makeup_session
    leave.save()
    if approve and leave.session.course_record_id:
        StudyRecord.objects.filter(
            course_record_id=leave.session.course_record_id,
            enrollment_id=leave.enrollment_id,
        ).update(attendance=StudyRecord.Attendance.ON_LEAVE)
        consumption_sync(
            course_record_id=leave.session.course_record_id,
            by=by,
            enrollment_ids=[leave.enrollment_id],
        )
    student = leave.enrollment.customer.user
    if student is not None:
        values = {"session": _describe(leave.session), "note": leave.decision_note}
        text = (
            _("Your leave from %(session)s is approved.")
            if approve
            else _("Your leave from %(session)s is refused.")
        ) % values
        if makeup_session is not None:
            text += " " + _("Make-up session: %(makeup)s.") % {
                "makeup": _describe(makeup_session)
            }
        if leave.decision_note:
            text += " " + leave.decision_note
        notification_send(
            recipient=student,
            text=text,
            link=reverse("timetable:mine"),
            email_subject=_("Your leave request"),
        )
    return leave
