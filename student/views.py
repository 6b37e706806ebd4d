"""Pages of the student portal, and the staff's page for answering questions.

Every view is guarded by a permission rule (student.permissions); every
lookup goes through a selector that filters by the logged-in user, so
another student's id is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import PersonalDataAccess
from crm.privacy import personal_data_access_record
from crm.private_files import private_file_response
from crm.selectors import enrollment_contract_text, enrollment_money
from finance.ledger import balance_of
from finance.models import Receipt
from finance.selectors import plan_status
from finance.services import valid_until_with
from finance.views import RECEIPT_RELATIONS, receipt_context
from kingadmin.decorators import rule_required
from student import selectors, services
from student.forms import AnswerForm, HomeworkForm, QuestionForm
from student.homework_files import content_type_for, max_homework_bytes
from student.models import Question

# --- my classes ----------------------------------------------------------------


@require_GET
@rule_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the logged-in student's enrollments with their standing in each."""
    enrollments = list(selectors.enrollment_list_of_student(user=request.user))
    rankings = selectors.class_rankings(
        class_list_ids={enrollment.class_list_id for enrollment in enrollments}
    )
    rows = []
    for enrollment in enrollments:
        ranking = rankings.get(enrollment.class_list_id, selectors.ClassRanking())
        rows.append(
            {
                "enrollment": enrollment,
                "standing": ranking.of(enrollment.pk),
                "ranking": ranking,
            }
        )
    return render(request, "student/home.html", {"rows": rows})


@require_GET
@rule_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a class's syllabus and lessons with the student's own records."""
    enrollment = selectors.enrollment_of_student(user=request.user, pk=pk)
    return render(
        request,
        "student/class_detail.html",
        {
            "enrollment": enrollment,
            "class_list": enrollment.class_list,
            "rows": selectors.lesson_rows_of_enrollment(enrollment),
            # Named where a lesson has no record of the student; read once.
            "teachers": enrollment.class_list.teachers.order_by(
                "display_name", "username"
            ),
            "homework_form": HomeworkForm(),
            "max_megabytes": f"{max_homework_bytes() / (1024 * 1024):g}",
            "tab": "class",
        },
    )


@require_GET
@rule_required
def grades(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the student's score per lesson, average and rank in the class."""
    enrollment = selectors.enrollment_of_student(user=request.user, pk=pk)
    rows = selectors.lesson_rows_of_enrollment(enrollment)
    averages = selectors.lesson_class_averages(class_list_id=enrollment.class_list_id)
    for row in rows:
        row.class_average = averages.get(row.lesson.pk)
    ranking = selectors.class_rankings(class_list_ids=[enrollment.class_list_id]).get(
        enrollment.class_list_id, selectors.ClassRanking()
    )
    return render(
        request,
        "student/grades.html",
        {
            "enrollment": enrollment,
            "class_list": enrollment.class_list,
            "rows": rows,
            "ranking": ranking,
            "standing": ranking.of(enrollment.pk),
            "tab": "grades",
        },
    )


