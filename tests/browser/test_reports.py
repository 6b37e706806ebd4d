"""Scenario 6: the sales manager reads the sales report and downloads it."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from crm.demo_data import MENU_SALES_REPORTS
from crm.report_forms import default_period, period_dates
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_scenario_6_manager_opens_the_report_changes_the_period_and_downloads_it(
    page, demo_site, tmp_path
):
    log_in(page, "manager")
    page.get_by_role("button", name="English").click()
    page.get_by_test_id("main-menu").get_by_role(
        "link", name=MENU_SALES_REPORTS
    ).click()
    expect(page).to_have_url(re.compile(r"/crm/reports/$"))
    expect(page.get_by_role("heading", name="Sales reports")).to_be_visible()
    today = timezone.localdate()
    # Early in a month it opens on last month, later on the month so far.
    since, until = period_dates(default_period(today), today)
    expect(page.get_by_test_id("report-period")).to_have_text(
        f"Period: {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    )
    # The charts are drawn from the embedded JSON.
    expect(page.locator("#chart-trend")).to_have_attribute("style", re.compile("."))

    page.get_by_label("Period", exact=True).select_option(label="This year")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("report-period")).to_have_text(
        f"Period: {today.year}-01-01 to {today.year}-12-31"
    )
    net_on_page = Decimal(page.get_by_test_id("revenue-net").inner_text())
    leads_on_page = int(page.get_by_test_id("funnel-leads").inner_text())

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"sales-report-{today.year}0101-{today.year}1231.xlsx"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[0] == ("Section", "Item", "Measure", "Value")
    values = {row[:3]: row[3] for row in rows[1:]}
    assert Decimal(str(values["Revenue", "This period", "Net revenue"])) == net_on_page
    assert values["Conversion funnel", "All leads", "Leads"] == leads_on_page


# The value axis of each chart of counts; the revenue trend's is money.
COUNT_AXES = {
    "chart-sources": "y",
    "chart-funnel": "x",
    "chart-classes": "y",
    "chart-activity": "y",
}
TICKS = """([id, axis]) => Chart.getChart(id).scales[axis].ticks.map(t => t.value)"""


def test_count_charts_have_whole_number_ticks_and_money_keeps_decimals(page, demo_site):
    log_in(page, "manager")
    page.get_by_role("button", name="English").click()
    # The last quarter of the demo: small counts, where Chart.js would
    # otherwise step by 0.5 or 0.1.
    for period in ("last_quarter", "last_month"):
        page.goto(f"/crm/reports/?period={period}")
        expect(page.locator("#chart-activity")).to_have_attribute(
            "style", re.compile(".")
        )
        for chart, axis in COUNT_AXES.items():
            ticks = page.evaluate(TICKS, [chart, axis])
            assert ticks, chart
            assert all(value == int(value) for value in ticks), (chart, ticks)
        precision = page.evaluate(
            "() => Chart.getChart('chart-trend').options.scales.y.ticks.precision"
        )
        assert precision is None
