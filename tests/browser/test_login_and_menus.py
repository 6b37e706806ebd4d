"""Scenario: each demo user logs in in a real browser and lands on their home."""

import re

import pytest
from playwright.sync_api import expect

from crm.demo_data import (
    MENU_ALL_CUSTOMERS,
    MENU_MY_CUSTOMERS,
    MENU_OVERDUE,
    MENU_PUBLIC_POOL,
    PYTHON_S9,
)
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_sales_a_logs_in_and_sees_the_sales_menu_and_their_customers(page, demo_site):
    log_in(page, "sales_a")
    expect(page).to_have_url(re.compile(r"/kingadmin/crm/customer/\?mine=1$"))
    menu = page.get_by_test_id("main-menu")
    expect(menu.get_by_role("link", name="我的客户")).to_be_visible()
    expect(menu.get_by_role("link", name="我的客户")).to_have_attribute(
        "aria-current", "page"
    )
    expect(menu.get_by_role("link", name="我的班级")).to_have_count(0)
    expect(page.get_by_role("heading", name="客户", exact=True)).to_be_visible()
    first_qq = page.locator("a[href^='tencent://message/?uin=']").first
    expect(first_qq).to_be_visible()


def test_language_switch_turns_the_page_english(page, demo_site):
    log_in(page, "sales_a")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    # Menu names are data: they stay as the school wrote them.
    expect(page.get_by_test_id("main-menu").get_by_role("link")).to_have_text(
        [MENU_MY_CUSTOMERS, MENU_PUBLIC_POOL, MENU_ALL_CUSTOMERS, MENU_OVERDUE]
    )


@pytest.mark.parametrize(
    ("username", "path", "heading"),
    [("teacher", "/teacher/", "我的班级"), ("student", "/student/", "我的班级")],
)
def test_teacher_and_student_land_on_their_portal(
    page, demo_site, username, path, heading
):
    log_in(page, username)
    expect(page).to_have_url(re.compile(path + "$"))
    expect(page.get_by_text(PYTHON_S9).first).to_be_visible()


def test_wrong_password_shows_an_error_on_the_page(page, demo_site):
    log_in(page, "sales_a", "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()


def test_logout_from_the_user_menu(page, demo_site):
    log_in(page, "sales_b")
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


@pytest.mark.parametrize("language", ["简体中文", "English"])
def test_top_bar_fits_a_phone_in_both_languages(
    browser, live_server, demo_site, language
):
    phone = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN"
    ).new_page()
    log_in(phone, "sales_a")
    phone.get_by_role("button", name=language).click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.context.close()