@require_GET
@rule_required
def contract(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the enrollment's contract, approval, account, payments and ID documents.

    An enrollment approved with contract terms shows the contract as signed
    (the frozen text and its SHA-256) and its account from the ledger: hours,
    money paid and due, the payment plan. One approved before terms existed
    shows the contract as rendered today and the sum of its payments.
    """
    enrollment = selectors.enrollment_contract_of_student(user=request.user, pk=pk)
    terms = getattr(enrollment, "contract_terms", None)
    context = {
        "enrollment": enrollment,
        "class_list": enrollment.class_list,
        "terms": terms,
        "tab": "contract",
    }
    if terms is None:
        context["contract_text"] = enrollment_contract_text(enrollment)
        context["money"] = enrollment_money(enrollment)
    else:
        balance = balance_of(enrollment)
        context.update(
            contract_text=terms.contract_text,
            balance=balance,
            money={
                "price": terms.price,
                "paid": balance.paid,
                "balance": terms.price - balance.paid,
            },
            plan=plan_status(
                list(enrollment.instalments.all()),
                balance.paid,
                timezone.localdate(),
            ),
            valid_until=valid_until_with(terms, enrollment.suspensions.all()),
        )
    return render(request, "student/contract.html", context)


@require_GET
@rule_required
def receipt(request: HttpRequest, pk: int, receipt_id: int) -> HttpResponse:
    """Show the receipt of one of the student's own payments, ready to print."""
    enrollment = selectors.enrollment_of_student(user=request.user, pk=pk)
    found = get_object_or_404(
        Receipt.objects.select_related(*RECEIPT_RELATIONS),
        pk=receipt_id,
        entry__enrollment=enrollment,
    )
    return render(
        request,
        "student/receipt.html",
        {
            **receipt_context(found),
            "class_list": enrollment.class_list,
            "contract_url": reverse("student:contract", args=[enrollment.pk]),
        },
    )


@require_GET
@rule_required
def document(request: HttpRequest, pk: int, document_id: int) -> FileResponse:
    """Send one of the student's own ID documents."""
    doc = selectors.document_of_student(
        user=request.user, pk=pk, document_id=document_id
    )
    # Every view of an ID document is recorded, the owner's own too.
    personal_data_access_record(
        user=request.user,
        customer=doc.enrollment.customer,
        kind=PersonalDataAccess.Kind.ID_DOCUMENT,
        document=doc,
        path=request.path,
    )
    return private_file_response(
        doc.file, filename=doc.original_name, content_type=doc.content_type
    )


# --- homework ------------------------------------------------------------------


@require_POST
@rule_required
def homework_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive a homework file for study record ``pk`` and go back to the class.

    Django streams large uploads to a temporary file, so memory stays flat;
    the size limit is checked with the content (and the web server's body
    limit stops anything far larger, see the README).
    """
    record = selectors.study_record_of_student(user=request.user, pk=pk)
    lesson = record.course_record
    back = reverse("student:class_detail", args=[record.enrollment_id])
    back += f"#lesson-{lesson.lesson_number}"
    form = HomeworkForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect(back)
    try:
        services.homework_submit(
            study_record=record, upload=form.cleaned_data["file"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    messages.success(
        request,
        _("Your homework for lesson %(number)s was received.")
        % {"number": lesson.lesson_number},
    )
    return redirect(back)


@require_GET
@rule_required
def homework_file(request: HttpRequest, pk: int) -> FileResponse:
    """Send the student's own submitted homework file back."""
    record = selectors.study_record_of_student(user=request.user, pk=pk)
    if not record.homework_file:
        raise Http404
    return private_file_response(
        record.homework_file,
        filename=record.homework_original_name or "homework",
        content_type=content_type_for(record.homework_file.name),
    )


# --- questions and answers -----------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@rule_required
def questions(request: HttpRequest) -> HttpResponse:
    """Search the answered questions, ask a new one, list my own."""
    class_lists = selectors.class_lists_of_student(user=request.user)
    query = request.GET.get("q", "")
    if request.method == "POST":
        form = QuestionForm(request.POST, class_lists=class_lists)
        if form.is_valid():
            try:
                question = services.question_ask(
                    author=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    _("Your question was sent. You will be notified of the answer."),
                )
                return redirect("student:question_detail", question.pk)
    else:
        initial = {"title": selectors.normalize_search_text(query)}
        # ?class=<id> preselects a class (the link of a lesson the student
        # has no record of); another student's class is not among the choices.
        chosen = request.GET.get("class", "")
        if chosen.isascii() and chosen.isdigit():
            initial["class_list"] = int(chosen)
        form = QuestionForm(class_lists=class_lists, initial=initial)
    terms = selectors.normalize_search(query)
    return render(
        request,
        "student/questions.html",
        {
            "query": " ".join(terms),
            "searched": "q" in request.GET,
            "results": selectors.question_search(query=query) if terms else [],
            "form": form,
            "my_questions": selectors.question_list_of_author(user=request.user),
        },
    )


@require_GET
@rule_required
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one of my questions, or any answered question, with its answers."""
    question = selectors.question_visible_to_student(user=request.user, pk=pk)
    return render(
        request,
        "student/question_detail.html",
        {"question": question, "mine": question.author_id == request.user.pk},
    )


@require_GET
@rule_required
def question_open_list(request: HttpRequest) -> HttpResponse:
    """List the open questions the user may answer, oldest first."""
    scoped = request.access.scope(request, Question.objects.all())
    return render(
        request,
        "student/question_open_list.html",
        {"questions": selectors.open_question_list(scoped)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@rule_required
def question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a question the user may answer, and take the answer."""
    scoped = request.access.scope(request, Question.objects.all())
    question = selectors.question_for_answering(scoped, pk=pk)
    form = AnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_answer(
                question=question, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("Your answer was sent to %(user)s.") % {"user": question.author},
            )
            return redirect("student:question_open_list")
    return render(
        request,
        "student/question_answer.html",
        {"question": question, "form": form},
    )
