"""A background export's page, its progress and its file: the owner's alone.

Exports are every user's own (like notifications): login, then the row
scope ``user = request.user`` is the whole rule; another user's export is a
404, never a 403 that would confirm it exists.
"""

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from crm.private_files import private_file_response
from jobs.exports import KEEP_FILES
from jobs.models import Export
from kingadmin.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE


def _own_export(request: HttpRequest, pk: int) -> Export:
    return get_object_or_404(Export, pk=pk, user=request.user)


def _status(export: Export) -> dict:
    done = export.state == Export.State.DONE and bool(export.file)
    return {
        "state": export.state,
        "state_label": str(export.get_state_display()),
        "percent": export.percent,
        "rows_written": export.rows_written,
        "rows_total": export.rows_total,
        "error": export.error,
        "download_url": reverse("jobs:export_download", args=[export.pk])
        if done
        else "",
    }


@require_GET
@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show how far the export is; its download link once done."""
    export = _own_export(request, pk)
    return render(
        request,
        "jobs/export_detail.html",
        {
            "export": export,
            "status": _status(export),
            "list_url": _list_url(export),
            "keep_days": KEEP_FILES.days,
        },
    )


def _list_url(export: Export) -> str:
    """Return the exported list's address, with its filters."""
    from kingadmin.sites import site

    admin = site.get_model_admin(apps.get_model(export.model))
    query = QueryDict(export.query, mutable=True)
    query.pop("format", None)
    return admin.url("changelist") + ("?" + query.urlencode() if query else "")


@require_GET
@login_required
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Return the export's progress (polled by the export page)."""
    return JsonResponse(_status(_own_export(request, pk)))


@require_GET
@login_required
def export_download(request: HttpRequest, pk: int):
    """Send the export's file to its owner."""
    export = _own_export(request, pk)
    if export.state != Export.State.DONE or not export.file:
        raise Http404
    xlsx = export.format == "xlsx"
    return private_file_response(
        export.file,
        filename=f"{export.title}.{'xlsx' if xlsx else 'csv'}",
        content_type=XLSX_CONTENT_TYPE if xlsx else CSV_CONTENT_TYPE,
    )
