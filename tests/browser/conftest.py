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
    yield
    flush_append_only_tables_too()


def flush_append_only_tables_too():
    """Empty the database with the append-only triggers lifted for the while.

    The live server's test ends with a flush of every table, which the
    triggers (finance.triggers) refuse for the ledger, contract terms and
    receipts on SQLite; emptied here first, the flush finds nothing to refuse.
    """
    from django.core.management import call_command
    from django.db import connection

    from finance.triggers import lifted

    if connection.vendor != "sqlite":
        return
    with lifted(connection):
        call_command("flush", interactive=False, verbosity=0)


def log_in(page, username, password="demo-pass-2026"):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    # Return once the answer (landing page, or the form with an error) has
    # loaded: a test that goes on, or closes the page, while the login still
    # navigates races Chromium (a close has been seen to hang).
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
