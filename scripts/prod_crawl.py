"""Crawl a running production-mode server as every demo login.

    python scripts/prod_crawl.py http://127.0.0.1:8000

Run by ``scripts/prod-crawl``, which starts the server. For each demo login it
logs in through the real login form (CSRF token from the form and the cookie),
then fetches every same-site link of the landing page (the menu and the page's
own links) and every same-site link of those pages, one level down. It submits
no forms and never logs out. It fails on:

- any response with a status of 500 or more;
- a link that answers 4xx: a page must not link where its user is refused;
- an HTML response without a ``Content-Security-Policy`` header;
- a ``<link href>``, ``<script src>`` or ``<img src>`` under /static/ that does
  not answer 200 (also those of templates/500.html, which the crawl cannot
  reach: it is only rendered when a page breaks), nor a file a stylesheet
  refers to with ``url(...)`` (fonts, images).

Only the standard library, so it runs with any Python 3.11.
"""

import argparse
import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGINS = (
    "admin",
    "sales_a",
    "sales_b",
    "sales_c",
    "sales_d",
    "manager",
    "teacher",
    "student",
)
PASSWORD = "demo-pass-2026"  # noqa: S105 - the documented demo password
LOGIN_PATH = "/accounts/login/"
STATIC_PREFIX = "/static/"
# Paths never fetched: logging out would end the crawl's session, /i18n/ only
# takes POSTs that switch the language.
SKIP_PREFIXES = ("/accounts/logout/", "/i18n/")
TIMEOUT = 30
WORKERS = 8
# One level down, lists link to every row, sort order, filter and page; the
# same view with other ids or query values adds time, not coverage, so only
# the first few links of each kind (see page_kind) are fetched there.
LINKS_PER_KIND = 3
# A guard, not a target: the demo data gives a few hundred pages per role.
MAX_PAGES_PER_ROLE = 1500


class PageParser(HTMLParser):
    """Collect the links, static references and forms of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.statics: list[str] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "link" and attributes.get("href"):
            self.statics.append(attributes["href"])
        elif tag in {"script", "img"} and attributes.get("src"):
            self.statics.append(attributes["src"])
        elif tag == "form":
            self.forms.append({"attrs": attributes, "inputs": {}})
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["inputs"][attributes["name"]] = attributes.get("value") or ""


@dataclass
class Response:
    url: str
    status: int
    headers: dict
    body: bytes

    @property
    def is_html(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/html")


@dataclass
class RoleReport:
    login: str
    pages: int = 0
    failures: list[str] = field(default_factory=list)
    client_errors: list[str] = field(default_factory=list)
    statics: set[str] = field(default_factory=set)


class Browser:
    """One user's cookie jar, over urllib; redirects are followed."""

    def __init__(self, base: str):
        self.base = base
        self.netloc = urllib.parse.urlsplit(base).netloc
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def fetch(self, url: str, data: dict | None = None, referer: str = "") -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 - http(s) only
        if referer:
            request.add_header("Referer", referer)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return Response(
                    response.geturl(),
                    response.status,
                    _lower(response.headers),
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            return Response(
                error.geturl(), error.code, _lower(error.headers), error.read()
            )

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.cookies if c.name == name), "")

    def same_site(self, page_url: str, href: str) -> str | None:
        """Return the absolute URL of href without fragment, if it is on this site."""
        url = urllib.parse.urljoin(page_url, href.strip())
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"http", "https"} or parts.netloc != self.netloc:
            return None
        return urllib.parse.urlunsplit(parts._replace(fragment=""))


def _lower(headers) -> dict:
    return {key.lower(): value for key, value in headers.items()}


def page_kind(url: str) -> tuple[str, tuple[str, ...]]:
    """Return the URL's path with numbers as <n>, and its query's names."""
    parts = urllib.parse.urlsplit(url)
    path = "/".join(
        "<n>" if segment.isdigit() else segment for segment in parts.path.split("/")
    )
    names = sorted({name for name, _ in urllib.parse.parse_qsl(parts.query, True)})
    return path, tuple(names)


def parse(response: Response) -> PageParser:
    parser = PageParser()
    parser.feed(response.body.decode("utf-8", "replace"))
    return parser


def log_in(browser: Browser, login: str, report: RoleReport) -> Response | None:
    """Log in through the login form; return the landing page, or None."""
    login_url = browser.base + LOGIN_PATH
    page = browser.fetch(login_url)
    check_page(page, report, referer="(login)")
    form = next((f for f in parse(page).forms if "password" in f["inputs"]), None)
    if form is None or not form["inputs"].get("csrfmiddlewaretoken"):
        report.failures.append(f"{login_url}: no login form with a CSRF token")
        return None
    if not browser.cookie("csrftoken"):
        report.failures.append(f"{login_url}: no csrftoken cookie")
        return None
    data = dict(form["inputs"], username=login, password=PASSWORD)
    action = urllib.parse.urljoin(page.url, form["attrs"].get("action") or page.url)
    landing = browser.fetch(action, data=data, referer=page.url)
    if urllib.parse.urlsplit(landing.url).path == LOGIN_PATH or landing.status != 200:
        report.failures.append(
            f"log in as {login}: ended on {landing.url} with {landing.status}"
        )
        return None
    check_page(landing, report, referer="(login)")
    return landing


