"""A sales manager filters, sorts, pages through and edits customers in kingadmin."""

import re

import pytest
from playwright.sync_api import expect

from crm.models import Customer
from kingadmin.models import ChangeLog
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_filter_sort_paginate_and_edit_a_customer(page, demo_site):
    log_in(page, "manager")
    page.get_by_role("button", name="English").click()
    page.get_by_test_id("main-menu").get_by_role(
        "link", name="All customers", exact=True
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
    entry = ChangeLog.objects.get(object_id=str(customer.pk), action="change")
    assert entry.user.username == "manager"
    assert [c["field"] for c in entry.changes] == ["notes"]
