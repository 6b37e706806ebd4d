"""Writes of the teacher portal: lessons, roll call and grades.

Each write runs in one transaction with a constant number of queries,
however many students the class has: the study records of a lesson are
created with ``bulk_create`` and changed with ``bulk_update``.
"""

import datetime
from collections.abc import Collection, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import ClassList, Enrollment
from finance.services import consumption_sync
from jobs.queue import enqueue_on_commit
from teacher.models import CourseRecord, StudyRecord
from teacher.selectors import next_lesson_number

# The fields of a study record that grading changes.
GRADE_FIELDS = ["score", "teacher_comment", "graded_by", "graded_at"]
# The marks for "nothing to grade": given without a submission, they need no
# confirmation (N/A is the school's mark for homework not handed in).
NO_WORK_SCORES = frozenset({StudyRecord.Score.NOT_APPLICABLE, StudyRecord.Score.COPY})


class GradedWithoutHomework(ValidationError):
    """Scores given to students who handed nothing in, not confirmed.

    ``records`` are those study records; nothing was saved.
    """

    def __init__(self, records: list[StudyRecord]):
        self.records = records
        super().__init__(
            _("Nothing was handed in by %(students)s.")
            % {"students": ", ".join(str(r.enrollment.customer) for r in records)},
            code="no_homework",
        )


def _is_mark(score: int | None) -> bool:
    """Return whether score grades work (not None, N/A or COPY)."""
    return score is not None and score not in NO_WORK_SCORES


def _check_teaches(*, class_list: ClassList, user: User) -> None:
    if not class_list.teachers.filter(pk=user.pk).exists():
        raise ValidationError(
            _("%(user)s does not teach %(class)s.")
            % {"user": user, "class": class_list},
            code="not_a_teacher",
        )


def _lesson_number_taken() -> ValidationError:
    return ValidationError(
        {"lesson_number": _("This class already has a lesson with this number.")},
        code="unique",
    )


