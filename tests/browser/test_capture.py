"""A campaign's public lead form in a real browser: on its own, and embedded.

A visitor comes from an ad (UTM tags in the link), fills in the form and is
thanked; fills it in again with the same phone, typed another way, and is
thanked the same way. The lead's owner then finds the "came again"
follow-up on the lead's page and a notification. Another site's page that
frames the form works too.
"""

import re

import pytest
from playwright.sync_api import expect

from crm.models import Customer, LeadForm, LeadSubmission
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

BAIDU_FORM = "百度推广·Python全栈 2026冬"


def _fill(target, *, name, phone, message):
    target.locator("#id_name").fill(name)
    target.locator("#id_phone").fill(phone)
    target.locator("#id_notes").fill(message)
    target.get_by_test_id("lead-form-submit").click()


def test_a_visitor_fills_the_form_twice_and_the_owner_sees_it_came_again(
    browser, live_server, page, demo_site
):
    form = LeadForm.objects.get(name=BAIDU_FORM)
    visitor = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
    ).new_page()
    link = f"/f/{form.token}/?utm_source=baidu&utm_medium=cpc&utm_campaign=python_s10"
    visitor.goto(link)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(form.title)
    # The honeypot is there for bots, not for people: a pixel, out of reach.
    box = visitor.locator("input[name=website]").locator("xpath=..").bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1
    assert visitor.locator("input[name=website]").get_attribute("tabindex") == "-1"
    _fill(visitor, name="韩小梅", phone="137 6666 0001", message="想报周末班")
    thanks = visitor.get_by_test_id("lead-form-thanks")
    expect(thanks).to_have_text(form.thank_you)
    first_page = visitor.content()

    visitor.goto(link)
    _fill(visitor, name="韩小梅", phone="+86 137-6666-0001", message="学费可以分期吗")
    expect(thanks).to_have_text(form.thank_you)
    assert visitor.content() == first_page
    visitor.context.close()

    customer = Customer.objects.get(phone="13766660001")
    assert customer.source == Customer.Source.BAIDU_ADS
    submissions = LeadSubmission.objects.filter(customer=customer).order_by("pk")
    assert [s.outcome for s in submissions] == ["new", "again"]
    assert {s.utm_campaign for s in submissions} == {"python_s10"}

    owner = customer.consultant
    log_in(page, owner.username)
    page.goto(f"/crm/customers/{customer.pk}/")
    followup = page.locator(".text-pre-line", has_text="学费可以分期吗")
    expect(followup).to_be_visible()
    expect(followup).to_contain_text(BAIDU_FORM)
    expect(page.get_by_test_id("lead-submissions")).to_contain_text("python_s10")
    page.get_by_test_id("notification-bell").click()
    expect(
        page.get_by_text(re.compile(f"韩小梅.*{re.escape(BAIDU_FORM)}")).first
    ).to_be_visible()


def test_another_sites_page_embeds_the_form(browser, live_server, demo_site):
    form = LeadForm.objects.get(name=BAIDU_FORM)
    # The page of another site, with the embed code. It is served by the
    # test (no address), so Chromium would take it for a page of the
    # internet and keep it from framing this local server at all (local
    # network access checks): a school's real server is on the internet.
    other = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks"],
        headless=True,
    )
    context = other.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    src = f"{live_server.url}/f/{form.token}/?utm_source=partner"
    context.route(
        "http://school-partner.example/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<!doctype html><html><body><h1>合作伙伴</h1>"
                f'<iframe src="{src}" title="lead form" width="400" height="700">'
                "</iframe></body></html>"
            ),
        ),
    )
    page = context.new_page()
    try:
        page.goto("http://school-partner.example/landing")
        frame = page.frame_locator("iframe")
        _fill(frame, name="刘小洋", phone="13766660002", message="在线咨询")
        expect(frame.get_by_test_id("lead-form-thanks")).to_have_text(form.thank_you)
    finally:
        context.close()
        other.close()
    submission = LeadSubmission.objects.get(customer__phone="13766660002")
    assert submission.utm_source == "partner"
    assert submission.outcome == "new"
