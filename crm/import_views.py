"""Pages of spreadsheet lead imports: upload, columns, preview, log, revert.

The services of ``crm.lead_imports`` do the work; these views check the
request, call them and show what they say. Every import page is decided by
the rule ``crm.import_leads``, whose hook shows a user the imports they made
(superusers see all): another user's import is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.import_forms import FIELD_LABELS, ColumnsForm, LeadImportForm
from crm.import_preview import FIELDS, PreviewRow, Status
from crm.imports import sheet_rows
from crm.lead_imports import (
    lead_import_choose,
    lead_import_commit,
    lead_import_map,
    lead_import_page,
    lead_import_revert,
    lead_import_start,
)
from crm.models import Customer, LeadImport
from crm.upload_checks import CheckedUpload
from kingadmin.decorators import rule_required
from kingadmin.export import xlsx_response
from kingadmin.fields import parse_pk
from kingadmin.sites import site

STATUS_PARAM = "status"
PAGE_PARAM = "page"
CHOSEN_PARAM = "chosen"
STATUSES = (Status.NEW, Status.DUPLICATE, Status.ERROR)
PER_PAGE = 100
IMPORTS_PER_PAGE = 25
# The template's header: the column names Chinese schools use (import_preview
# recognises them), in the order of FIELDS.
TEMPLATE_HEADERS = ["姓名", "手机", "QQ", "邮箱", "来源", "备注"]


def _imports(request: HttpRequest) -> QuerySet[LeadImport]:
    """Return the imports the deciding rules show the user."""
    return request.access.scope(request, LeadImport.objects.all())


def _import_in_scope(request: HttpRequest, pk) -> LeadImport:
    """Return the import if the user may see it: 403 if not theirs, 404 if none."""
    pk = parse_pk(LeadImport, pk)
    if pk is None:
        raise Http404
    lead_import = (
        _imports(request)
        .select_related("created_by", "consultant", "reverted_by")
        .filter(pk=pk)
        .first()
    )
    if lead_import is None:
        if LeadImport.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return lead_import


def _consultants(request: HttpRequest) -> QuerySet:
    """Return the users the importer may give leads to.

    The choices of the customer's consultant field, as the customer list's
    "give to a sales" action offers them: active sales the user may view.
    """
    admin = site.get_model_admin(Customer)
    return admin.choices_queryset(Customer._meta.get_field("consultant"), request)


def _page_params(request: HttpRequest) -> tuple[str | None, int]:
    """Return the preview's status filter and page number; garbage means the default."""
    status = request.GET.get(STATUS_PARAM)
    page = request.GET.get(PAGE_PARAM, "")
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1
    return (status if status in STATUSES else None), max(number, 1)


def _with_query(url: str, status: str | None, number: int) -> str:
    """Return ``url`` with the preview's status filter and page number."""
    query = {STATUS_PARAM: status} if status else {}
    if number > 1:
        query[PAGE_PARAM] = number
    return f"{url}?{urlencode(query)}" if query else url


def _preview_url(lead_import: LeadImport, status: str | None, number: int) -> str:
    url = reverse("crm:lead_import_preview", args=[lead_import.pk])
    return _with_query(url, status, number)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_GET
@rule_required
def lead_import_list(request: HttpRequest) -> HttpResponse:
    """List the user's imports (every import for superusers), newest first."""
    imports = _imports(request).select_related("created_by", "consultant")
    page = Paginator(imports.order_by("-created_at", "-pk"), IMPORTS_PER_PAGE)
    return render(
        request,
        "crm/imports/list.html",
        {"page": page.get_page(request.GET.get(PAGE_PARAM))},
    )


@require_GET
@rule_required
def lead_import_template(request: HttpRequest) -> HttpResponse:
    """Download an empty workbook with the columns an import recognises."""
    return xlsx_response(
        filename="leads-template.xlsx", headers=TEMPLATE_HEADERS, rows=[]
    )


