"""Scenarios 1, 3, 4 and 5 of MISSION.md, as the demo sales staff."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Notification
from crm.demo_data import LINUX, MENU_MY_CUSTOMERS, PYTHON
from crm.models import Customer, CustomerFollowUp
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def in_english(page, username):
    log_in(page, username)
    page.get_by_role("button", name="English").click()


def add_lead(page, **fields):
    page.goto("/kingadmin/crm/customer/add/")
    page.locator("#id_name").fill(fields["name"])
    page.locator("#id_qq").fill(fields.get("qq", ""))
    page.locator("#id_phone").fill(fields.get("phone", ""))
    page.locator("#id_source").select_option(label=fields.get("source", "QQ group"))
    if "course" in fields:
        page.locator("#id_consult_course").select_option(label=fields["course"])
    page.locator("#id_notes").fill(fields.get("notes", ""))
    page.get_by_role("button", name="Save", exact=True).click()


def test_scenario_1_sales_a_enters_a_lead_from_baidu(page, demo_site):
    in_english(page, "sales_a")
    add_lead(
        page,
        name="Zhao Lei",
        qq="8866 7755",
        phone="+86 137-0000-1234",
        source="Baidu ads",
        course=PYTHON,
        notes="Asked about Python full-stack; not enrolled yet.",
    )
    expect(page.locator(".alert-success")).to_contain_text("Zhao Lei")
    customer = Customer.objects.get(name="Zhao Lei")
    # Saved, the sales lands on the lead's page to work it.
    expect(page).to_have_url(re.compile(rf"/crm/customers/{customer.pk}/$"))
    assert (customer.qq, customer.phone) == ("88667755", "13700001234")
    assert customer.source == "baidu_ads" and customer.status == "not_enrolled"
    assert customer.consultant.username == "sales_a"
    page.get_by_test_id("main-menu").get_by_role("link", name=MENU_MY_CUSTOMERS).click()
    expect(page.get_by_role("link", name="Zhao Lei")).to_be_visible()


def test_scenario_4_duplicate_lead_is_refused_and_the_owner_is_told(
    page, browser, live_server, demo_site
):
    existing = Customer.objects.filter(consultant__username="sales_a").first()
    in_english(page, "sales_d")
    typed = f"{existing.phone[:3]}-{existing.phone[3:7]}-{existing.phone[7:]}"
    add_lead(page, name="Same person", phone=typed)
    error = page.locator(".invalid-feedback, .alert-danger").filter(
        has_text="already exists"
    )
    expect(error.first).to_contain_text(f"customer “{existing}”, owned by 销售A")
    assert not Customer.objects.filter(name="Same person").exists()

    owner = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    log_in(owner, "sales_a")
    owner.get_by_role("button", name="English").click()
    # Besides the leads that fell back into the public pool at seeding time.
    unread = Notification.objects.filter(
        recipient__username="sales_a", is_read=False
    ).count()
    expect(owner.get_by_test_id("unread-count")).to_have_text(str(unread))
    owner.get_by_test_id("notification-bell").click()
    expect(owner.get_by_test_id("notifications")).to_contain_text(
        f"销售D tried to enter your customer “{existing}”"
    )
    owner.get_by_test_id("notifications").get_by_role(
        "button", name="Mark as read"
    ).first.click()
    expect(owner.get_by_test_id("unread-count")).to_have_text(str(unread - 1))
    owner.context.close()


def test_scenario_3_sales_c_records_a_follow_up_on_an_old_lead(page, demo_site):
    lead = (
        Customer.objects.filter(
            consultant__username="sales_c", consult_course__name=LINUX
        ).first()
        or Customer.objects.filter(consultant__username="sales_c").first()
    )
    in_english(page, "sales_c")
    page.goto(f"/crm/customers/{lead.pk}/")
    expect(page.get_by_role("heading", name=str(lead))).to_be_visible()
    page.locator("#id_content").fill("Phoned about Linux 40; not convinced yet.")
    page.locator("#id_intention").select_option(label="Will enrol within a month")
    page.get_by_role("button", name="Save follow-up").click()
    expect(page.locator(".alert-success")).to_contain_text("recorded")
    expect(page.get_by_test_id("timeline").locator("li").first).to_contain_text(
        "Phoned about Linux 40"
    )
    followup = CustomerFollowUp.objects.filter(customer=lead).order_by("-pk").first()
    assert followup.intention == "1_month"
    lead.refresh_from_db()
    assert lead.last_followup_at == followup.created_at


def test_scenario_5_sales_b_claims_from_the_public_pool_and_converts(page, demo_site):
    """B opens the public pool, filters "more than a month", claims, converts."""
    in_english(page, "sales_b")
    page.get_by_test_id("main-menu").locator('a[href*="pool=public"]').click()
    expect(page).to_have_url(re.compile(r"pool=public"))
    page.get_by_role("link", name="more than 30 days").click()
    expect(page).to_have_url(re.compile(r"stale=30"))
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    # The pool lists the longest-idle leads first, with their idle days.
    idle = [
        int(text)
        for text in page.locator('td[data-column="idle_days"]').all_inner_texts()
    ]
    assert idle == sorted(idle, reverse=True) and idle[0] > 30
    lead = (
        Customer.objects.filter(pool="public", consultant__username="sales_a")
        .order_by("last_activity_at")
        .first()
    )
    page.get_by_role("link", name=str(lead), exact=True).first.click()
    expect(page.get_by_test_id("owner")).to_have_text("销售A")
    expect(page.get_by_test_id("claim-first")).to_be_visible()
    page.get_by_test_id("claim").click()
    expect(page.locator(".alert-success")).to_contain_text("private pool")
    expect(page.get_by_test_id("owner")).to_have_text("销售B")
    page.locator("#id_content").fill("Came to the campus and signed up.")
    page.locator("#id_intention").select_option(label="Enrolled")
    page.get_by_role("button", name="Save follow-up").click()
    expect(page.locator(".alert-success")).to_contain_text("recorded")
    expect(page.get_by_test_id("owner")).to_have_text("销售B")
    lead.refresh_from_db()
    assert (lead.consultant.username, lead.pool) == ("sales_b", "private")
    assert CustomerFollowUp.objects.filter(
        customer=lead, consultant__username="sales_b", intention="enrolled"
    ).exists()
    # A fresh lead of sales A is never in the pool.
    fresh = Customer.objects.filter(consultant__username="sales_a").latest("created_at")
    page.goto(f"/crm/customers/{fresh.pk}/")
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
