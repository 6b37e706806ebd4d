"""The finance report page and its Excel and CSV downloads."""

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.report_forms import Period, ReportFilterForm
from finance.reports import finance_report
from kingadmin.decorators import rule_required
from kingadmin.export import csv_response, xlsx_response

FORMAT_PARAM = "format"
FORMATS = ("xlsx", "csv")
TEMPLATE = "finance/report.html"


class FinanceReportFilterForm(ReportFilterForm):
    """The sales report's period and campus choice, without the consultant.

    The report breaks refunds down by consultant itself. As in the sales
    report, a user of a campus who is not a superuser sees only that campus.
    """

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        del self.fields["consultant"]


def export_rows(report: dict) -> Iterator[tuple]:
    """Yield the report as (section, item, measure, value) rows."""
    scope = report["scope"]
    yield (_("Period"), _("From"), "", scope.since)
    yield (_("Period"), _("To"), "", scope.until)
    yield (_("Period"), _("Receivables as of"), "", report["as_of"])
    cash, revenue = report["cash"], report["revenue"]
    section = _("Cash and revenue")
    yield (section, _("Cash received"), _("Payments"), cash["payments"])
    yield (section, _("Cash received"), _("Refunds"), cash["refunds"])
    yield (section, _("Cash received"), _("Net cash"), cash["net"])
    yield (section, _("Revenue recognised"), _("Hours consumed"), revenue["hours"])
    yield (section, _("Revenue recognised"), _("Revenue"), revenue["amount"])
    yield (
        section,
        _("Net cash minus revenue"),
        _("Amount"),
        report["difference"],
    )
    for row in report["trend"]:
        yield (_("Monthly trend"), row["month"], _("Net cash"), row["cash"])
        yield (_("Monthly trend"), row["month"], _("Revenue"), row["revenue"])
    outstanding, overdue = report["outstanding"], report["overdue"]
    section = _("Receivables")
    yield (section, _("Outstanding balances"), _("Amount"), outstanding["amount"])
    yield (section, _("Outstanding balances"), _("Enrollments"), outstanding["count"])
    yield (section, _("Overdue instalments"), _("Amount"), overdue["amount"])
    yield (section, _("Overdue instalments"), _("Instalments"), overdue["instalments"])
    yield (section, _("Overdue instalments"), _("Enrollments"), overdue["enrollments"])
    for row in report["refunds_by_class"]:
        item = f"{row['name']} ({row['campus']})"
        yield (_("Refunds by class"), item, _("Refunded"), row["amount"])
        yield (_("Refunds by class"), item, _("Refunds"), row["count"])
    for row in report["refunds_by_consultant"]:
        yield (_("Refunds by consultant"), row["name"], _("Refunded"), row["amount"])
        yield (_("Refunds by consultant"), row["name"], _("Refunds"), row["count"])


def chart_data(report: dict) -> dict:
    """Return what static/finance/report.js draws, as JSON-ready values."""
    return {
        "trend": {
            "labels": [row["month"] for row in report["trend"]],
            "cash": [float(row["cash"]) for row in report["trend"]],
            "revenue": [float(row["revenue"]) for row in report["trend"]],
            "cashLabel": _("Net cash"),
            "revenueLabel": _("Revenue recognised"),
        },
        "refundClasses": {
            "labels": [row["name"] for row in report["refunds_by_class"]],
            "values": [float(row["amount"]) for row in report["refunds_by_class"]],
            "label": _("Refunded"),
        },
        "refundConsultants": {
            "labels": [row["name"] for row in report["refunds_by_consultant"]],
            "values": [float(row["amount"]) for row in report["refunds_by_consultant"]],
            "label": _("Refunded"),
        },
    }


def _filter_form(request: HttpRequest) -> tuple[FinanceReportFilterForm, bool]:
    """Return the bound filter form and whether the user chose anything.

    Without a choice the form still validates: the default period (see
    crm.report_forms.default_period), every campus the user may see.
    """
    chosen = bool(request.GET.keys() - {FORMAT_PARAM})
    data = request.GET if chosen else FinanceReportFilterForm.default_data()
    return FinanceReportFilterForm(data, user=request.user), chosen


def _invalid(request: HttpRequest, form: FinanceReportFilterForm) -> HttpResponse:
    return render(request, TEMPLATE, {"form": form, "report": None})


@require_GET
@rule_required
def report(request: HttpRequest) -> HttpResponse:
    """Show the finance report of the chosen period and campus."""
    form, chosen = _filter_form(request)
    if not form.is_valid():
        return _invalid(request, form)
    report = finance_report(form.scope())
    return render(
        request,
        TEMPLATE,
        {
            "form": form,
            "report": report,
            "charts": chart_data(report),
            "opened_on_last_month": not chosen
            and form.cleaned_data["period"] == Period.LAST_MONTH,
        },
    )


@require_GET
@rule_required
def report_export(request: HttpRequest) -> HttpResponse:
    """Download the finance report as Excel (?format=xlsx, default) or CSV."""
    form, _chosen = _filter_form(request)
    export = request.GET.get(FORMAT_PARAM, FORMATS[0])
    if form.is_valid() and export not in FORMATS:
        form.add_error(None, _("Download the report as xlsx or csv."))
    if not form.is_valid():
        return _invalid(request, form)
    report = finance_report(form.scope())
    scope = report["scope"]
    filename = f"finance-report-{scope.since:%Y%m%d}-{scope.until:%Y%m%d}.{export}"
    headers = [_("Section"), _("Item"), _("Measure"), _("Value")]
    if export == "csv":
        return csv_response(
            filename=filename, headers=headers, rows=export_rows(report)
        )
    return xlsx_response(
        filename=filename,
        headers=headers,
        rows=export_rows(report),
        sheet_title=_("Finance report"),
    )
