from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.client_ip import client_ip
from crm import pool
from crm.forms import (
    ApproveForm,
    CustomerEnrollmentForm,
    EnrollmentLinkForm,
    FollowUpForm,
    RejectForm,
)
from crm.models import (
    ClassList,
    Customer,
    Enrollment,
    EnrollmentDocument,
    PersonalDataAccess,
)
from crm.privacy import id_number_for, personal_data_access_record
from crm.private_files import private_file_response
from crm.ratelimit import too_many
from crm.selectors import customer_detail as customer_detail_query
from crm.selectors import enrollment_contract_text, enrollment_money
from crm.services import (
    LinkUnusable,
    enrollment_document_add,
    enrollment_document_delete,
    enrollment_link_resolve,
    enrollment_submit,
)
from crm.services import enrollment_approve as enrollment_approve_service
from crm.services import enrollment_link_create as enrollment_link_create_service
from crm.services import enrollment_reject as enrollment_reject_service
from crm.services import followup_add as followup_add_service
from crm.uploads import MAX_DOCUMENTS
from kingadmin.decorators import rule_required
from kingadmin.permissions import registry
from kingadmin.sites import site
from timetable.trial_views import customer_trials_context


def _customer_in_scope(request: HttpRequest, pk: int) -> Customer:
    """Return the customer if the deciding rules allow it: 403 if not, 404 if gone."""
    if not request.access.scope(request, Customer.objects.all()).filter(pk=pk).exists():
        if Customer.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return customer_detail_query(pk=pk)


def _page(request, customer, form):
    admin = site.get_model_admin(Customer)
    # Link to the review only where the review rules would open it.
    review = registry.decide(
        request.user, url_name="crm:enrollment_review", url_kwargs={}
    )
    reviewable = set(
        review.scope(request, Enrollment.objects.filter(customer=customer)).values_list(
            "pk", flat=True
        )
    )
    return render(
        request,
        "crm/customer_detail.html",
        {
            "customer": customer,
            "followups": customer.followups.all(),
            "enrollments": [
                {
                    "enrollment": e,
                    "can_review": e.pk in reviewable,
                    **enrollment_money(e),
                }
                for e in customer.enrollments.all()
            ],
            "form": form,
            "link_form": EnrollmentLinkForm(
                classes=registry.visible(request, ClassList)
            ),
            "is_owner": customer.consultant_id == request.user.pk
            and customer.pool == Customer.Pool.PRIVATE,
            "in_public_pool": customer.pool == Customer.Pool.PUBLIC,
            "idle_days": (timezone.now() - customer.last_activity_at).days,
            "may_claim": registry.decide(
                request.user, url_name="crm:customer_claim", method="POST"
            ).allowed,
            "can_change": admin.has_change_permission(request, customer),
            "change_url": admin.url("change", customer.pk),
            # The lead forms it came through (crm.capture): one query.
            "lead_submissions": customer.submissions.select_related("form")[:20],
            **customer_trials_context(request, customer),
        },
    )


