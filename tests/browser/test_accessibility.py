"""WCAG 2.1 AA on every page: axe-core over each demo role's pages, two screens.

For one demo login of every role the crawl opens the landing page, every page it links
to and every page those link to (one sample of each kind of URL: ids and
query values do not make a new kind), on a laptop screen and on a 390 px
phone, runs axe-core (vendored for the tests in tests/browser/vendor/) and
fails on any critical or serious violation, naming rule, page and element.
The logged-out pages, the enrollment form and a lead form are checked too. A
new page joins the crawl by being linked; no test changes.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

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
# /api/v1/: the schema (YAML) and its docs page, Swagger UI as vendored, for
# developers (its markup and colours are upstream's; the tokens page is ours).
SKIP_PATHS = re.compile(
    r"^/(accounts/logout/|i18n/|admin/|static/|api/v1/)|/export/|/download|/zip/"
    r"|/documents/|/homework-file/|/file/"
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


# axe.run() is started without awaiting it and its result waited for with a
# bounded wait: a page.evaluate() of the promise itself has no timeout, so a
# run that never settles would hang the suite instead of failing one page.
START_AXE = """tags => {
    window.__axeResult = undefined;
    axe.run(document, {runOnly: {type: 'tag', values: tags},
                       resultTypes: ['violations']})
       .then(result => { window.__axeResult = {violations: result.violations}; },
             error => { window.__axeResult = {error: String(error)}; });
}"""
AXE_TIMEOUT_MS = 60_000


class AxeDidNotFinish(AssertionError):
    pass


def axe_violations(page) -> list[dict]:
    page.evaluate(START_AXE, TAGS)
    try:
        page.wait_for_function(
            "() => window.__axeResult !== undefined",
            polling=100,
            timeout=AXE_TIMEOUT_MS,
        )
    except PlaywrightTimeoutError as error:
        raise AxeDidNotFinish(f"axe-core did not finish on {page.url}") from error
    result = page.evaluate("() => window.__axeResult")
    if "error" in result:
        raise AssertionError(f"axe-core failed on {page.url}: {result['error']}")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def axe_violations_of(page, url: str) -> list[dict]:
    """Run axe on the page; once more after a reload if a run never finishes."""
    try:
        return axe_violations(page)
    except AxeDidNotFinish:
        warnings.warn(f"axe-core did not finish on {url}: reloaded once", stacklevel=1)
        page.reload()
        return axe_violations(page)


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


def check_pages(page, base: str, start_urls: list[str]) -> tuple[list[str], int]:
    """Crawl from ``start_urls`` two levels deep; return the problems and pages.

    One page (tab) does the whole crawl and is closed with its context: a
    page closed while it still loads has been seen to hang Chromium's close.
    """
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
            problems += describe(url, screen, axe_violations_of(page, url))
        if depth < 2:
            queue += [(link, depth + 1) for link in same_site_links(page, base)]
    return problems, checked


def new_context(browser, live_server):
    # bypass_csp: the test injects axe-core, which the site's policy forbids.
    # An init script puts it in every page and frame before the page's own.
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", bypass_csp=True
    )
    context.add_init_script(path=str(AXE))
    context.set_default_timeout(15_000)
    return context


def one_login_per_role() -> list[str]:
    """Return the first demo login of each role: logins of one role see one menu."""
    first = {}
    for login in DEMO_LOGINS:
        first.setdefault(login.role, login.username)
    return list(first.values())


@pytest.mark.parametrize("username", one_login_per_role())
def test_every_page_of_every_role_has_no_serious_violation(
    browser, live_server, demo_site, settings, username
):
    settings.LANGUAGE_CODE = "zh-hans"
    context = new_context(browser, live_server)
    page = context.new_page()
    log_in(page, username)
    problems, checked = check_pages(page, live_server.url, [page.url])
    context.close()
    assert checked >= 2, f"{username}: only {checked} page(s) reached"
    assert not problems, "\n".join(problems)


def test_logged_out_pages_and_the_enrollment_form(
    browser, live_server, demo_site, settings
):
    from accounts.models import User
    from crm.models import ClassList, Customer, LeadForm
    from crm.services import enrollment_link_create

    settings.LANGUAGE_CODE = "zh-hans"
    sales = User.objects.get(username="sales_b")
    customer = Customer.objects.filter(consultant=sales, pool="private").first()
    _link, token = enrollment_link_create(
        customer=customer, class_list=ClassList.objects.first(), by=sales
    )
    lead_form = LeadForm.objects.filter(is_active=True).first()
    context = new_context(browser, live_server)
    base = live_server.url
    pages = [
        f"{base}/accounts/login/",
        f"{base}/accounts/password/reset/",
        f"{base}/enroll/{token}/",
        f"{base}/enroll/not-a-token/",
        f"{base}/f/{lead_form.token}/",
        f"{base}/f/{lead_form.token}/thanks/",
        f"{base}/no-such-page/",
    ]
    problems, checked = check_pages(context.new_page(), base, pages)
    context.close()
    assert checked >= len(pages)
    assert not problems, "\n".join(problems)
