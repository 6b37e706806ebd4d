"""A sales manager filters, sorts, pages through and edits customers in kingadmin."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from crm.demo_data import MENU_ALL_CUSTOMERS
from crm.models import Customer
from kingadmin.models import ChangeLog
from tests.browser.conftest import log_in
from tests.factories import NotificationFactory

pytestmark = pytest.mark.browser


def test_filter_sort_paginate_and_edit_a_customer(page, demo_site):
    log_in(page, "manager")
    page.get_by_role("button", name="English").click()
    page.get_by_test_id("main-menu").get_by_role(
        "link", name=MENU_ALL_CUSTOMERS, exact=True
    ).click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    total = Customer.objects.count()
    expect(page.get_by_test_id("result-count")).to_have_text(f"{total} results")

    # Filter by source in the sidebar.
    qq_count = Customer.objects.filter(source="qq_group").count()
    page.locator("[data-filter='Source']").get_by_role("link", name="QQ group").click()
    expect(page).to_have_url(re.compile(r"source=qq_group"))
    expect(page.get_by_test_id("result-count")).to_have_text(
        f"{qq_count} result" + ("s" if qq_count != 1 else "")
    )
    sources = page.locator("#result-list tbody tr td:nth-child(5)")
    expect(sources.first).to_have_text("QQ group")

    # Sort by name, then toggle to descending.
    header = page.locator("#result-list thead").get_by_role("link", name="Name")
    header.click()
    expect(page).to_have_url(re.compile(r"o=name_link"))
    expect(page).to_have_url(re.compile(r"source=qq_group"))
    names = list(
        Customer.objects.filter(source="qq_group")
        .order_by("name", "-pk")
        .values_list("name", flat=True)
    )
    first_cell = page.locator("#result-list tbody tr td:nth-child(2)").first
    expect(first_cell).to_have_text(names[0])
    page.locator("#result-list thead").get_by_role("link", name="Name").click()
    expect(page).to_have_url(re.compile(r"o=-name_link"))

    # Pagination keeps the filter and the sort.
    page.goto("/kingadmin/crm/customer/?per_page=10&o=name_link")
    expect(page.locator("#result-list tbody tr")).to_have_count(10)
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="2").click()
    expect(page).to_have_url(re.compile(r"p=2"))
    expect(page).to_have_url(re.compile(r"per_page=10"))
    expect(page).to_have_url(re.compile(r"o=name_link"))
    expected = list(
        Customer.objects.order_by("name", "-pk").values_list("name", flat=True)[10:11]
    )
    expect(page.locator("#result-list tbody tr td:nth-child(2)").first).to_have_text(
        expected[0]
    )

    # Open a customer and edit it.
    page.locator("#result-list tbody tr td:nth-child(2) a").first.click()
    expect(page.get_by_role("heading", name=expected[0])).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    expect(
        page.get_by_role("heading", name=re.compile("Change customer"))
    ).to_be_visible()
    page.get_by_label("Notes").fill("Prefers the weekend class.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("was changed")
    customer = Customer.objects.get(name=expected[0])
    assert customer.notes == "Prefers the weekend class."
    # The newest change: the demo data may have logged earlier ones.
    entry = ChangeLog.objects.filter(
        object_id=str(customer.pk), action="change"
    ).latest("pk")
    assert entry.user.username == "manager"
    assert [c["field"] for c in entry.changes] == ["notes"]


# ------------------------------------------------------------- screen widths
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LIST_PATH = re.compile(r"^/kingadmin/[a-z_]+/[a-z_]+/$")
# How far the page scrolls sideways, and the widest table's own box.
MEASURE = """() => ({
    page: document.documentElement.scrollWidth,
    table: document.querySelector('#result-list')?.closest('.table-responsive')
        ?.clientWidth ?? 0,
})"""


def kingadmin_lists(page) -> list[str]:
    """Return the list pages the logged-in user reaches from the index."""
    page.goto("/kingadmin/")
    hrefs = page.locator("main a[href^='/kingadmin/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    paths = {href for href in hrefs if LIST_PATH.match(href)}
    paths |= {"/kingadmin/crm/customer/", "/kingadmin/crm/customer/?mine=1"}
    return sorted(paths)


def switch_language(page, language: str) -> None:
    page.goto("/kingadmin/crm/customer/")
    page.get_by_test_id("language-switch").get_by_role("button", name=language).click()
    expect(page.locator("html")).to_have_attribute(
        "lang", "en" if language == "English" else "zh-hans"
    )


@pytest.mark.parametrize("username", ["manager", "admin"])
@pytest.mark.parametrize("language", ["English", "简体中文"])
def test_every_list_fits_a_laptop_screen(
    browser, live_server, demo_site, username, language
):
    """The table scrolls inside its box, never the page (issue 10)."""
    context = browser.new_context(
        base_url=live_server.url, viewport=LAPTOP, locale="zh-CN"
    )
    page = context.new_page()
    user = User.objects.get(username=username)
    # Long texts, with and without spaces, that must wrap in their cell.
    NotificationFactory(recipient=user, text="学员的作业与考勤记录" * 30)
    NotificationFactory(
        recipient=user,
        text="Your lead was taken over by another consultant " * 5
        + "https://crm.example.com/"
        + "x" * 150,
    )
    log_in(page, username)
    switch_language(page, language)
    paths = kingadmin_lists(page)
    assert len(paths) >= (3 if username == "manager" else 10), paths
    too_wide = {}
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        expect(page.locator("#result-list")).to_be_visible()
        size = page.evaluate(MEASURE)
        if size["page"] > LAPTOP["width"]:
            too_wide[path] = size["page"]
        for box in page.locator("#result-list .cell-long").all():
            assert box.bounding_box()["width"] <= 32 * 16, path
    context.close()
    assert not too_wide, too_wide


@pytest.mark.parametrize("username", ["manager", "admin"])
def test_lists_on_a_phone_scroll_only_inside_the_table(
    browser, live_server, demo_site, username
):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="zh-CN", has_touch=True
    )
    page = context.new_page()
    log_in(page, username)
    too_wide = {}
    for language in ("English", "简体中文"):
        switch_language(page, language)
        for path in kingadmin_lists(page):
            page.goto(path)
            expect(page.locator("#result-list")).to_be_attached()
            size = page.evaluate(MEASURE)
            if size["page"] > PHONE["width"]:
                too_wide[language, path] = size["page"]
            # The table's box is within the screen, its content scrolls in it.
            assert 0 < size["table"] <= PHONE["width"], (path, size)
    context.close()
    assert not too_wide, too_wide