@require_GET
@rule_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a customer: details, follow-up timeline, enrollments and payments."""
    customer = _customer_in_scope(request, pk)
    return _page(request, customer, FollowUpForm())


@require_POST
@rule_required
def followup_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a follow-up on a customer (may claim a stale lead)."""
    customer = _customer_in_scope(request, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            followup_add_service(
                customer=customer,
                by=request.user,
                content=form.cleaned_data["content"],
                intention=form.cleaned_data["intention"],
            )
        except ValidationError as error:
            if error.code in {"in_pool", "not_owner"}:
                # Not this user's lead to work: the page has no form for it.
                messages.error(request, " ".join(error.messages))
                return redirect("crm:customer_detail", pk=customer.pk)
            form.add_error(None, error)
        else:
            messages.success(request, _("The follow-up was recorded."))
            return redirect("crm:customer_detail", pk=customer.pk)
    customer = customer_detail_query(pk=customer.pk)
    return _page(request, customer, form)


@require_POST
@rule_required
def customer_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim a lead from the public pool into one's private pool."""
    customer = _customer_in_scope(request, pk)
    try:
        pool.customer_claim(customer=customer, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        if not request.access.scope(request, Customer.objects.filter(pk=pk)).exists():
            # Somebody else's now: back to the public pool.
            return redirect(pool.customer_list_url(pool=Customer.Pool.PUBLIC))
    else:
        messages.success(
            request,
            _("“%(customer)s” is now in your private pool.") % {"customer": customer},
        )
    return redirect("crm:customer_detail", pk=pk)


@require_POST
@rule_required
def customer_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Give one's own lead back to the public pool."""
    customer = _customer_in_scope(request, pk)
    try:
        pool.customer_release(customer=customer, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("crm:customer_detail", pk=pk)
    messages.success(
        request,
        _("“%(customer)s” is in the public pool now.") % {"customer": customer},
    )
    return redirect(pool.customer_list_url(mine="1"))


# ------------------------------------------------------------ enrollment link


@require_POST
@rule_required
def enrollment_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Create an enrollment link for a customer and show it (once) to copy."""
    customer = _customer_in_scope(request, pk)
    form = EnrollmentLinkForm(
        request.POST, classes=registry.visible(request, ClassList)
    )
    if form.is_valid():
        try:
            link, token = enrollment_link_create_service(
                customer=customer,
                class_list=form.cleaned_data["class_list"],
                by=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            url = request.build_absolute_uri(reverse("enroll", args=[token]))
            response = render(
                request,
                "crm/enrollment_link.html",
                {"customer": customer, "link": link, "url": url},
            )
            response["Cache-Control"] = "no-store"
            return response
    else:
        messages.error(request, _("Choose a class for the enrollment link."))
    return redirect("crm:customer_detail", pk=customer.pk)


UNUSABLE_STATUS = {"unknown": 404, "expired": 410, "revoked": 410, "used": 410}


def enroll(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's enrollment form, opened from the link (no login)."""
    limit = settings.CRM_ENROLLMENT_RATE_LIMIT
    window = settings.CRM_ENROLLMENT_RATE_WINDOW
    if too_many(f"enroll-ip:{client_ip(request)}", limit=limit, window=window) or (
        too_many(f"enroll-token:{token}", limit=limit, window=window)
    ):
        return render(request, "crm/enroll_slow_down.html", status=429)
    try:
        link = enrollment_link_resolve(token)
    except LinkUnusable as unusable:
        return render(
            request,
            "crm/enroll_unusable.html",
            {"reason": unusable.reason},
            status=UNUSABLE_STATUS[unusable.reason],
        )
    enrollment = link.enrollment
    customer = enrollment.customer
    upload_errors: list[str] = []
    if request.method == "POST":
        # Uploading or deleting a file keeps what was typed, without judging it.
        typed = {
            key: value
            for key, value in request.POST.items()
            if key in CustomerEnrollmentForm.base_fields
            and key not in CustomerEnrollmentForm.readonly_names
        }
        form = CustomerEnrollmentForm(instance=customer, initial=typed)
        if "delete" in request.POST:
            enrollment_document_delete(
                enrollment=enrollment, document_id=request.POST["delete"]
            )
        elif request.POST.get("action") == "upload":
            uploads = request.FILES.getlist("documents")
            if not uploads:
                upload_errors.append(_("Choose at least one file to upload."))
            else:
                try:
                    enrollment_document_add(enrollment=enrollment, uploads=uploads)
                except ValidationError as error:
                    upload_errors.extend(error.messages)
        elif request.POST.get("action") == "submit":
            form = CustomerEnrollmentForm(request.POST, instance=customer)
            if form.is_valid():
                try:
                    enrollment_submit(link=link, customer=form.save(commit=False))
                except ValidationError as error:
                    form.add_error(None, error)
                except LinkUnusable:
                    return render(
                        request, "crm/enroll_unusable.html", {"reason": "used"}, 410
                    )
                else:
                    return render(
                        request, "crm/enroll_done.html", {"enrollment": enrollment}
                    )
        else:
            return HttpResponseBadRequest()
    else:
        form = CustomerEnrollmentForm(instance=customer)
    response = render(
        request,
        "crm/enroll.html",
        {
            "form": form,
            "enrollment": enrollment,
            "class": enrollment.class_list,
            "customer": customer,
            "contract": enrollment_contract_text(enrollment),
            "documents": list(enrollment.documents.all()),
            "upload_errors": upload_errors,
            "max_documents": MAX_DOCUMENTS,
            "readonly_fields": [form[name] for name in form.readonly_names],
        },
    )
    response["Cache-Control"] = "no-store"
    # Keep the token out of referrers to other sites; "no-referrer" would make
    # browsers send "Origin: null" and fail the form's CSRF check.
    response["Referrer-Policy"] = "same-origin"
    return response


# ---------------------------------------------------------------- review


def _enrollment_for_review(request: HttpRequest, pk: int) -> Enrollment:
    """Return the enrollment if the review rules allow it (the reviewer's campus).

    403 for an enrollment the rules hide, 404 for one that does not exist.
    """
    enrollment = (
        request.access.scope(request, Enrollment.objects.all())
        .select_related(
            "customer__consultant",
            "class_list__course",
            "class_list__branch",
            "class_list__contract_template",
            "consultant",
            "approved_by",
        )
        .filter(pk=pk)
        .first()
    )
    if enrollment is None:
        if Enrollment.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return enrollment


def _review_page(request, enrollment, approve_form=None, reject_form=None):
    # Masked unless the reviewer may see it whole; a whole one shown is recorded.
    id_number = id_number_for(request, enrollment.customer)
    return render(
        request,
        "crm/enrollment_review.html",
        {
            "enrollment": enrollment,
            "customer": enrollment.customer,
            "id_number": id_number,
            "contract": enrollment_contract_text(enrollment, id_number=id_number),
            "documents": enrollment.documents.all(),
            "payments": enrollment.payments.all(),
            "approve_form": approve_form or ApproveForm(),
            "reject_form": reject_form or RejectForm(),
        },
    )


@require_GET
@rule_required
def enrollment_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a submitted enrollment with its contract and documents."""
    return _review_page(request, _enrollment_for_review(request, pk))


@require_POST
@rule_required
def enrollment_approve(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_for_review(request, pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            enrollment_approve_service(
                enrollment=enrollment,
                by=request.user,
                base_url=request.build_absolute_uri("/"),
                payment_kind=form.cleaned_data["payment_kind"] or None,
                payment_amount=form.cleaned_data["payment_amount"],
                payment_method=form.cleaned_data["payment_method"] or "cash",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The enrollment of %(customer)s was approved.")
                % {"customer": enrollment.customer},
            )
            return redirect("crm:enrollment_review", pk=enrollment.pk)
    return _review_page(request, enrollment, approve_form=form)


@require_POST
@rule_required
def enrollment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_for_review(request, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            enrollment_reject_service(
                enrollment=enrollment,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The enrollment was rejected."))
            return redirect("crm:enrollment_review", pk=enrollment.pk)
    return _review_page(request, enrollment, reject_form=form)


@require_GET
@rule_required
def enrollment_document(request: HttpRequest, pk: int, document_id: int):
    """Serve an uploaded ID document to a reviewer (never from the static server)."""
    enrollment = _enrollment_for_review(request, pk)
    document = get_object_or_404(
        EnrollmentDocument, pk=document_id, enrollment=enrollment
    )
    personal_data_access_record(
        user=request.user,
        customer=enrollment.customer,
        kind=PersonalDataAccess.Kind.ID_DOCUMENT,
        document=document,
        path=request.path,
    )
    # Inline so a reviewer sees the ID in the browser; the sandbox CSP and
    # nosniff keep a hostile file from running as a page.
    return private_file_response(
        document.file,
        filename=document.original_name,
        content_type=document.content_type,
        as_attachment=False,
    )
