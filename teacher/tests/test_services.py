from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Enrollment
from teacher.models import CourseRecord, StudyRecord
from teacher.services import (
    GradedWithoutHomework,
    courserecord_create,
    grades_save,
    rollcall_save,
)
from teacher.tests.conftest import add_students, hand_in
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

Score = StudyRecord.Score


def create(school, teacher, **fields):
    values = {
        "class_list": school.mine,
        "teacher": teacher,
        "date": date(2026, 9, 3),
        "title": "Data types",
        "content": "int, str, list",
        "has_homework": True,
        "homework_title": "Guess the number",
        "homework_requirements": "At most 7 tries.",
    }
    return courserecord_create(**{**values, **fields})


def test_new_lesson_gets_the_next_number_and_a_record_per_approved_student(
    school, teacher
):
    EnrollmentFactory(class_list=school.mine, state=Enrollment.State.SUBMITTED)
    lesson = create(school, teacher)
    assert lesson.lesson_number == 2
    assert lesson.teacher == teacher
    records = StudyRecord.objects.filter(course_record=lesson)
    assert {r.enrollment for r in records} == set(school.enrollments)
    assert {(r.attendance, r.score, r.graded_by) for r in records} == {
        ("present", None, None)
    }


def test_a_lesson_number_the_class_has_is_refused(school, teacher):
    with pytest.raises(ValidationError) as error:
        create(school, teacher, lesson_number=1)
    assert error.value.message_dict == {
        "lesson_number": ["This class already has a lesson with this number."]
    }
    assert CourseRecord.objects.filter(class_list=school.mine).count() == 1
    assert create(school, teacher, lesson_number=7).lesson_number == 7


def test_homework_needs_a_title_and_no_homework_drops_it(school, teacher):
    with pytest.raises(ValidationError) as error:
        create(school, teacher, homework_title=" ")
    assert "homework_title" in error.value.message_dict
    lesson = create(school, teacher, has_homework=False)
    assert (lesson.homework_title, lesson.homework_requirements) == ("", "")


def test_only_a_teacher_of_the_class_creates_its_lessons(school, other_teacher):
    with pytest.raises(ValidationError, match="does not teach"):
        create(school, other_teacher)
    assert not CourseRecord.objects.filter(title="Data types").exists()


def test_creating_a_lesson_takes_the_same_queries_for_3_or_60_students(school, teacher):
    with CaptureQueriesContext(connection) as few:
        create(school, teacher)
    add_students(school.mine, [f"Student {n}" for n in range(57)])
    with CaptureQueriesContext(connection) as many:
        lesson = create(school, teacher)
    assert lesson.study_records.count() == 60
    assert len(many.captured_queries) == len(few.captured_queries) <= 20


def test_roll_call_changes_only_the_states_given(school, teacher):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    changed = rollcall_save(
        course_record=school.lesson,
        attendance={kobe.pk: "late", li.pk: "present"},
        by=teacher,
    )
    assert [r.pk for r in changed] == [kobe.pk]
    kobe.refresh_from_db()
    assert kobe.attendance == "late"
    # Taken again later: corrected.
    rollcall_save(
        course_record=school.lesson,
        attendance={kobe.pk: "present", han.pk: "left_early"},
        by=teacher,
    )
    states = dict(
        StudyRecord.objects.filter(course_record=school.lesson).values_list(
            "pk", "attendance"
        )
    )
    assert states == {kobe.pk: "present", li.pk: "present", han.pk: "left_early"}


def test_roll_call_refuses_other_lessons_records_and_unknown_states(school, teacher):
    kobe = school.record_of(school.enrollments[0])
    foreign = school.their_lesson.study_records.get()
    with pytest.raises(ValidationError, match="not of this lesson"):
        rollcall_save(
            course_record=school.lesson,
            attendance={kobe.pk: "late", foreign.pk: "absent"},
            by=teacher,
        )
    with pytest.raises(ValidationError, match="Unknown attendance state"):
        rollcall_save(
            course_record=school.lesson, attendance={kobe.pk: "asleep"}, by=teacher
        )
    kobe.refresh_from_db()
    foreign.refresh_from_db()
    assert (kobe.attendance, foreign.attendance) == ("present", "present")


def test_roll_call_queries_do_not_grow_with_students(school, teacher):
    def take_roll_call():
        ids = school.lesson.study_records.values_list("pk", flat=True)
        with CaptureQueriesContext(connection) as queries:
            rollcall_save(
                course_record=school.lesson,
                attendance=dict.fromkeys(ids, "absent"),
                by=teacher,
            )
        return len(queries.captured_queries)

    few = take_roll_call()
    add_students(school.mine, [f"Student {n}" for n in range(40)], [school.lesson])
    assert take_roll_call() == few


def test_grades_record_who_graded_and_when_and_clearing_ungrades(school, teacher):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    hand_in(kobe, b"print(1)")
    changed = grades_save(
        course_record=school.lesson,
        grades={
            kobe.pk: (Score.B_PLUS, " Neat code. "),
            li.pk: (Score.COPY, "Same as Han's."),
            han.pk: (None, ""),
        },
        by=teacher,
    )
    assert {r.pk for r in changed} == {kobe.pk, li.pk}
    kobe.refresh_from_db()
    assert (kobe.score, kobe.teacher_comment, kobe.graded_by) == (
        85,
        "Neat code.",
        teacher,
    )
    assert kobe.graded_at is not None
    grades_save(
        course_record=school.lesson, grades={kobe.pk: (None, "Redo it.")}, by=teacher
    )
    kobe.refresh_from_db()
    assert (kobe.score, kobe.teacher_comment, kobe.graded_by, kobe.graded_at) == (
        None,
        "Redo it.",
        None,
        None,
    )


def test_unchanged_grades_keep_their_grader(school, teacher, other_teacher):
    kobe = school.record_of(school.enrollments[0])
    hand_in(kobe, b"print(1)")
    grades_save(course_record=school.lesson, grades={kobe.pk: (90, "")}, by=teacher)
    school.mine.teachers.add(other_teacher)
    changed = grades_save(
        course_record=school.lesson, grades={kobe.pk: (90, "")}, by=other_teacher
    )
    assert changed == []
    kobe.refresh_from_db()
    assert kobe.graded_by == teacher


def test_a_score_off_the_scale_is_refused(school, teacher):
    kobe = school.record_of(school.enrollments[0])
    with pytest.raises(ValidationError, match="Kobe"):
        grades_save(course_record=school.lesson, grades={kobe.pk: (95, "")}, by=teacher)
    kobe.refresh_from_db()
    assert kobe.score is None


def test_only_a_teacher_of_the_class_grades(school, other_teacher):
    kobe = school.record_of(school.enrollments[0])
    with pytest.raises(ValidationError, match="does not teach"):
        grades_save(
            course_record=school.lesson, grades={kobe.pk: (90, "")}, by=other_teacher
        )


def test_a_mark_for_a_student_who_handed_nothing_in_needs_confirming(school, teacher):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    hand_in(kobe, b"print(1)")
    grades = {kobe.pk: (Score.A, ""), li.pk: (Score.B, ""), han.pk: (Score.D, "")}
    with pytest.raises(GradedWithoutHomework) as refused:
        grades_save(course_record=school.lesson, grades=grades, by=teacher)
    assert [r.pk for r in refused.value.records] == [han.pk, li.pk]
    assert refused.value.messages == ["Nothing was handed in by Han, 李雷."]
    # Nothing was saved, not even the mark of the student who handed in.
    assert not StudyRecord.objects.filter(score__isnull=False).exists()

    # A confirmation covers the students it names, no one else.
    with pytest.raises(GradedWithoutHomework) as refused:
        grades_save(
            course_record=school.lesson,
            grades=grades,
            by=teacher,
            confirmed_without_homework={li.pk},
        )
    assert [r.pk for r in refused.value.records] == [han.pk]
    changed = grades_save(
        course_record=school.lesson,
        grades=grades,
        by=teacher,
        confirmed_without_homework={li.pk, han.pk},
    )
    assert {r.pk for r in changed} == {kobe.pk, li.pk, han.pk}
    scores = dict(school.lesson.study_records.values_list("pk", "score"))
    assert scores == {kobe.pk: Score.A, li.pk: Score.B, han.pk: Score.D}


def test_na_copy_and_no_score_need_no_confirmation(school, teacher):
    kobe, li, han = (school.record_of(e) for e in school.enrollments)
    changed = grades_save(
        course_record=school.lesson,
        grades={
            kobe.pk: (Score.NOT_APPLICABLE, "Nothing handed in."),
            li.pk: (Score.COPY, "Same as Han's."),
            han.pk: (None, "Hand it in by Friday."),
        },
        by=teacher,
    )
    assert len(changed) == 3


def test_a_mark_already_given_can_be_changed_without_a_new_confirmation(
    school, teacher
):
    li = school.record_of(school.enrollments[1])
    grades_save(
        course_record=school.lesson,
        grades={li.pk: (Score.B, "")},
        by=teacher,
        confirmed_without_homework={li.pk},
    )
    grades_save(
        course_record=school.lesson,
        grades={li.pk: (Score.B_PLUS, "Better.")},
        by=teacher,
    )
    li.refresh_from_db()
    assert (li.score, li.teacher_comment) == (Score.B_PLUS, "Better.")
    # From N/A to a mark is a new mark.
    grades_save(
        course_record=school.lesson,
        grades={li.pk: (Score.NOT_APPLICABLE, "")},
        by=teacher,
    )
    with pytest.raises(GradedWithoutHomework):
        grades_save(
            course_record=school.lesson, grades={li.pk: (Score.A, "")}, by=teacher
        )


def test_a_lesson_without_homework_is_graded_without_confirmation(school, teacher):
    lesson = CourseRecord.objects.create(
        class_list=school.mine,
        lesson_number=2,
        teacher=teacher,
        date=date(2026, 9, 8),
        title="Quiz in class",
        has_homework=False,
    )
    record = StudyRecord.objects.create(
        enrollment=school.enrollments[0], course_record=lesson
    )
    grades_save(course_record=lesson, grades={record.pk: (Score.A, "")}, by=teacher)
    record.refresh_from_db()
    assert record.score == Score.A


def test_not_enrolled_yet_can_be_kept_or_corrected_but_never_given(school, teacher):
    kobe, li, _han = (school.record_of(e) for e in school.enrollments)
    StudyRecord.objects.filter(pk=li.pk).update(attendance="not_enrolled")
    assert rollcall_save(
        course_record=school.lesson,
        attendance={li.pk: "not_enrolled", kobe.pk: "late"},
        by=teacher,
    ) == [kobe]
    with pytest.raises(ValidationError, match=r"Not enrolled yet.*: Kobe"):
        rollcall_save(
            course_record=school.lesson,
            attendance={kobe.pk: "not_enrolled"},
            by=teacher,
        )
    # A trial lesson the student did attend.
    rollcall_save(
        course_record=school.lesson, attendance={li.pk: "present"}, by=teacher
    )
    li.refresh_from_db()
    assert li.attendance == "present"