@transaction.atomic
def courserecord_create(
    *,
    class_list: ClassList,
    teacher: User,
    lesson_number: int | None = None,
    date: datetime.date,
    title: str,
    content: str = "",
    has_homework: bool = True,
    homework_title: str = "",
    homework_requirements: str = "",
) -> CourseRecord:
    """Record a lesson of ``class_list`` and a study record for each student.

    Every approved student of the class gets a study record (present, not
    graded). ``lesson_number`` defaults to the next free number; a number
    the class already has is refused.
    """
    _check_teaches(class_list=class_list, user=teacher)
    # Serialise lesson creation per class, so that two teachers asking for
    # "the next number" at once do not both get it (a no-op on SQLite, whose
    # writes are serialised anyway).
    ClassList.objects.select_for_update().filter(pk=class_list.pk).first()
    if lesson_number is None:
        lesson_number = next_lesson_number(class_list=class_list)
    if has_homework and not homework_title.strip():
        raise ValidationError(
            {"homework_title": _("Give the homework a title.")}, code="required"
        )
    lesson = CourseRecord(
        class_list=class_list,
        lesson_number=lesson_number,
        teacher=teacher,
        date=date,
        title=title,
        content=content,
        has_homework=has_homework,
        homework_title=homework_title if has_homework else "",
        homework_requirements=homework_requirements if has_homework else "",
    )
    # The caller looked the foreign keys up: do not query them again.
    lesson.full_clean(exclude=["class_list", "teacher"])
    if CourseRecord.objects.filter(
        class_list=class_list, lesson_number=lesson_number
    ).exists():
        raise _lesson_number_taken()
    try:
        with transaction.atomic():
            lesson.save()
    except IntegrityError:
        # Another lesson took this number between the check and the insert.
        raise _lesson_number_taken() from None
    enrollment_ids = (
        Enrollment.objects.filter(
            class_list=class_list, state=Enrollment.State.APPROVED
        )
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    StudyRecord.objects.bulk_create(
        StudyRecord(enrollment_id=pk, course_record=lesson) for pk in enrollment_ids
    )
    # Everyone starts present: their hours are consumed (the roll call adjusts).
    consumption_sync(course_record_id=lesson.pk, by=teacher)
    return lesson


def _records_of(
    course_record: CourseRecord, ids: Mapping[int, object]
) -> dict[int, StudyRecord]:
    records = {
        record.pk: record
        for record in StudyRecord.objects.select_for_update(of=("self",))
        .select_related("enrollment__customer")
        .filter(course_record=course_record, pk__in=list(ids))
    }
    if unknown := set(ids) - set(records):
        raise ValidationError(
            _("These study records are not of this lesson: %(ids)s.")
            % {"ids": ", ".join(str(pk) for pk in sorted(unknown))},
            code="unknown_record",
        )
    return records


@transaction.atomic
def rollcall_save(
    *,
    course_record: CourseRecord,
    attendance: Mapping[int, str],
    by: User,
) -> list[StudyRecord]:
    """Store the roll call of a lesson: study record id -> attendance state.

    Records left out keep their state; the roll call can be taken again.
    "Not enrolled yet" can be kept or changed, never given (see
    ``crm.services.enrollment_approve``). Return the records whose state
    changed.
    """
    _check_teaches(class_list=course_record.class_list, user=by)
    if wrong := set(attendance.values()) - set(StudyRecord.Attendance.values):
        raise ValidationError(
            _("Unknown attendance state: %(states)s.")
            % {"states": ", ".join(sorted(map(str, wrong)))},
            code="invalid_choice",
        )
    records = _records_of(course_record, attendance)
    not_enrolled = StudyRecord.Attendance.NOT_ENROLLED
    if wrong := [
        records[pk]
        for pk, state in attendance.items()
        if state == not_enrolled and records[pk].attendance != not_enrolled
    ]:
        # Only the enrollment marks a lesson held before the student joined;
        # a teacher marking it would take an absence out of the figures.
        raise ValidationError(
            _(
                "“Not enrolled yet” is only for a lesson held before the "
                "student joined the class: %(students)s."
            )
            % {"students": ", ".join(str(r.enrollment.customer) for r in wrong)},
            code="invalid_choice",
        )
    changed = []
    for pk, state in attendance.items():
        record = records[pk]
        if record.attendance != state:
            record.attendance = state
            changed.append(record)
    StudyRecord.objects.bulk_update(changed, ["attendance"])
    if changed:
        consumption_sync(
            course_record_id=course_record.pk,
            by=by,
            enrollment_ids=[r.enrollment_id for r in changed],
        )
    absent = [r.pk for r in changed if r.attendance == StudyRecord.Attendance.ABSENT]
    if absent:
        from teacher.tasks import absences_alert

        enqueue_on_commit(
            absences_alert, record_ids=absent, language=get_language() or "zh-hans"
        )
    return changed


@transaction.atomic
def grades_save(
    *,
    course_record: CourseRecord,
    grades: Mapping[int, tuple[int | None, str]],
    by: User,
    confirmed_without_homework: Collection[int] = (),
) -> list[StudyRecord]:
    """Store scores and comments: study record id -> (score or None, comment).

    A changed grade records who gave it and when; clearing the score makes
    the lesson ungraded again. Unchanged records are not touched. Return the
    records that changed.

    A mark (not N/A or COPY) newly given for a lesson with homework to a
    student who handed nothing in is most often a slip of the row; unless
    the record's id is in ``confirmed_without_homework`` (homework handed in
    on paper, say), nothing is saved and GradedWithoutHomework names them.
    """
    _check_teaches(class_list=course_record.class_list, user=by)
    records = _records_of(course_record, grades)
    now = timezone.now()
    changed = []
    errors = {}
    unconfirmed = []
    for pk, (score, comment) in grades.items():
        record = records[pk]
        comment = comment.strip()
        if (record.score, record.teacher_comment) == (score, comment):
            continue
        if (
            course_record.has_homework
            and not record.homework_file
            and _is_mark(score)
            and not _is_mark(record.score)
            and pk not in confirmed_without_homework
        ):
            unconfirmed.append(record)
        record.score = score
        record.teacher_comment = comment
        record.graded_by = by if score is not None else None
        record.graded_at = now if score is not None else None
        try:
            # Only the fields typed in; the database checks the rest.
            record.full_clean(
                exclude=[
                    f.name
                    for f in StudyRecord._meta.fields
                    if f.name not in {"score", "teacher_comment"}
                ],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            errors[pk] = error
        changed.append(record)
    if errors:
        raise ValidationError(
            [
                ValidationError(
                    "%(student)s: %(errors)s",
                    params={
                        "student": records[pk].enrollment.customer,
                        "errors": " ".join(error.messages),
                    },
                )
                for pk, error in errors.items()
            ]
        )
    if unconfirmed:
        raise GradedWithoutHomework(
            sorted(unconfirmed, key=lambda r: (r.enrollment.customer.name, r.pk))
        )
    StudyRecord.objects.bulk_update(changed, GRADE_FIELDS)
    return changed
