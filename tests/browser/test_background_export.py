"""A manager exports a long customer list: a progress page, then the file."""

import csv
import io

import pytest
from playwright.sync_api import expect

from crm.models import Customer
from jobs.models import Export
from jobs.tests.conftest import DATABASE_BACKEND, make_worker
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_long_export_shows_its_progress_then_its_file(
    page, demo_site, settings, monkeypatch
):
    from django_tasks_db.management.commands import db_worker

    settings.TASKS = DATABASE_BACKEND  # queued: nothing runs until a worker does
    settings.KINGADMIN_EXPORT_IN_BACKGROUND_ABOVE = 5
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    log_in(page, "manager")
    page.goto("/kingadmin/crm/customer/")
    page.get_by_role("button", name="导出").click()
    page.get_by_role("link", name="CSV（逗号分隔）").click()

    expect(page.get_by_role("heading", name="导出：客户")).to_be_visible()
    expect(page.get_by_text("列表较长，正在后台导出")).to_be_visible()
    expect(page.locator("[data-export-state]")).to_have_text("排队中")
    download_link = page.get_by_role("link", name="下载 (CSV)")
    expect(download_link).to_be_hidden()

    make_worker().run()  # the page polls and shows the result by itself

    expect(page.locator("[data-export-state]")).to_have_text("已完成")
    expect(page.locator("[data-export-progress]")).to_have_attribute("value", "100")
    expect(download_link).to_be_visible()
    with page.expect_download() as info:
        download_link.click()
    body = open(info.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "名称"  # the list's columns, in the user's language
    assert len(rows) == Customer.objects.count() + 1
    assert info.value.suggested_filename == "客户.csv"
    assert Export.objects.get().state == Export.State.DONE
