"""Reads for the teacher portal.

Every read starts from what the teacher teaches (``classes_taught_by`` /
``lessons_taught_by``), so a view that looks an id up in these querysets
answers 404 for another teacher's class, lesson or student.
"""

import datetime

from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from crm.models import ClassList, Enrollment
from teacher.models import CourseRecord, StudyRecord

APPROVED = Q(enrollments__state=Enrollment.State.APPROVED)
# A student who came, even late or leaving early, attended the lesson.
ATTENDED = (
    StudyRecord.Attendance.PRESENT,
    StudyRecord.Attendance.LATE,
    StudyRecord.Attendance.LEFT_EARLY,
)
# A lesson held before the student joined the class, or missed on approved
# leave, is neither attended nor missed: attendance figures leave it out.
NOT_COUNTED = (StudyRecord.Attendance.NOT_ENROLLED, StudyRecord.Attendance.ON_LEAVE)
ENROLLED = ~Q(study_records__attendance__in=NOT_COUNTED)


def classes_taught_by(*, teacher: User) -> QuerySet[ClassList]:
    """Return the classes ``teacher`` teaches."""
    return ClassList.objects.filter(teachers=teacher).select_related("course", "branch")


def class_list_taught_by(*, teacher: User) -> QuerySet[ClassList]:
    """Return the classes ``teacher`` teaches, with counts and the next lesson.

    ``next_lesson_date`` is the earliest lesson recorded for today or later;
    ``last_lesson_number`` + 1 is the number the next new lesson record gets.
    """
    today = timezone.localdate()
    return (
        classes_taught_by(teacher=teacher)
        .annotate(
            student_count=Count("enrollments", filter=APPROVED, distinct=True),
            lesson_count=Count("course_records", distinct=True),
            last_lesson_number=Max("course_records__lesson_number"),
            next_lesson_date=Min(
                "course_records__date", filter=Q(course_records__date__gte=today)
            ),
        )
        .order_by("-start_date", "pk")
    )


def lessons_taught_by(*, teacher: User) -> QuerySet[CourseRecord]:
    """Return the lessons of every class ``teacher`` teaches."""
    return CourseRecord.objects.filter(class_list__teachers=teacher).select_related(
        "class_list__course"
    )


def class_students(*, class_list: ClassList) -> QuerySet[Enrollment]:
    """Return the approved enrollments of a class with attendance and scores.

    ``attended_count`` / ``lesson_count`` is the share of the student's
    lessons attended (present, late or left early), lessons held before they
    joined the class left out; ``average_score`` averages the graded
    lessons on the numeric scale of ``StudyRecord.Score`` (N/A counts 0,
    D -50, COPY -100), ungraded lessons left out.
    """
    return (
        Enrollment.objects.filter(
            class_list=class_list, state=Enrollment.State.APPROVED
        )
        .select_related("customer")
        .annotate(
            lesson_count=Count("study_records", filter=ENROLLED),
            attended_count=Count(
                "study_records",
                filter=Q(study_records__attendance__in=ATTENDED),
            ),
            late_count=Count(
                "study_records",
                filter=Q(study_records__attendance=StudyRecord.Attendance.LATE),
            ),
            absent_count=Count(
                "study_records",
                filter=Q(study_records__attendance=StudyRecord.Attendance.ABSENT),
            ),
            average_score=Avg("study_records__score"),
        )
        .order_by("customer__name", "pk")
    )


def class_lessons(*, class_list: ClassList) -> QuerySet[CourseRecord]:
    """Return the lessons of a class with attendance, homework and grading counts.

    ``enrolled_count`` leaves out the students who joined the class after the
    lesson (the denominator of ``attended_count``); ``student_count`` counts
    them, as they may still hand in its homework.
    """
    return (
        CourseRecord.objects.filter(class_list=class_list)
        .select_related("teacher")
        .annotate(
            student_count=Count("study_records"),
            enrolled_count=Count("study_records", filter=ENROLLED),
            attended_count=Count(
                "study_records",
                filter=Q(study_records__attendance__in=ATTENDED),
            ),
            submitted_count=Count(
                "study_records", filter=Q(study_records__submitted_at__isnull=False)
            ),
            graded_count=Count(
                "study_records", filter=Q(study_records__score__isnull=False)
            ),
        )
        .order_by("-lesson_number")
    )


def next_lesson_number(*, class_list: ClassList) -> int:
    """Return the number the next lesson of ``class_list`` gets by default."""
    last = CourseRecord.objects.filter(class_list=class_list).aggregate(
        last=Max("lesson_number")
    )["last"]
    return (last or 0) + 1


def lesson_study_records(*, course_record: CourseRecord) -> QuerySet[StudyRecord]:
    """Return the study records of a lesson, one per student, by student name."""
    return (
        StudyRecord.objects.filter(course_record=course_record)
        .select_related("enrollment__customer", "graded_by")
        .order_by("enrollment__customer__name", "pk")
    )


def sessions_to_record(*, class_list: ClassList, coming: int = 3) -> list:
    """Return the class's sessions up to today not recorded yet, and the next few.

    What the teacher records next: scheduled sessions up to today without a
    lesson record (``recordable``), then the ``coming`` next ones.
    """
    from timetable.models import ClassSession

    sessions = (
        ClassSession.objects.filter(
            class_list=class_list, status=ClassSession.Status.SCHEDULED
        )
        .select_related("room", "teacher")
        # Trial leads booked (timetable.trials), not cancelled.
        .annotate(
            trial_count=Count(
                "trial_lessons", filter=~Q(trial_lessons__state="cancelled")
            )
        )
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    start_of_tomorrow = timezone.make_aware(
        datetime.datetime.combine(tomorrow, datetime.time())
    )
    due = sessions.filter(
        starts_at__lt=start_of_tomorrow, course_record__isnull=True
    ).order_by("starts_at", "pk")[:20]
    later = sessions.filter(starts_at__gte=start_of_tomorrow).order_by(
        "starts_at", "pk"
    )[:coming]
    sessions = [*due, *later]
    for session in sessions:
        session.recordable = session.starts_at < start_of_tomorrow
    return sessions
