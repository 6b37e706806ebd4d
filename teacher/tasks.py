"""The teacher portal's jobs: absence alerts after a roll call."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from jobs.registry import job


@job(attempts=5)
def absences_alert(*, record_ids: list[int], language: str) -> int:
    """Tell consultants and teachers of students just marked absent.

    A student is reported when absent without approved leave, or absent
    twice in a row, or when their share of lessons attended falls below
    ``ATTENDANCE_ALERT_RATE`` (after ``ATTENDANCE_ALERT_AFTER`` lessons).
    Return how many students were reported.
    """
    from accounts.models import User
    from accounts.services import notifications_send
    from crm.models import ClassList
    from teacher.models import StudyRecord
    from teacher.selectors import ATTENDED, NOT_COUNTED
    from timetable.models import LeaveRequest

    absent = StudyRecord.Attendance.ABSENT
    records = list(
        StudyRecord.objects.filter(pk__in=record_ids, attendance=absent).select_related(
            "enrollment__customer", "course_record__class_list"
        )
    )
    if not records:
        return 0
    enrollment_ids = {r.enrollment_id for r in records}
    # Each student's lessons, latest first: (lesson number, attendance).
    history: dict[int, list[tuple[int, str]]] = {}
    for enrollment_id, number, attendance in (
        StudyRecord.objects.filter(enrollment_id__in=enrollment_ids)
        .order_by("enrollment_id", "-course_record__lesson_number")
        .values_list("enrollment_id", "course_record__lesson_number", "attendance")
    ):
        history.setdefault(enrollment_id, []).append((number, attendance))
    excused = set(
        LeaveRequest.objects.filter(
            enrollment_id__in=enrollment_ids,
            session__course_record__in=[r.course_record_id for r in records],
            state=LeaveRequest.State.APPROVED,
        ).values_list("enrollment_id", flat=True)
    )
    class_ids = {r.course_record.class_list_id for r in records}
    by_class: dict[int, set[int]] = {}
    for class_id, user_id in ClassList.teachers.through.objects.filter(
        classlist_id__in=class_ids
    ).values_list("classlist_id", "user_id"):
        by_class.setdefault(class_id, set()).add(user_id)
    wanted = set().union(*by_class.values()) | {
        r.enrollment.consultant_id for r in records
    }
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    reported = 0
    with translation.override(language):
        for record in records:
            lessons = history.get(record.enrollment_id, [])
            counted = [state for _n, state in lessons if state not in NOT_COUNTED]
            number = record.course_record.lesson_number
            before = [state for n, state in lessons if n < number]
            rate = (
                sum(s in ATTENDED for s in counted) / len(counted) if counted else 1.0
            )
            reasons = []
            if record.enrollment_id not in excused:
                reasons.append(_("absent without leave"))
            if before[:1] == [absent]:
                reasons.append(_("absent twice in a row"))
            if (
                len(counted) >= settings.ATTENDANCE_ALERT_AFTER
                and rate < settings.ATTENDANCE_ALERT_RATE
            ):
                reasons.append(
                    _("attended %(rate)s of lessons") % {"rate": f"{rate:.0%}"}
                )
            if not reasons:
                continue
            lesson = record.course_record
            recipients = [
                users[uid]
                for uid in {
                    *by_class.get(lesson.class_list_id, []),
                    record.enrollment.consultant_id,
                }
                if uid in users
            ]
            notifications_send(
                recipients=recipients,
                text=_("%(student)s missed %(lesson)s: %(reasons)s.")
                % {
                    "student": record.enrollment.customer,
                    "lesson": lesson,
                    "reasons": "; ".join(reasons),
                },
                link=reverse("teacher:roll_call", args=[lesson.pk]),
            )
            reported += 1
    return reported
