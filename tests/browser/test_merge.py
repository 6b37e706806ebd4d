"""Issue 17: the sales manager merges a lead entered twice, then undoes it."""

import re

import pytest
from playwright.sync_api import expect

from crm.demo_data import DUPLICATE_NUMBER, MENU_DUPLICATES
from crm.models import Customer, CustomerMerge
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_manager_merges_a_duplicate_lead_and_undoes_it(page, demo_site):
    kept = Customer.objects.get(phone=DUPLICATE_NUMBER)
    other = Customer.objects.get(qq=DUPLICATE_NUMBER)
    log_in(page, "manager")
    page.get_by_role("button", name="English").click()

    page.get_by_test_id("main-menu").get_by_role("link", name=MENU_DUPLICATES).click()
    pair = page.get_by_test_id(f"pair-{kept.pk}-{other.pk}")
    expect(pair).to_contain_text("陈静")
    pair.get_by_test_id("merge-link").click()

    # Side by side: keep the QQ group as the source, the other lead's choice.
    expect(page.get_by_test_id("side-by-side")).to_contain_text("静待花开")
    expect(page.get_by_test_id("moving")).to_contain_text(re.compile("follow-up", re.I))
    page.get_by_test_id("row-source").get_by_label("QQ group").check()
    page.get_by_test_id("merge-submit").click()

    expect(page).to_have_url(re.compile(rf"/crm/customers/{kept.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text("merged into")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("百度推广来的")
    expect(timeline).to_contain_text("QQ 群里聊过")
    kept.refresh_from_db()
    assert kept.source == "qq_group" and kept.qq == DUPLICATE_NUMBER
    assert not Customer.objects.filter(pk=other.pk).exists()

    page.get_by_test_id("undo-merge").click()
    expect(page.locator(".alert-success")).to_contain_text("undone")
    expect(page.get_by_test_id("timeline")).not_to_contain_text("QQ 群里聊过")
    assert CustomerMerge.objects.get().undone_at is not None
    page.get_by_test_id("main-menu").get_by_role("link", name=MENU_DUPLICATES).click()
    expect(page.get_by_test_id(f"pair-{kept.pk}-{other.pk}")).to_be_visible()
    page.goto(f"/crm/customers/{other.pk}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("QQ 群里聊过")
