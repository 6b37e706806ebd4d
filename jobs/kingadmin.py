"""The jobs list: what ran, what waits, what failed and why; failed jobs retried.

For the school's administrators (no demo role but theirs holds these
permissions): rows are read, never written by hand, but for the retry action.
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

import kingadmin
from jobs.models import Export, PeriodicRun, WorkerBeat
from jobs.registry import declared_jobs, has_secret_arguments, retry_policy
from jobs.services import job_retry

STATES = {
    TaskResultStatus.READY: _("queued"),
    TaskResultStatus.RUNNING: _("running"),
    TaskResultStatus.SUCCESSFUL: _("done"),
    TaskResultStatus.FAILED: _("failed"),
}


class ReadOnlyAdmin(kingadmin.ModelAdmin):
    """Rows the code writes: listed and opened, never added or edited by hand."""

    actions = ()

    def has_add_permission(self, request):
        return False

    def add_view(self, request):
        raise PermissionDenied

    def changeform_view(self, request, obj):
        if request.method == "POST":
            raise PermissionDenied
        return super().changeform_view(request, obj)


class JobFilter(kingadmin.SimpleListFilter):
    """The jobs declared in code (jobs.registry), by name."""

    title = _("job")
    parameter_name = "job"

    def lookups(self, request, model_admin):
        return [(path, path.rpartition(".")[2]) for path in sorted(declared_jobs())]

    def queryset(self, request, queryset):
        if self.value() in declared_jobs():
            return queryset.filter(task_path=self.value())
        return queryset


@kingadmin.register(DBTaskResult)
class JobAdmin(ReadOnlyAdmin):
    list_display = (
        "job",
        "state",
        "attempts",
        "enqueued_at",
        "finished_at",
        "last_error",
    )
    list_filter = (JobFilter, "status", "enqueued_at")
    ordering = ("-enqueued_at",)
    fields = (
        "task_path",
        "status",
        "queue_name",
        "arguments",
        "enqueued_at",
        "run_after",
        "started_at",
        "finished_at",
        "worker_ids",
        "return_value",
        "exception_class_path",
        "traceback",
    )
    readonly_fields = fields
    actions = ("retry",)

    @kingadmin.display(description=_("job"), ordering="task_path")
    def job(self, obj):
        return obj.task_path.rpartition(".")[2]

    @kingadmin.display(description=_("state"), ordering="status")
    def state(self, obj):
        waiting = obj.status == TaskResultStatus.READY and obj.exception_class_path
        if waiting and obj.run_after != get_date_max():
            return _("retrying at %(time)s") % {
                "time": date_format(localtime(obj.run_after), "H:i:s")
            }
        return STATES.get(obj.status, obj.status)

    @kingadmin.display(description=_("arguments"))
    def arguments(self, obj):
        if has_secret_arguments(obj.task_path):
            return _("Not shown: they may hold a password link (erased once done).")
        return json.dumps(obj.args_kwargs.get("kwargs", {}), ensure_ascii=False)[:1000]

    @kingadmin.display(description=_("attempts"))
    def attempts(self, obj):
        return f"{len(obj.worker_ids)} / {retry_policy(obj.task_path).attempts}"

    @kingadmin.display(description=_("last error"))
    def last_error(self, obj):
        if not obj.traceback:
            return ""
        return obj.traceback.strip().splitlines()[-1][:200]

    @kingadmin.action(description=_("Retry the selected failed jobs"))
    def retry(self, request, queryset):
        retried = sum(job_retry(result=result) for result in queryset)
        messages.success(
            request,
            ngettext(
                "%(count)d job was queued again.",
                "%(count)d jobs were queued again.",
                retried,
            )
            % {"count": retried},
        )


@kingadmin.register(WorkerBeat)
class WorkerAdmin(ReadOnlyAdmin):
    list_display = ("host", "pid", "worker_id", "started_at", "seen_at")
    ordering = ("-seen_at",)
    readonly_fields = ("worker_id", "host", "pid", "started_at", "seen_at")


@kingadmin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = ("name", "due_at", "created_at", "worker_id", "task_id")
    list_filter = ("due_at",)
    ordering = ("-due_at",)
    readonly_fields = ("name", "due_at", "task_id", "worker_id", "created_at")


@kingadmin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    """Who exported which list when: a record of personal data leaving the CRM."""

    list_display = ("title", "user", "format", "state", "rows_total", "created_at")
    list_filter = ("state", "created_at")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    fields = (
        "user",
        "title",
        "model",
        "query",
        "format",
        "state",
        "rows_total",
        "rows_written",
        "error",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields
