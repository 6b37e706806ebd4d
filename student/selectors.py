"""Reads for the student portal; every read is scoped to the logged-in student.

A student's rows are reached through ``Enrollment.customer.user``: only
approved enrollments of the customer linked to the logged-in user count, and
a lookup of anything else (another student's enrollment, document, homework
or question) finds nothing, which the views turn into a 404.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from crm.models import ClassList, Enrollment, EnrollmentDocument, Payment
from student.models import Answer, Question
from teacher.models import CourseRecord, StudyRecord

SEARCH_MAX_LENGTH = 100
SEARCH_MAX_TERMS = 5
SEARCH_MAX_RESULTS = 20


# --- enrollments ---------------------------------------------------------------


def _my_enrollments(user: User) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        customer__user=user, state=Enrollment.State.APPROVED
    )


def _count_of(queryset: QuerySet) -> Coalesce:
    """Return a correlated COUNT(*) subquery of ``queryset`` (0 when empty)."""
    counted = (
        queryset.order_by()
        .values(constant=Value(1))
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def enrollment_list_of_student(*, user: User) -> QuerySet[Enrollment]:
    """Return the approved enrollments of the customer linked to ``user``.

    Each carries ``lessons_held`` (lessons dated today or earlier) and
    ``lessons_total`` (every lesson recorded for the class).
    """
    lessons = CourseRecord.objects.filter(class_list=OuterRef("class_list"))
    return (
        _my_enrollments(user)
        .select_related("class_list__course", "class_list__branch")
        .prefetch_related(
            Prefetch(
                "class_list__teachers",
                queryset=User.objects.order_by("display_name", "username"),
            )
        )
        .annotate(
            lessons_total=_count_of(lessons),
            lessons_held=_count_of(lessons.filter(date__lte=timezone.localdate())),
        )
        .order_by("-class_list__start_date", "pk")
    )


def enrollment_of_student(*, user: User, pk: int) -> Enrollment:
    """Return ``user``'s approved enrollment ``pk`` with its class; 404 otherwise."""
    return get_object_or_404(
        _my_enrollments(user).select_related(
            "class_list__course", "class_list__branch"
        ),
        pk=pk,
    )


def enrollment_contract_of_student(*, user: User, pk: int) -> Enrollment:
    """Return enrollment ``pk`` of ``user`` ready for the contract page; else 404.

    The contract terms come along; payments (with their receipts), the
    payment plan, suspensions and the customer's ID documents are prefetched.
    """
    return get_object_or_404(
        _my_enrollments(user)
        .select_related(
            "customer",
            "approved_by",
            "class_list__course",
            "class_list__branch",
            "class_list__contract_template",
            "contract_terms",
        )
        .prefetch_related(
            Prefetch(
                "payments", queryset=Payment.objects.select_related("entry__receipt")
            ),
            "documents",
            "instalments",
            "suspensions",
        ),
        pk=pk,
    )


def document_of_student(*, user: User, pk: int, document_id: int) -> EnrollmentDocument:
    """Return ID document ``document_id`` of ``user``'s enrollment ``pk``; else 404."""
    return get_object_or_404(
        EnrollmentDocument,
        pk=document_id,
        enrollment__in=_my_enrollments(user).filter(pk=pk),
    )


# --- lessons and homework ------------------------------------------------------


class HomeworkStatus:
    NONE = "none"  # the lesson has no homework
    NOT_SUBMITTED = "not_submitted"
    SUBMITTED = "submitted"
    GRADED = "graded"


def homework_status(lesson: CourseRecord, record: StudyRecord | None) -> str:
    """Return the homework status of ``record`` for ``lesson``.

    Graded means the teacher gave a score; a graded lesson's homework cannot
    be replaced any more.
    """
    if record is not None and record.score is not None:
        return HomeworkStatus.GRADED
    if not lesson.has_homework:
        return HomeworkStatus.NONE
    if record is not None and record.homework_file:
        return HomeworkStatus.SUBMITTED
    return HomeworkStatus.NOT_SUBMITTED


