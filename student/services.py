"""Writes of the student portal: homework submissions, questions and answers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notification_send
from crm.models import ClassList, Enrollment
from student.homework_files import check_homework
from student.models import Answer, Question
from teacher.models import StudyRecord


def homework_submit(
    *, study_record: StudyRecord, upload: UploadedFile, by: User
) -> StudyRecord:
    """Store ``upload`` as ``by``'s homework for the lesson of ``study_record``.

    The file is checked by content (``student.homework_files``) and stored
    under a generated name with the extension of its detected type; the
    client's base name is kept for display. An earlier submission is replaced
    (its file deleted after commit) until the teacher grades the lesson, then
    the homework is final. Raise ValidationError with code "graded",
    "no_homework" or a file check code; PermissionDenied if the record is not
    ``by``'s own.
    """
    checked = check_homework(upload)
    with transaction.atomic():
        record = (
            StudyRecord.objects.select_for_update()
            .select_related("course_record", "enrollment__customer")
            .get(pk=study_record.pk)
        )
        enrollment = record.enrollment
        if (
            enrollment.customer.user_id != by.pk
            or enrollment.state != Enrollment.State.APPROVED
        ):
            raise PermissionDenied
        if record.score is not None:
            raise ValidationError(
                _("This lesson is graded: its homework can no longer be replaced."),
                code="graded",
            )
        if not record.course_record.has_homework:
            raise ValidationError(_("This lesson has no homework."), code="no_homework")
        previous = record.homework_file.name
        record.homework_file.save(f"homework{checked.extension}", upload, save=False)
        stored = record.homework_file.name
        try:
            record.homework_original_name = checked.original_name
            record.submitted_at = timezone.now()
            record.full_clean()
            record.save(
                update_fields=[
                    "homework_file",
                    "homework_original_name",
                    "submitted_at",
                ]
            )
        except BaseException:
            record.homework_file.storage.delete(stored)
            raise
        if previous:
            storage = record.homework_file.storage
            transaction.on_commit(lambda: storage.delete(previous))
    study_record.refresh_from_db()
    return study_record


def question_ask(
    *, author: User, title: str, body: str, class_list: ClassList | None = None
) -> Question:
    """Record ``author``'s question, optionally about one of their classes.

    The class must be one the author is enrolled in. The class's teachers who
    may answer questions are notified.
    """
    if (
        class_list is not None
        and not Enrollment.objects.filter(
            customer__user=author,
            class_list=class_list,
            state=Enrollment.State.APPROVED,
        ).exists()
    ):
        raise ValidationError(
            {"class_list": _("You can only ask about a class you attend.")},
            code="not_enrolled",
        )
    question = Question(
        author=author, title=title.strip(), body=body.strip(), class_list=class_list
    )
    with transaction.atomic():
        question.full_clean()
        question.save()
        if class_list is not None:
            link = reverse("student:question_answer", args=[question.pk])
            for teacher in class_list.teachers.filter(is_active=True):
                if teacher.has_perm("student.answer_questions") or teacher.has_perm(
                    "student.answer_all_questions"
                ):
                    notification_send(
                        recipient=teacher,
                        text=_("New question in %(class)s: “%(title)s”")
                        % {"class": class_list, "title": question.title},
                        link=link,
                    )
    return question


def question_answer(*, question: Question, author: User, body: str) -> Answer:
    """Add ``author``'s answer to ``question``, mark it answered, notify the asker.

    An answered question becomes searchable by every student. Who may answer
    which question is the view's permission rule.
    """
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        answer = Answer(question=question, author=author, body=body.strip())
        answer.full_clean()
        answer.save()
        if question.status != Question.Status.ANSWERED:
            question.status = Question.Status.ANSWERED
            question.save(update_fields=["status"])
        if question.author_id != author.pk:
            notification_send(
                recipient=question.author,
                text=_("%(user)s answered your question “%(title)s”.")
                % {"user": author, "title": question.title},
                link=reverse("student:question_detail", args=[question.pk]),
            )
    return answer
