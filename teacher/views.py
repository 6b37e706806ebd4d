"""Pages of the teacher portal.

Every class, lesson and study record is looked up among those of the
logged-in teacher's classes: another id answers 404, as if it did not exist.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.models import ClassList
from crm.private_files import protect_download
from kingadmin.decorators import rule_required
from kingadmin.export import content_disposition
from teacher.forms import (
    CourseRecordForm,
    GradingForm,
    RollCallForm,
    SessionRecordForm,
)
from teacher.homework import (
    homework_archive_entries,
    homework_archive_name,
    homework_file_name,
)
from teacher.models import CourseRecord, StudyRecord
from teacher.selectors import (
    class_lessons,
    class_list_taught_by,
    class_students,
    classes_taught_by,
    lesson_study_records,
    lessons_taught_by,
    next_lesson_number,
    sessions_to_record,
)
from teacher.services import (
    GradedWithoutHomework,
    courserecord_create,
    grades_save,
    rollcall_save,
)
from teacher.zipstream import stream_zip


def _my_class(request: HttpRequest, class_id: int) -> ClassList:
    return get_object_or_404(classes_taught_by(teacher=request.user), pk=class_id)


def _my_lesson(request: HttpRequest, lesson_id: int) -> CourseRecord:
    return get_object_or_404(lessons_taught_by(teacher=request.user), pk=lesson_id)


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _add_errors(form: Form, error: ValidationError) -> None:
    """Put a service's errors on the form: on their field when the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_GET
@rule_required
def class_list(request: HttpRequest) -> HttpResponse:
    """List the classes the logged-in teacher teaches."""
    return render(
        request,
        "teacher/class_list.html",
        {"classes": class_list_taught_by(teacher=request.user)},
    )


@require_GET
@rule_required
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    """Show a class: its students' attendance and scores, and its lessons."""
    class_list = _my_class(request, class_id)
    return render(
        request,
        "teacher/class_detail.html",
        {
            "class": class_list,
            "students": class_students(class_list=class_list),
            "lessons": class_lessons(class_list=class_list),
            "sessions": sessions_to_record(class_list=class_list),
        },
    )


@require_http_methods(["GET", "POST"])
@rule_required
def lesson_create(request: HttpRequest, class_id: int) -> HttpResponse:
    """Record a lesson of a class, with a study record for each student."""
    class_list = _my_class(request, class_id)
    form = CourseRecordForm(
        _posted(request), next_number=next_lesson_number(class_list=class_list)
    )
    if request.method == "POST" and form.is_valid():
        try:
            lesson = courserecord_create(
                class_list=class_list, teacher=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Lesson %(number)s of %(class)s was recorded.")
                % {"number": lesson.lesson_number, "class": class_list},
            )
            return redirect("teacher:class_detail", class_id=class_list.pk)
    return render(
        request, "teacher/lesson_form.html", {"class": class_list, "form": form}
    )


@require_http_methods(["GET", "POST"])
@rule_required
def session_record(request: HttpRequest, session_id: int) -> HttpResponse:
    """Record the lesson a scheduled session of one's class held, then the roll call."""
    from timetable.models import ClassSession
    from timetable.services import session_record as record_session

    session = get_object_or_404(
        ClassSession.objects.select_related("class_list__course", "room").filter(
            class_list__in=classes_taught_by(teacher=request.user)
        ),
        pk=session_id,
    )
    if session.course_record_id:
        return redirect("teacher:roll_call", lesson_id=session.course_record_id)
    form = SessionRecordForm(_posted(request), session=session)
    if request.method == "POST" and form.is_valid():
        try:
            lesson = record_session(
                session=session, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Lesson %(number)s of %(class)s was recorded.")
                % {"number": lesson.lesson_number, "class": session.class_list},
            )
            return redirect("teacher:roll_call", lesson_id=lesson.pk)
    return render(
        request,
        "teacher/lesson_form.html",
        {"class": session.class_list, "form": form, "session": session},
    )


@require_http_methods(["GET", "POST"])
@rule_required
def roll_call(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Take (or correct) the roll call of a lesson in one form."""
    from timetable.models import ClassSession
    from timetable.trials import session_trials, trials_mark

    lesson = _my_lesson(request, lesson_id)
    # Trial leads of the session this lesson records (none for a lesson
    # recorded by hand): on the roll call, never in the study records.
    sessions = ClassSession.objects.filter(course_record=lesson)
    form = RollCallForm(
        _posted(request),
        records=lesson_study_records(course_record=lesson),
        trials=session_trials(session_ids=sessions.values("pk")),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                rollcall_save(
                    course_record=lesson, attendance=form.attendance(), by=request.user
                )
                if trials := form.trial_attendance():
                    trials_mark(
                        session=sessions.get(), attended=trials, by=request.user
                    )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The roll call was saved."))
            return redirect("teacher:roll_call", lesson_id=lesson.pk)
    return render(
        request,
        "teacher/roll_call.html",
        {"lesson": lesson, "class": lesson.class_list, "form": form, "tab": "roll"},
    )


@require_GET
@rule_required
def homework(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Show who handed in the homework of a lesson, and when."""
    lesson = _my_lesson(request, lesson_id)
    records = list(lesson_study_records(course_record=lesson))
    return render(
        request,
        "teacher/homework.html",
        {
            "lesson": lesson,
            "class": lesson.class_list,
            "records": records,
            "submitted_count": sum(1 for r in records if r.homework_file),
            "archive_name": homework_archive_name(lesson),
            "tab": "homework",
        },
    )


@require_GET
@rule_required
def homework_download(request: HttpRequest, lesson_id: int, record_id: int):
    """Send one student's homework file as an attachment."""
    lesson = _my_lesson(request, lesson_id)
    record = get_object_or_404(
        StudyRecord.objects.select_related("enrollment__customer").exclude(
            homework_file=""
        ),
        pk=record_id,
        course_record=lesson,
    )
    try:
        file = record.homework_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        file,
        as_attachment=True,
        filename=homework_file_name(record),
        content_type="application/octet-stream",
    )
    return protect_download(response)


@require_GET
@rule_required
def homework_zip(request: HttpRequest, lesson_id: int) -> StreamingHttpResponse:
    """Stream every homework file of a lesson as one zip archive.

    The archive is written while it is sent: memory stays flat however many
    files it holds.
    """
    lesson = _my_lesson(request, lesson_id)
    entries = homework_archive_entries(course_record=lesson)
    response = StreamingHttpResponse(
        stream_zip(entries), content_type="application/zip"
    )
    response["Content-Disposition"] = content_disposition(homework_archive_name(lesson))
    return protect_download(response)


@require_http_methods(["GET", "POST"])
@rule_required
def grading(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Give each student of a lesson a score and a comment in one form."""
    lesson = _my_lesson(request, lesson_id)
    form = GradingForm(
        _posted(request), records=lesson_study_records(course_record=lesson)
    )
    if request.method == "POST" and form.is_valid():
        try:
            grades_save(
                course_record=lesson,
                grades=form.grades(),
                by=request.user,
                confirmed_without_homework=form.confirmed_without_homework(),
            )
        except GradedWithoutHomework as error:
            form.ask_to_confirm(error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The grades were saved."))
            return redirect("teacher:grading", lesson_id=lesson.pk)
    return render(
        request,
        "teacher/grading.html",
        {"lesson": lesson, "class": lesson.class_list, "form": form, "tab": "grades"},
    )