@require_http_methods(["GET", "POST"])
@rule_required
def lead_import_new(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet; a readable one goes on to its columns."""
    consultants = _consultants(request)
    if request.method == "POST":
        form = LeadImportForm(request.POST, request.FILES, consultants=consultants)
    else:
        form = LeadImportForm(
            consultants=consultants, initial={"consultant": request.user.pk}
        )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            lead_import = lead_import_start(
                upload=data["file"],
                by=request.user,
                consultant=data["consultant"],
                default_source=data["default_source"],
                use_rules=data["use_rules"],
            )
        except ValidationError as error:
            form.add_error(None if hasattr(error, "error_dict") else "file", error)
        else:
            return redirect("crm:lead_import_columns", pk=lead_import.pk)
    return render(request, "crm/imports/new.html", {"form": form})


def _sheet_head(lead_import: LeadImport) -> tuple[list, list]:
    """Return the stored file's header cells and its first data row's."""
    checked = CheckedUpload(
        kind=lead_import.kind,
        extension="",
        content_type="",
        size=0,
        original_name=lead_import.original_name,
        encoding=lead_import.encoding,
    )
    with lead_import.file.open("rb") as stored:
        rows = sheet_rows(stored, checked)
        try:
            header = next(rows, None)
            sample = next(rows, None)
        finally:
            rows.close()
    return (
        header.cells if header else [],
        sample.cells if sample else [],
    )


@require_http_methods(["GET", "POST"])
@rule_required
def lead_import_columns(request: HttpRequest, pk: int) -> HttpResponse:
    """Say which column of the file holds which field of a lead."""
    lead_import = _import_in_scope(request, pk)
    if lead_import.state != LeadImport.State.PREVIEWED:
        return redirect("crm:lead_import_detail", pk=lead_import.pk)
    try:
        header, sample = _sheet_head(lead_import)
    except ValidationError as error:
        return render(
            request,
            "crm/imports/columns.html",
            {"lead_import": lead_import, "unreadable": error.messages},
        )
    form = ColumnsForm(
        request.POST if request.method == "POST" else None,
        header=header,
        sample=sample,
        mapping=lead_import.mapping,
    )
    if form.is_bound and form.is_valid():
        try:
            lead_import_map(lead_import=lead_import, mapping=form.mapping())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("crm:lead_import_preview", pk=lead_import.pk)
    return render(
        request, "crm/imports/columns.html", {"lead_import": lead_import, "form": form}
    )


def _source_label(value: str) -> str:
    labels = dict(Customer.Source.choices)
    return str(labels.get(value, value))


def _shown_row(row: PreviewRow, skipped: set[int]) -> dict:
    """Return what the preview table shows of a row."""
    values = [
        _source_label(row.values.get(name, ""))
        if name == "source"
        else row.values.get(name, "")
        for name in FIELDS
    ]
    return {
        "number": row.number,
        "values": values,
        "status": row.status,
        "errors": [
            f"{FIELD_LABELS[field]}: {message}" for field, message in row.errors
        ],
        "duplicate_of": row.duplicate_of,
        "duplicate_row": row.duplicate_row,
        "chosen": row.number not in skipped,
    }


@require_GET
@rule_required
def lead_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what importing each row would do, a page at a time, with the counts."""
    lead_import = _import_in_scope(request, pk)
    if lead_import.state != LeadImport.State.PREVIEWED:
        return redirect("crm:lead_import_detail", pk=lead_import.pk)
    status, number = _page_params(request)
    context = {"lead_import": lead_import, "status": status}
    try:
        page = lead_import_page(
            lead_import, status=status, number=number, per_page=PER_PAGE
        )
    except ValidationError as error:
        context["unreadable"] = error.messages
        return render(request, "crm/imports/preview.html", context)
    skipped = set(lead_import.skipped)
    tabs = [
        (None, _("All"), page.total),
        (Status.NEW, _("New"), page.counts[Status.NEW]),
        (Status.DUPLICATE, _("Duplicates"), page.counts[Status.DUPLICATE]),
        (Status.ERROR, _("Errors"), page.counts[Status.ERROR]),
    ]
    context.update(
        page=page,
        rows=[_shown_row(row, skipped) for row in page.rows],
        headers=[FIELD_LABELS[name] for name in FIELDS],
        tabs=[
            {
                "status": key or "all",
                "label": label,
                "count": count,
                "url": _preview_url(lead_import, key, 1),
                "active": key == status,
            }
            for key, label, count in tabs
        ],
        previous_url=(
            _preview_url(lead_import, status, page.number - 1)
            if page.number > 1
            else None
        ),
        next_url=(
            _preview_url(lead_import, status, page.number + 1)
            if page.number < page.pages
            else None
        ),
        choose_url=_with_query(
            reverse("crm:lead_import_choose", args=[lead_import.pk]),
            status,
            page.number,
        ),
        has_new=any(row.status == Status.NEW for row in page.rows),
    )
    return render(request, "crm/imports/preview.html", context)


def _chosen(values: list[str]) -> list[int] | None:
    """Return the posted row numbers, None if one is not a row number."""
    numbers = []
    for value in values:
        if not (value.isascii() and value.isdigit() and len(value) < 10):
            return None
        numbers.append(int(value))
    return numbers


@require_POST
@rule_required
def lead_import_choose_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Save which new rows of the page shown are imported (the others are not)."""
    lead_import = _import_in_scope(request, pk)
    if lead_import.state != LeadImport.State.PREVIEWED:
        messages.error(request, _("This import has been committed already."))
        return redirect("crm:lead_import_detail", pk=lead_import.pk)
    status, number = _page_params(request)
    back = _preview_url(lead_import, status, number)
    chosen = _chosen(request.POST.getlist(CHOSEN_PARAM))
    if chosen is None:
        messages.error(request, _("Choose among the rows shown."))
        return redirect(back)
    try:
        # The rows shown are the page's new rows as the server reads them now,
        # never what the browser says was shown.
        page = lead_import_page(
            lead_import, status=status, number=number, per_page=PER_PAGE
        )
        shown = [row.number for row in page.rows if row.status == Status.NEW]
        lead_import_choose(lead_import=lead_import, shown=shown, chosen=chosen)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Your choice of rows was saved."))
    return redirect(back)


@require_POST
@rule_required
def lead_import_commit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the import of the chosen new rows; its log shows the progress."""
    lead_import = _import_in_scope(request, pk)
    try:
        lead_import_commit(lead_import=lead_import)
    except ValidationError as error:
        _refused(request, error)
    return redirect("crm:lead_import_detail", pk=lead_import.pk)


def _progress(lead_import: LeadImport) -> dict:
    rows = max(lead_import.rows, lead_import.checked)
    return {
        "state": lead_import.state,
        "state_label": lead_import.get_state_display(),
        "checked": lead_import.checked,
        "rows": rows,
        "percent": round(100 * lead_import.checked / rows) if rows else 0,
    }


@require_GET
@rule_required
def lead_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an import's log: who, when, what came of it; revert a finished one."""
    lead_import = _import_in_scope(request, pk)
    leads_url = site.get_model_admin(Customer).url("changelist")
    return render(
        request,
        "crm/imports/detail.html",
        {
            "lead_import": lead_import,
            "progress": _progress(lead_import),
            "leads_url": f"{leads_url}?{urlencode({'lead_import': lead_import.pk})}",
            "states": LeadImport.State,
        },
    )


@require_GET
@rule_required
def lead_import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """Return the progress of an import's commit, for its log page to poll."""
    return JsonResponse(_progress(_import_in_scope(request, pk)))


@require_POST
@rule_required
def lead_import_revert_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a finished import's leads nobody worked; say how many were kept."""
    lead_import = _import_in_scope(request, pk)
    before = Customer.objects.filter(lead_import=lead_import).count()
    try:
        lead_import = lead_import_revert(lead_import=lead_import, by=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        deleted = before - lead_import.kept
        messages.success(
            request,
            ngettext(
                "%(deleted)d lead deleted, %(kept)d kept because someone worked them.",
                "%(deleted)d leads deleted, %(kept)d kept because someone worked them.",
                deleted,
            )
            % {"deleted": deleted, "kept": lead_import.kept},
        )
    return redirect("crm:lead_import_detail", pk=lead_import.pk)
