"""Issue 17: the sales manager imports a spreadsheet of leads, then reverts it."""

import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from crm.demo_data import MENU_LEAD_IMPORTS
from crm.models import Customer, LeadImport
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _spreadsheet(path, taken_phone: str) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "QQ", "来源", "备注"])
    sheet.append(["导入甲", "13812340001", "", "百度推广", "想学 Python"])
    sheet.append(["导入乙", "138-1234-0002", "", "", ""])
    sheet.append(["导入丙", "", "88812340003", "", "QQ 群"])
    sheet.append(["老客户", taken_phone, "", "", ""])
    sheet.append(["号码错了", "12345", "", "", ""])
    book.save(path)


def test_manager_imports_leads_previews_commits_and_reverts(
    page, demo_site, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    taken = Customer.objects.exclude(phone=None).select_related("consultant")
    taken = taken.order_by("pk").first()
    workbook = tmp_path / "名单.xlsx"
    _spreadsheet(workbook, taken.phone)

    log_in(page, "manager")
    page.get_by_role("button", name="English").click()
    page.get_by_test_id("main-menu").get_by_role("link", name=MENU_LEAD_IMPORTS).click()
    page.get_by_test_id("new-import").click()

    # The upload: the file, the owner of the new leads, their source.
    expect(page.get_by_test_id("template-download")).to_be_visible()
    page.get_by_label("Spreadsheet").set_input_files(workbook)
    page.get_by_label("Owner of the new leads").select_option(label="销售A")
    page.get_by_test_id("upload-submit").click()

    # The columns, guessed from the header.
    expect(page.get_by_test_id("columns-form")).to_be_visible()
    phone = page.get_by_label("Phone")
    expect(phone).to_have_value("1")
    expect(phone.locator("option:checked")).to_contain_text("13812340001")
    expect(page.get_by_label("QQ")).to_have_value("2")
    page.get_by_test_id("columns-submit").click()

    # The preview: three new rows, a duplicate of a demo customer, an error.
    expect(page.get_by_test_id("count-new")).to_have_text("3")
    expect(page.get_by_test_id("count-duplicate")).to_have_text("1")
    expect(page.get_by_test_id("count-error")).to_have_text("1")
    expect(page.get_by_test_id("status-5")).to_contain_text(
        f"duplicate of {taken.name} ({taken.consultant})"
    )
    expect(page.get_by_test_id("status-6")).to_contain_text("Phone:")
    expect(page.get_by_test_id("commit")).to_have_text("Import 3 leads")

    # 导入乙 is left out.
    page.get_by_test_id("choose-3").uncheck()
    page.get_by_test_id("save-choices").click()
    expect(page.get_by_test_id("count-chosen")).to_have_text("2")
    expect(page.get_by_test_id("choose-3")).not_to_be_checked()
    page.get_by_test_id("commit").click()

    # The log: finished, with its counts.
    expect(page).to_have_url(re.compile(r"/crm/imports/\d+/$"))
    expect(page.get_by_test_id("import-state")).to_have_text("Imported")
    expect(page.get_by_test_id("import-created")).to_have_text("2")
    expect(page.get_by_test_id("import-duplicates")).to_have_text("1")
    expect(page.get_by_test_id("import-errors")).to_have_text("1")
    lead_import = LeadImport.objects.get()
    made = Customer.objects.filter(lead_import=lead_import)
    assert sorted(made.values_list("name", "consultant__username")) == [
        ("导入丙", "sales_a"),
        ("导入甲", "sales_a"),
    ]

    page.get_by_test_id("imported-leads").click()
    expect(page).to_have_url(re.compile(rf"lead_import={lead_import.pk}"))
    expect(page.get_by_role("link", name="导入甲")).to_be_visible()
    expect(page.get_by_role("link", name="导入丙")).to_be_visible()
    expect(page.get_by_role("link", name="导入乙")).to_have_count(0)
    page.go_back()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("revert").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "2 leads deleted, 0 kept because someone worked them."
    )
    expect(page.get_by_test_id("import-state")).to_have_text("Reverted")
    assert not Customer.objects.filter(lead_import=lead_import).exists()
    assert Customer.objects.filter(pk=taken.pk).exists()