@dataclass
class LessonRow:
    """One lesson of the class page with the student's own record of it."""

    lesson: CourseRecord
    record: StudyRecord | None
    homework_status: str
    class_average: float | None = None

    @property
    def can_submit(self) -> bool:
        return self.record is not None and self.homework_status in {
            HomeworkStatus.NOT_SUBMITTED,
            HomeworkStatus.SUBMITTED,
        }


def lesson_rows_of_enrollment(enrollment: Enrollment) -> list[LessonRow]:
    """Return the class's lessons in order, each with this student's record.

    Two queries whatever the number of lessons: the lessons, and this
    enrollment's study records of them.
    """
    lessons = (
        CourseRecord.objects.filter(class_list_id=enrollment.class_list_id)
        .order_by("lesson_number")
        .prefetch_related(
            Prefetch(
                "study_records",
                queryset=StudyRecord.objects.filter(enrollment=enrollment),
                to_attr="my_records",
            )
        )
    )
    rows = []
    for lesson in lessons:
        record = lesson.my_records[0] if lesson.my_records else None
        rows.append(LessonRow(lesson, record, homework_status(lesson, record)))
    return rows


def study_record_of_student(*, user: User, pk: int) -> StudyRecord:
    """Return study record ``pk`` of one of ``user``'s enrollments; else 404."""
    return get_object_or_404(
        StudyRecord.objects.select_related(
            "course_record__class_list", "enrollment__customer"
        ),
        pk=pk,
        enrollment__in=_my_enrollments(user),
    )


# --- grades and ranking --------------------------------------------------------


@dataclass
class Standing:
    """One student's place in a class; other students stay anonymous."""

    average: float | None = None
    total: int | None = None
    graded: int = 0
    rank: int | None = None


@dataclass
class ClassRanking:
    ranked: int = 0
    class_average: float | None = None
    standings: dict[int, Standing] = field(default_factory=dict)

    def of(self, enrollment_id: int) -> Standing:
        return self.standings.get(enrollment_id, Standing())


def class_rankings(*, class_list_ids) -> dict[int, ClassRanking]:
    """Return the ranking of each class, keyed by class id, in one query.

    The school's rule:

    * A student's **average** is the mean of their scores over the lessons
      that have been graded. Every mark counts with its number on the scale:
      A+ 100, A 90, B+ 85, B 80, B- 70, C+ 60, C 50, C- 40, **N/A 0**
      (no homework handed in / not applicable), **D -50** (failed) and
      **COPY -100** (copied homework), so N/A, D and COPY pull the average
      down. Lessons not graded yet (no score) do not count at all.
    * Students are **ranked** by average, higher first; equal averages share
      a rank and the next rank is skipped (competition ranking: 1, 1, 3).
      Students without any graded lesson are not ranked.
    * The **class average** is the mean of the ranked students' averages,
      each student weighing the same.

    Averages come from the database (AVG per enrollment, RANK() over the
    class), never from a loop over lessons.
    """
    rows = (
        Enrollment.objects.filter(
            class_list_id__in=list(class_list_ids), state=Enrollment.State.APPROVED
        )
        .values("pk", "class_list_id")
        .annotate(
            average=Avg("study_records__score"),
            total=Sum("study_records__score"),
            graded=Count("study_records__score"),
        )
        .filter(graded__gt=0)
        .annotate(
            rank=Window(
                Rank(),
                partition_by=[F("class_list_id")],
                order_by=F("average").desc(),
            )
        )
        .order_by()
    )
    rankings: dict[int, ClassRanking] = {}
    for row in rows:
        ranking = rankings.setdefault(row["class_list_id"], ClassRanking())
        ranking.standings[row["pk"]] = Standing(
            average=float(row["average"]),
            total=row["total"],
            graded=row["graded"],
            rank=row["rank"],
        )
    for ranking in rankings.values():
        averages = [s.average for s in ranking.standings.values()]
        ranking.ranked = len(averages)
        ranking.class_average = sum(averages) / len(averages)
    return rankings


