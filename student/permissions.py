"""Permission rules of the student portal and of answering students' questions.

``use_student_portal`` opens every page of a student's own study; the rows
are always the logged-in student's (the selectors filter by the user, any
other id is a 404). Answering questions is staff work with two rules:
``answer_questions`` (teachers: questions of the classes they teach and
questions about no class) and ``answer_all_questions`` (every question).
Superusers pass every rule unrestricted. In kingadmin, questions follow the
row rules of their class (a question about no class only for those who may
view every class) and answers those of their question.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from kingadmin.permissions import (
    PermissionRule,
    Route,
    all_rows,
    inherit_scope,
    register,
)


def questions_of_my_classes(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the questions about a class the user teaches or about no class."""
    from student.selectors import questions_answerable_by

    return questions_answerable_by(request.user, queryset)


STUDENT_PAGES = (
    Route("student:home", {"GET"}),
    Route("student:class_detail", {"GET"}),
    Route("student:grades", {"GET"}),
    Route("student:contract", {"GET"}),
    Route("student:document", {"GET"}),
    Route("student:receipt", {"GET"}),
    Route("student:homework_submit", {"POST"}),
    Route("student:homework_file", {"GET"}),
    Route("student:questions", {"GET", "POST"}),
    Route("student:question_detail", {"GET"}),
)
ANSWER_PAGES = (
    Route("student:question_open_list", {"GET"}),
    Route("student:question_answer", {"GET", "POST"}),
)

register(
    PermissionRule(
        "student.question",
        "use_student_portal",
        gettext_noop("Can use the student portal"),
        STUDENT_PAGES,
        help=gettext_noop(
            "A student's own classes, syllabus, contract, homework, grades and "
            "questions. For students' accounts."
        ),
    ),
    PermissionRule(
        "student.question",
        "answer_questions",
        gettext_noop("Can answer students' questions about own classes"),
        ANSWER_PAGES,
        hook=questions_of_my_classes,
        help=gettext_noop(
            "The open questions of the classes one teaches, and those about no class."
        ),
    ),
    PermissionRule(
        "student.question",
        "answer_all_questions",
        gettext_noop("Can answer every student's question"),
        ANSWER_PAGES,
        hook=all_rows,
        help=gettext_noop("The open questions of every class."),
    ),
)

inherit_scope("student.question", through="class_list")
inherit_scope("student.answer", through="question")