def check_page(response: Response, report: RoleReport, *, referer: str) -> None:
    """Record what is wrong with one response; count it."""
    report.pages += 1
    where = f"{response.url} (linked from {referer})"
    if response.status >= 500:
        report.failures.append(f"{where}: status {response.status}")
    elif response.status >= 400:
        # Nobody is shown a link the page would refuse (or that leads nowhere).
        report.client_errors.append(f"{where}: status {response.status}")
        report.failures.append(f"{where}: a link answered {response.status}")
    if response.is_html and "content-security-policy" not in response.headers:
        report.failures.append(f"{where}: HTML without Content-Security-Policy")


def crawl_role(base: str, login: str) -> tuple[RoleReport, dict[str, str]]:
    """Log in as login and crawl two levels; return the report and its statics."""
    report = RoleReport(login)
    browser = Browser(base)
    statics: dict[str, str] = {}  # static URL -> a page that references it
    landing = log_in(browser, login, report)
    if landing is None:
        return report, statics
    seen = {landing.url, browser.base + LOGIN_PATH}

    def links_of(response: Response) -> list[str]:
        parser = parse(response)
        for src in parser.statics:
            url = browser.same_site(response.url, src)
            if url and urllib.parse.urlsplit(url).path.startswith(STATIC_PREFIX):
                statics.setdefault(url, response.url)
        found = []
        for href in parser.links:
            url = browser.same_site(response.url, href)
            if url is None or url in seen:
                continue
            path = urllib.parse.urlsplit(url).path
            if path.startswith(SKIP_PREFIXES) or path.startswith(STATIC_PREFIX):
                continue
            seen.add(url)
            found.append(url)
        return found

    # Every link of the landing page (the menu and the page itself) is fetched.
    level = [(url, landing.url) for url in links_of(landing)]
    kinds: dict[tuple, int] = {}
    for url, _ in level:
        kind = page_kind(url)
        kinds[kind] = kinds.get(kind, 0) + 1
    with ThreadPoolExecutor(WORKERS) as pool:
        for depth in (1, 2):
            budget = MAX_PAGES_PER_ROLE - report.pages
            if len(level) > budget:
                report.failures.append(
                    f"more than {MAX_PAGES_PER_ROLE} pages: crawl cut short"
                )
                level = level[:budget]
            responses = list(
                pool.map(lambda item: (browser.fetch(item[0]), item[1]), level)
            )
            next_level = []
            for response, referer in responses:
                check_page(response, report, referer=referer)
                if depth == 1 and response.is_html and response.status < 400:
                    next_level.extend((url, response.url) for url in links_of(response))
                elif response.is_html and response.status < 400:
                    links_of(response)  # for its static references
            level = []
            for url, referer in next_level:
                kind = page_kind(url)
                kinds[kind] = kinds.get(kind, 0) + 1
                if kinds[kind] <= LINKS_PER_KIND:
                    level.append((url, referer))
    report.statics = set(statics)
    return report, statics


def error_page_statics(base: str) -> dict[str, str]:
    """Return the static references of templates/500.html (never crawled)."""
    parser = PageParser()
    parser.feed((ROOT / "templates" / "500.html").read_text(encoding="utf-8"))
    return {
        urllib.parse.urljoin(base + "/", src): "templates/500.html"
        for src in parser.statics
        if src.startswith(STATIC_PREFIX)
    }


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")


def check_statics(base: str, statics: dict[str, str]) -> list[str]:
    """Fetch every static file, and the files their stylesheets refer to."""
    browser = Browser(base)
    failures = []
    batch = dict(statics)
    with ThreadPoolExecutor(WORKERS) as pool:
        while batch:
            responses = list(pool.map(browser.fetch, batch))
            found = {}
            for url, response in zip(batch, responses, strict=True):
                if response.status != 200:
                    failures.append(
                        f"{url} (referenced by {batch[url]}): status {response.status}"
                    )
                elif urllib.parse.urlsplit(url).path.endswith(".css"):
                    css = response.body.decode("utf-8", "replace")
                    for ref in CSS_URL.findall(css):
                        if ref.startswith(("data:", "#")):
                            continue
                        target = browser.same_site(url, ref)
                        if target and target not in statics:
                            statics[target] = url
                            found[target] = url
            batch = found
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the server's address, e.g. http://127.0.0.1:8000")
    base = parser.parse_args().base.rstrip("/")
    started = time.monotonic()
    failures: list[str] = []
    statics = error_page_statics(base)
    print(f"{'login':<10} {'pages':>6} {'4xx':>5} {'failures':>9}")
    for login in LOGINS:
        report, role_statics = crawl_role(base, login)
        for url, page in role_statics.items():
            statics.setdefault(url, page)
        failures.extend(f"[{login}] {failure}" for failure in report.failures)
        print(
            f"{login:<10} {report.pages:>6} {len(report.client_errors):>5} "
            f"{len(report.failures):>9}"
        )
        for client_error in report.client_errors:
            print(f"  note (not a failure): {client_error}")
    static_failures = check_statics(base, statics)
    failures.extend(f"[static] {failure}" for failure in static_failures)
    print(
        f"static files checked: {len(statics)}, failing: {len(static_failures)}; "
        f"{time.monotonic() - started:.1f}s"
    )
    if failures:
        print(f"\nFAILED: {len(failures)} problem(s):", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("Production crawl passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