def lesson_class_averages(*, class_list_id: int) -> dict[int, float]:
    """Return the class's average score of each graded lesson, by lesson id."""
    rows = (
        StudyRecord.objects.filter(
            course_record__class_list_id=class_list_id,
            score__isnull=False,
            enrollment__state=Enrollment.State.APPROVED,
        )
        .values("course_record_id")
        .annotate(average=Avg("score"))
        .order_by()
    )
    return {row["course_record_id"]: float(row["average"]) for row in rows}


# --- questions and answers -----------------------------------------------------

_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_SPACES = re.compile(r"\s+")


def normalize_search_text(query: str | None) -> str:
    """Return ``query`` cleaned for searching: printable, bounded, single-spaced.

    Control and invisible characters (NUL included: PostgreSQL refuses it in
    text) are dropped and the input is cut to SEARCH_MAX_LENGTH characters.
    """
    cleaned = "".join(
        " " if char.isspace() else char
        for char in (query or "")[: SEARCH_MAX_LENGTH * 4]
        if char.isspace() or unicodedata.category(char) not in _INVISIBLE
    )
    return _SPACES.sub(" ", cleaned).strip()[:SEARCH_MAX_LENGTH].strip()


def normalize_search(query: str | None) -> list[str]:
    """Return the search terms of ``query``: at most SEARCH_MAX_TERMS, maybe none."""
    return normalize_search_text(query).split()[:SEARCH_MAX_TERMS]


def _with_answers(queryset: QuerySet[Question]) -> QuerySet[Question]:
    return queryset.select_related("class_list").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.select_related("author"))
    )


def question_search(*, query: str | None) -> QuerySet[Question]:
    """Return answered questions matching every term of ``query``, newest first.

    A term matches the title, the question or one of its answers
    (case-insensitive substring, so Chinese text needs no word splitting).
    An empty query matches nothing.
    """
    terms = normalize_search(query)
    if not terms:
        return Question.objects.none()
    condition = Q()
    for term in terms:
        in_answers = Answer.objects.filter(
            question=OuterRef("pk"), body__icontains=term
        )
        condition &= (
            Q(title__icontains=term) | Q(body__icontains=term) | Q(Exists(in_answers))
        )
    return _with_answers(
        Question.objects.filter(condition, status=Question.Status.ANSWERED)
    )[:SEARCH_MAX_RESULTS]


def question_list_of_author(*, user: User) -> QuerySet[Question]:
    """Return the questions ``user`` asked, with their answers."""
    return _with_answers(Question.objects.filter(author=user))


def question_visible_to_student(*, user: User, pk: int) -> Question:
    """Return question ``pk`` if ``user`` asked it or it is answered; else 404."""
    return get_object_or_404(
        _with_answers(Question.objects.all()),
        Q(author=user) | Q(status=Question.Status.ANSWERED),
        pk=pk,
    )


def class_lists_of_student(*, user: User) -> QuerySet[ClassList]:
    """Return the classes ``user`` is enrolled in (approved)."""
    return ClassList.objects.filter(
        enrollments__in=_my_enrollments(user)
    ).select_related("course")


def questions_answerable_by(user: User, queryset: QuerySet[Question]) -> QuerySet:
    """Return the questions of ``queryset`` that ``user`` teaches or that have no class.

    The row rule of the "answer_questions" permission.
    """
    return queryset.filter(
        Q(class_list__isnull=True)
        | Q(class_list__in=ClassList.objects.filter(teachers=user))
    )


def open_question_list(queryset: QuerySet[Question]) -> QuerySet[Question]:
    """Return the open questions of ``queryset`` (already row-scoped), oldest first."""
    return (
        queryset.filter(status=Question.Status.OPEN)
        .select_related("author", "class_list")
        .order_by("created_at", "pk")
    )


def question_for_answering(queryset: QuerySet[Question], *, pk: int) -> Question:
    """Return question ``pk`` of the row-scoped ``queryset``, answers too; or 404."""
    return get_object_or_404(_with_answers(queryset).select_related("author"), pk=pk)
