"""Long lists exported by a job: the user follows its progress, then downloads.

kingadmin calls ``export_start`` (settings.KINGADMIN_EXPORT_IN_BACKGROUND)
for a list longer than KINGADMIN_EXPORT_IN_BACKGROUND_ABOVE rows; shorter
lists stream at once as before. The job ``export_run`` computes the list
again as the user would see it at that moment: the same kingadmin list
(filters, search, sort from the saved query string) under the user's rules,
so a right lost in between exports nothing. It writes the file into the
private storage (local disk or S3), reports its progress every
``PROGRESS_EVERY`` rows and notifies the user with the link of the export's
page, where only they can download it.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterable, Iterator

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files import File
from django.db.models import F
from django.http import HttpRequest, QueryDict
from django.shortcuts import redirect
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from jobs.models import Export
from jobs.queue import enqueue_on_commit
from jobs.registry import job
from kingadmin.export import write_csv, write_xlsx

PROGRESS_EVERY = 1000
# Export files hold personal data: the nightly cleanup deletes them after
# this long (the Export row stays, the record of who exported what).
KEEP_FILES = datetime.timedelta(days=7)


def export_start(request, model_admin, changelist, fmt: str):
    """Queue the export of ``changelist`` (kingadmin's background export hook)."""
    export = Export.objects.create(
        user=request.user,
        model=model_admin.opts.label_lower,
        title=str(capfirst(model_admin.opts.verbose_name_plural))[:200],
        path=request.path,
        query=request.GET.urlencode(),
        format=fmt,
        language=translation.get_language() or "",
        rows_total=None if changelist.count_capped else changelist.result_count,
    )
    enqueue_on_commit(export_run, export_id=export.pk)
    messages.info(
        request,
        _(
            "The list is long: it is exported in the background. You will be "
            "notified when the file is ready."
        ),
    )
    return redirect("jobs:export", export.pk)


def _request_of(export: Export) -> HttpRequest:
    """Return the request the user made, rebuilt for the job."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = export.path
    request.GET = QueryDict(export.query)
    host = next((h for h in settings.ALLOWED_HOSTS if "*" not in h), "localhost")
    request.META = {"SERVER_NAME": host, "SERVER_PORT": "443", "HTTP_HOST": host}
    request.user = export.user
    request.resolver_match = resolve(export.path)
    request._messages = CookieStorage(request)
    return request


def _counted(rows: Iterable, export: Export) -> Iterator:
    for written, row in enumerate(rows, 1):
        yield row
        if written % PROGRESS_EVERY == 0:
            Export.objects.filter(pk=export.pk).update(rows_written=written)


@job(attempts=3, first_delay=30)
def export_run(*, export_id: int) -> int:
    """Write the export's file; return how many rows it holds."""
    export = Export.objects.select_related("user").get(pk=export_id)
    if export.state == Export.State.DONE:
        return export.rows_written
    with translation.override(export.language or None):
        try:
            return _write(export)
        except Exception as error:
            Export.objects.filter(pk=export.pk).update(
                state=Export.State.FAILED, error=str(error)[:500]
            )
            raise


def _write(export: Export) -> int:
    from accounts.services import notification_send
    from kingadmin.sites import site

    admin = site.get_model_admin(apps.get_model(export.model))
    request = _request_of(export)
    decision = admin.admin_site.rules.decide_request(request)
    if not decision or not export.user.is_active:
        Export.objects.filter(pk=export.pk).update(
            state=Export.State.FAILED,
            error=_("You may no longer export this list."),
            finished_at=timezone.now(),
        )
        return 0
    request.access = decision
    changelist = admin.get_changelist(request, admin.scoped_queryset(request))
    total = changelist.queryset.count()
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.RUNNING, rows_total=total, rows_written=0, error=""
    )
    headers = [str(column.header) for column in changelist.columns]
    rows = _counted(changelist.export_rows(), export)
    with tempfile.TemporaryFile() as scratch:
        if export.format == "xlsx":
            write_xlsx(scratch, headers=headers, rows=rows, sheet_title=export.title)
        else:
            write_csv(scratch, headers=headers, rows=rows)
        scratch.seek(0)
        export.file.save(f"export.{export.format}", File(scratch), save=False)
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.DONE,
        file=export.file.name,
        rows_written=F("rows_total"),
        finished_at=timezone.now(),
    )
    notification_send(
        recipient=export.user,
        text=_("Your export of %(list)s is ready: %(count)d rows.")
        % {"list": export.title, "count": total},
        link=reverse("jobs:export", args=[export.pk]),
    )
    return total


def expired_files_delete(*, now: datetime.datetime) -> int:
    """Delete the files of exports older than KEEP_FILES; return how many."""
    deleted = 0
    for export in Export.objects.filter(created_at__lt=now - KEEP_FILES).exclude(
        file=""
    ):
        export.file.delete(save=False)
        Export.objects.filter(pk=export.pk).update(file="")
        deleted += 1
    return deleted
