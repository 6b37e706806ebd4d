"""The API's pages in a real browser: a token made and copied, the docs read and tried.

A sales opens "API tokens" from the user menu, makes a token, copies it from
the page (shown once) and a program calls the API with it; the docs page
(Swagger UI, under the site's Content-Security-Policy) lists the operations
and "Try it out" answers with the sales' own customers.
"""

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from api.models import ApiToken
from crm.models import Customer
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_sales_makes_a_token_a_program_uses_and_reads_the_docs(page, demo_site):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    log_in(page, "sales_a")
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="API 令牌").click()
    expect(page.get_by_role("heading", name="API 令牌")).to_be_visible()
    page.get_by_label("用途").fill("官网表单")
    page.get_by_role("button", name="创建令牌").click()
    text = page.get_by_test_id("new-token").input_value()
    assert text.startswith("kc_")
    token = ApiToken.objects.get(name="官网表单")
    assert token.user.username == "sales_a"

    sales = User.objects.get(username="sales_a")
    answer = Client().get(
        "/api/v1/customers/?page_size=200", HTTP_AUTHORIZATION=f"Bearer {text}"
    )
    assert answer.status_code == 200
    assert {row["id"] for row in answer.json()["results"]} == set(
        Customer.objects.filter(consultant=sales, pool="private").values_list(
            "pk", flat=True
        )
    )
    # Shown once: reloading lists it without its secret.
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(page.get_by_test_id("tokens")).to_contain_text(f"kc_{token.key}_…")

    page.get_by_role("link", name="API 文档").click()
    docs = page.get_by_test_id("api-docs")
    operation = docs.locator(".opblock-summary-path", has_text="/api/v1/customers/")
    expect(operation.first).to_be_visible()
    page.locator("#operations-customers-customers_list").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    body = page.locator(".live-responses-table .response-col_description pre").first
    expect(body).to_contain_text('"results"')
    mine = Customer.objects.filter(consultant=sales, pool="private").first()
    expect(body).to_contain_text(mine.name)
    assert violations == []
