"""The sales report page and its Excel and CSV downloads."""

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.report_forms import Period, ReportFilterForm
from crm.reports import sales_report
from kingadmin.decorators import rule_required
from kingadmin.export import csv_response, xlsx_response

EXPORT_PARAM = "export"


def export_rows(report: dict) -> Iterator[tuple]:
    """Yield the report as (section, item, measure, value) rows."""
    scope = report["scope"]
    yield (_("Period"), _("From"), "", scope.since)
    yield (_("Period"), _("To"), "", scope.until)
    funnel_measures = (
        ("leads", _("Leads")),
        ("followed_up", _("Followed up")),
        ("trial_booked", _("Trial booked")),
        ("trial_attended", _("Trial attended")),
        ("link_sent", _("Link sent")),
        ("submitted", _("Submitted")),
        ("approved", _("Approved")),
        ("conversion", _("Conversion %")),
    )
    for row in report["sources"]:
        for key, label in (*funnel_measures, ("share", _("Share %"))):
            yield (_("Lead sources"), row["label"], label, row[key])
    for key, label in funnel_measures:
        yield (_("Conversion funnel"), _("All leads"), label, report["funnel"][key])
    for row in report["consultants"]:
        for key, label in funnel_measures:
            yield (_("Conversion by consultant"), row["name"], label, row[key])
    for row in report["classes"]:
        item = f"{row['name']} ({row['campus']})"
        yield (_("Enrollments per class"), item, _("Approved"), row["approved"])
        yield (_("Enrollments per class"), item, _("Seats"), row["seats"])
    revenue = report["revenue"]
    for prefix, item in (
        ("current", _("This period")),
        ("last_year", _("Same period last year")),
    ):
        for key, label in (
            ("deposits", _("Deposits")),
            ("tuition", _("Tuition")),
            ("refunds", _("Refunds")),
            ("net", _("Net revenue")),
        ):
            yield (_("Revenue"), item, label, revenue[prefix][key])
    yield (_("Revenue"), _("Change"), _("Change %"), revenue["change"])
    for row in report["trend"]:
        yield (_("Revenue trend"), row["month"], _("Net revenue"), row["net"])
        yield (
            _("Revenue trend"),
            row["month"],
            _("Same month last year"),
            row["previous_net"],
        )
    for row in report["activity"]:
        yield (_("Follow-up activity"), row["name"], _("Follow-ups"), row["followups"])
        yield (_("Follow-up activity"), row["name"], _("Stale leads"), row["stale"])


def chart_data(report: dict) -> dict:
    """Return what static/js/reports.js draws, as JSON-ready values."""
    funnel = report["funnel"]
    return {
        "sources": {
            "labels": [row["label"] for row in report["sources"]],
            "values": [row["leads"] for row in report["sources"]],
        },
        "funnel": {
            "labels": [
                _("Leads"),
                _("Followed up"),
                _("Link sent"),
                _("Submitted"),
                _("Approved"),
            ],
            "values": [
                funnel[key]
                for key in (
                    "leads",
                    "followed_up",
                    "link_sent",
                    "submitted",
                    "approved",
                )
            ],
        },
        "consultants": {
            "labels": [row["name"] for row in report["consultants"]],
            "values": [row["approved"] for row in report["consultants"]],
        },
        "classes": {
            "labels": [row["name"] for row in report["classes"]],
            "values": [row["approved"] for row in report["classes"]],
        },
        "trend": {
            "labels": [row["month"] for row in report["trend"]],
            "values": [float(row["net"]) for row in report["trend"]],
            "previous": [float(row["previous_net"]) for row in report["trend"]],
            "label": _("Net revenue"),
            "previousLabel": _("Previous 12 months"),
        },
        "activity": {
            "labels": [row["name"] for row in report["activity"]],
            "values": [row["followups"] for row in report["activity"]],
            "stale": [row["stale"] for row in report["activity"]],
            "label": _("Follow-ups"),
            "staleLabel": _("Stale leads"),
        },
    }


@require_GET
@rule_required
def reports(request: HttpRequest) -> HttpResponse:
    """Show the sales report, or download it with ?export=xlsx or csv."""
    # Without a choice the form still validates: the default period (see
    # default_period), every campus.
    chosen = bool(request.GET.keys() - {EXPORT_PARAM})
    data = request.GET if chosen else ReportFilterForm.default_data()
    form = ReportFilterForm(data, user=request.user)
    if not form.is_valid():
        return render(request, "crm/reports.html", {"form": form, "report": None})
    report = sales_report(form.scope())
    export = request.GET.get(EXPORT_PARAM)
    if export in {"xlsx", "csv"}:
        scope = report["scope"]
        filename = f"sales-report-{scope.since:%Y%m%d}-{scope.until:%Y%m%d}.{export}"
        headers = [_("Section"), _("Item"), _("Measure"), _("Value")]
        if export == "xlsx":
            return xlsx_response(
                filename=filename,
                headers=headers,
                rows=export_rows(report),
                sheet_title=_("Sales report"),
            )
        return csv_response(
            filename=filename, headers=headers, rows=export_rows(report)
        )
    return render(
        request,
        "crm/reports.html",
        {
            "form": form,
            "report": report,
            "charts": chart_data(report),
            "opened_on_last_month": not chosen
            and form.cleaned_data["period"] == Period.LAST_MONTH,
        },
    )
