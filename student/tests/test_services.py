"""Writes of the student portal: homework, questions, answers."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from accounts.models import Notification
from student.models import Answer, Question
from student.services import homework_submit, question_answer, question_ask
from student.tests.conftest import grade, upload
from teacher.models import CourseRecord
from tests.factories import ClassListFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_homework_is_stored_under_a_generated_name_with_the_detected_extension(
    school,
):
    record = school.record(school.lessons[1])
    homework_submit(
        study_record=record,
        upload=upload("..\\my\x07 homework.PY", b"print('hi')\n"),
        by=school.user,
    )
    record.refresh_from_db()
    lesson_id = school.lessons[1].pk
    assert re.fullmatch(
        rf"private/homework/{lesson_id}/[0-9a-f]{{32}}\.py", record.homework_file.name
    )
    assert record.homework_original_name == "my homework.PY"
    assert record.submitted_at is not None
    assert record.homework_file.read() == b"print('hi')\n"


def test_a_binary_with_a_text_name_is_refused_and_nothing_is_stored(school):
    record = school.record(school.lessons[1])
    with pytest.raises(ValidationError) as caught:
        homework_submit(
            study_record=record,
            upload=upload("hello.py", b"\x7fELF\x02\x01\x01\x00"),
            by=school.user,
        )
    assert caught.value.code == "bad_type"
    record.refresh_from_db()
    assert not record.homework_file and record.submitted_at is None


def test_homework_can_be_replaced_before_grading_and_the_old_file_goes(
    school, django_capture_on_commit_callbacks
):
    record = school.record(school.lessons[1])
    homework_submit(study_record=record, upload=upload("a.py", b"1\n"), by=school.user)
    first = record.homework_file.name
    with django_capture_on_commit_callbacks(execute=True):
        homework_submit(
            study_record=record, upload=upload("b.md", b"# 2\n"), by=school.user
        )
    record.refresh_from_db()
    assert record.homework_file.name.endswith(".md") and record.homework_file != first
    assert record.homework_original_name == "b.md"
    assert not default_storage.exists(first)
    assert default_storage.exists(record.homework_file.name)


def test_graded_homework_cannot_be_replaced(school):
    record = school.record(school.lessons[1])
    homework_submit(study_record=record, upload=upload("a.py", b"1\n"), by=school.user)
    record.refresh_from_db()
    grade(record, 85)
    with pytest.raises(ValidationError) as caught:
        homework_submit(
            study_record=record, upload=upload("b.py", b"2\n"), by=school.user
        )
    assert caught.value.code == "graded"
    record.refresh_from_db()
    assert record.homework_original_name == "a.py"


def test_lesson_without_homework_takes_no_file(school):
    lesson = school.lessons[1]
    CourseRecord.objects.filter(pk=lesson.pk).update(
        has_homework=False, homework_title=""
    )
    with pytest.raises(ValidationError) as caught:
        homework_submit(
            study_record=school.record(lesson),
            upload=upload("a.py", b"1\n"),
            by=school.user,
        )
    assert caught.value.code == "no_homework"


def test_nobody_submits_for_another_student(school):
    record = school.record(school.lessons[1], school.classmate)
    with pytest.raises(PermissionDenied):
        homework_submit(
            study_record=record, upload=upload("a.py", b"1\n"), by=school.user
        )
    record.refresh_from_db()
    assert not record.homework_file


def test_question_about_an_own_class_notifies_its_teachers_who_may_answer(school):
    silent = UserFactory(username="silent")  # teaches, may not answer
    school.class_list.teachers.add(silent)
    question = question_ask(
        author=school.user,
        title="  What is a decorator?  ",
        body="In lesson 1 ...",
        class_list=school.class_list,
    )
    assert question.title == "What is a decorator?"
    assert question.status == Question.Status.OPEN
    note = Notification.objects.get(recipient=school.teacher)
    assert "What is a decorator?" in note.text
    assert note.link == f"/student/questions/{question.pk}/answer/"
    assert not Notification.objects.filter(recipient=silent).exists()


def test_question_about_a_class_one_does_not_attend_is_refused(school):
    with pytest.raises(ValidationError) as caught:
        question_ask(
            author=school.user,
            title="Hi",
            body="?",
            class_list=ClassListFactory(),
        )
    assert "class_list" in caught.value.message_dict
    assert not Question.objects.exists()


def test_question_without_title_is_refused(school):
    with pytest.raises(ValidationError):
        question_ask(author=school.user, title="   ", body="Body")


def test_answer_marks_the_question_answered_and_notifies_the_asker(school):
    question = question_ask(author=school.user, title="Venv?", body="How?")
    answer = question_answer(
        question=question, author=school.teacher, body=" Use python -m venv. "
    )
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED
    assert answer.body == "Use python -m venv."
    note = Notification.objects.get(recipient=school.user)
    assert note.text == "Alex answered your question “Venv?”."
    assert note.link == f"/student/questions/{question.pk}/"


def test_empty_answer_is_refused(school):
    question = question_ask(author=school.user, title="Venv?", body="How?")
    with pytest.raises(ValidationError):
        question_answer(question=question, author=school.teacher, body="  ")
    question.refresh_from_db()
    assert question.status == Question.Status.OPEN
    assert not Answer.objects.exists()


def test_answer_rule_permissions_exist_after_migrate(db):
    codenames = set(
        Permission.objects.filter(content_type__app_label="student").values_list(
            "codename", flat=True
        )
    )
    assert {
        "use_student_portal",
        "answer_questions",
        "answer_all_questions",
    } <= codenames
