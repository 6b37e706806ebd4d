"""WCAG 2.1 AA on every page: axe-core over each demo role's pages, two screens.

For every demo login the crawl opens the landing page, every page it links
to and every page those link to (one sample of each kind of URL: ids and
query values do not make a new kind), on a laptop screen and on a 390 px
phone, runs axe-core (vendored for the tests in tests/browser/vendor/) and
fails on any critical or serious violation, naming rule, page and element.
The logged-out pages and the enrollment form are checked too. A new page
joins the crawl by being linked; no test changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from playwright.sync_api import Error as PlaywrightError

from crm.demo_data import DEMO_LOGINS
from tests.browser.conftest import log_in

pytestmark = [
    pytest.mark.browser,
    # The pages are the same whatever the database: CI checks them once.
    pytest.mark.skipif(
        connection.vendor == "postgresql",
        reason="the accessibility crawl runs on SQLite only",
    ),
]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENS = {"desktop": (1366, 768), "phone": (390, 844)}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"critical", "serious"}
MAX_PAGES = 60
SKIP_PATHS = re.compile(
    r"^/(accounts/logout/|i18n/|admin/|static/)|/export/|/download|/zip/|/documents/"
    r"|/homework-file/|/file/"
)


def url_kind(url: str) -> str:
    """Return the kind of a URL: its path with ids as <n>, and its query names."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/<n>", parts.path)
    names = sorted({name for name, _value in parse_qsl(parts.query)} - {"p", "o"})
    return path + ("?" + "&".join(names) if names else "")


def same_site_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        href = href.split("#", 1)[0]
        if not href.startswith(base):
            continue
        path = href[len(base) :] or "/"
        if SKIP_PATHS.search(urlsplit(path).path):
            continue
        found.append(href)
    return found


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations']})""",
        TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(url: str, screen: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        for node in violation["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(
                f"{violation['impact']} {violation['id']} on {url} ({screen}): "
                f"{target} — {node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return lines


def check_pages(context, base: str, start_urls: list[str]) -> tuple[list[str], int]:
    """Crawl from ``start_urls`` two levels deep; return the problems and pages."""
    page = context.new_page()
    seen_kinds: set[str] = set()
    problems: list[str] = []
    queue = [(url, 0) for url in start_urls]
    checked = 0
    while queue and checked < MAX_PAGES:
        url, depth = queue.pop(0)
        kind = url_kind(url)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        if "export=" in url or "format=" in url:
            continue  # a download, not a page
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            continue
        checked += 1
        for screen, (width, height) in SCREENS.items():
            page.set_viewport_size({"width": width, "height": height})
            problems += describe(url, screen, axe_violations(page))
        if depth < 2:
            queue += [(link, depth + 1) for link in same_site_links(page, base)]
    page.close()
    return problems, checked


def new_context(browser, live_server):
    # bypass_csp: the test injects axe-core, which the site's policy forbids.
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", bypass_csp=True
    )
    context.set_default_timeout(15_000)
    return context


@pytest.mark.parametrize("username", [login.username for login in DEMO_LOGINS])
def test_every_page_of_every_role_has_no_serious_violation(
    browser, live_server, demo_site, settings, username
):
    settings.LANGUAGE_CODE = "zh-hans"
    context = new_context(browser, live_server)
    page = context.new_page()
    log_in(page, username)
    landing = page.url
    page.close()
    problems, checked = check_pages(context, live_server.url, [landing])
    context.close()
    assert checked >= 2, f"{username}: only {checked} page(s) reached"
    assert not problems, "\n".join(problems)


def test_logged_out_pages_and_the_enrollment_form(
    browser, live_server, demo_site, settings
):
    from accounts.models import User
    from crm.models import ClassList, Customer
    from crm.services import enrollment_link_create

    settings.LANGUAGE_CODE = "zh-hans"
    sales = User.objects.get(username="sales_b")
    customer = Customer.objects.filter(consultant=sales, pool="private").first()
    _link, token = enrollment_link_create(
        customer=customer, class_list=ClassList.objects.first(), by=sales
    )
    context = new_context(browser, live_server)
    base = live_server.url
    pages = [
        f"{base}/accounts/login/",
        f"{base}/accounts/password/reset/",
        f"{base}/enroll/{token}/",
        f"{base}/enroll/not-a-token/",
        f"{base}/no-such-page/",
    ]
    problems, checked = check_pages(context, base, pages)
    context.close()
    assert checked >= len(pages)
    assert not problems, "\n".join(problems)
