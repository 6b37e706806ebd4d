"""Scenario 6: the sales manager reads the sales report and downloads it."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_scenario_6_manager_opens_the_report_changes_the_period_and_downloads_it(
    page, demo_site, tmp_path
):
    log_in(page, "manager")
    page.get_by_role("button", name="English").click()
    page.get_by_test_id("main-menu").get_by_role("link", name="Sales reports").click()
    expect(page).to_have_url(re.compile(r"/crm/reports/$"))
    expect(page.get_by_role("heading", name="Sales reports")).to_be_visible()
    today = timezone.localdate()
    expect(page.get_by_test_id("report-period")).to_contain_text(
        f"{today.replace(day=1):%Y-%m-%d}"
    )
    # The charts are drawn from the embedded JSON.
    expect(page.locator("#chart-trend")).to_have_attribute("style", re.compile("."))

    page.get_by_label("Period", exact=True).select_option(label="Year")
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
