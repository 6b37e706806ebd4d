"""Fixtures for the scenario tests: a live server with the demo data."""

import pytest


@pytest.fixture
def page(browser, live_server, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo_site(transactional_db):
    from crm.demo_data import seed_demo

    seed_demo()


def log_in(page, username, password="demo-pass-2026"):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    # Return once the answer (landing page, or the form with an error) has
    # loaded: a test that goes on, or closes the page, while the login still
    # navigates races Chromium (a close has been seen to hang).
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
