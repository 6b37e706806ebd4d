"""Scenario: the filter_horizontal widget in a real Chromium, with and without JS.

No Django server: the page is the rendered form, and ``page.route`` serves it,
its static files (found by Django's static finders, so ``form.media`` is what
loads the script) and captures the form's POST.
"""

import os
from urllib.parse import parse_qs, urlsplit

import pytest
from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from playwright.sync_api import expect

from kingadmin.widgets import FilterHorizontal

# Playwright's sync API runs an event loop in this thread, which makes Django
# refuse synchronous calls such as rendering a template.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

ORIGIN = "https://kingadmin.test"

ROLES = [
    ("1", "Sales 销售"),
    ("2", "Sales manager 销售经理"),
    ("3", "Teacher 讲师"),
    ("4", "Student 学员"),
    ("5", "<script>alert(1)</script>"),
    ("6", "Admin 管理员"),
]
LABELS = dict(ROLES)


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="Roles", choices=ROLES, widget=FilterHorizontal("roles")
    )


def texts(*values):
    return [LABELS[value] for value in values]


def page_html(form, *, with_script=True):
    media = form.media if with_script else ""
    bootstrap = static("kingadmin/vendor/bootstrap/css/bootstrap.min.css")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roles</title>
<link rel="stylesheet" href="{bootstrap}">
{media}
</head>
<body>
<main class="container py-3">
<form method="post" action="/save/">
{form.as_div()}
<button type="submit" class="btn btn-primary">Save</button>
</form>
</main>
</body>
</html>"""


class Site:
    """Serve one page and its static files at ORIGIN; record what is posted."""

    def __init__(self, page, html):
        self.page = page
        self.html = html
        self.posts = []
        # Routes run in reverse order of registration: nothing leaves the test.
        page.route("**/*", lambda route: route.abort())
        page.route(f"{ORIGIN}/**", self.handle)

    def handle(self, route, request):
        path = urlsplit(request.url).path
        if request.method == "POST":
            self.posts.append(parse_qs(request.post_data or ""))
            route.fulfill(content_type="text/html", body="<h1>Saved</h1>")
        elif path == "/":
            route.fulfill(content_type="text/html; charset=utf-8", body=self.html)
        elif path.startswith(settings.STATIC_URL) and (
            found := finders.find(path.removeprefix(settings.STATIC_URL))
        ):
            route.fulfill(path=found)
        else:
            route.fulfill(status=404, body="not found")

    def open(self):
        self.page.goto(f"{ORIGIN}/")
        return self

    def submit(self):
        self.page.get_by_role("button", name="Save").click()
        expect(self.page.get_by_role("heading", name="Saved")).to_be_visible()
        [posted] = self.posts
        return posted.get("roles", [])


@pytest.fixture
def new_page(browser):
    contexts, errors = [], []

    def new_page(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        return page

    yield new_page
    for context in contexts:
        context.close()
    assert errors == [], "JavaScript errors on the page"


def open_roles(new_page, form=None, **options):
    form = form or RolesForm(initial={"roles": ["3"]})
    page = new_page(**options)
    return Site(page, page_html(form)).open()


def test_filter_move_and_submit_exactly_the_chosen_roles(new_page):
    site = open_roles(new_page)
    page = site.page
    available = page.get_by_label("Available roles")
    chosen = page.get_by_label("Chosen roles")
    filter_box = page.get_by_role("searchbox", name="Filter")
    # The original select is hidden; the boxes show the split.
    expect(page.locator("select[name=roles]")).to_be_hidden()
    expect(available.locator("option")).to_have_text(texts("1", "2", "4", "5", "6"))
    expect(chosen.locator("option")).to_have_text(texts("3"))

    filter_box.fill("销售")
    expect(available.locator("option")).to_have_text(texts("1", "2"))
    filter_box.fill("SALES MAN")
    expect(available.locator("option")).to_have_text(texts("2"))
    filter_box.fill("sales")
    expect(available.locator("option")).to_have_text(texts("1", "2"))

    # "Choose all" takes the visible options only, in their original order.
    page.get_by_role("button", name="Choose all").click()
    expect(available.locator("option")).to_have_count(0)
    expect(chosen.locator("option")).to_have_text(texts("1", "2", "3"))

    filter_box.fill("")
    expect(available.locator("option")).to_have_text(texts("4", "5", "6"))
    available.get_by_role("option", name="Admin 管理员").dblclick()
    expect(chosen.locator("option")).to_have_text(texts("1", "2", "3", "6"))
    expect(available.locator("option")).to_have_text(texts("4", "5"))

    chosen.get_by_role("option", name="Sales 销售").dblclick()
    expect(chosen.locator("option")).to_have_text(texts("2", "3", "6"))
    expect(available.locator("option")).to_have_text(texts("1", "4", "5"))

    page.get_by_role("button", name="Remove all").click()
    expect(chosen.locator("option")).to_have_count(0)
    expect(available.locator("option")).to_have_text(texts(*LABELS))

    # Highlight and use the buttons; the <script> label is shown as text.
    available.get_by_role("option", name="Student 学员").click()
    available.get_by_role("option", name="<script>alert(1)</script>").click(
        modifiers=["ControlOrMeta"]
    )
    available.get_by_role("option", name="Teacher 讲师").click(
        modifiers=["ControlOrMeta"]
    )
    page.get_by_role("button", name="Choose", exact=True).click()
    expect(chosen.locator("option")).to_have_text(texts("3", "4", "5"))
    chosen.get_by_role("option", name="Teacher 讲师").click()
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(chosen.locator("option")).to_have_text(texts("4", "5"))
    expect(available.locator("option")).to_have_text(texts("1", "2", "3", "6"))

    form_data = page.evaluate(
        "() => new FormData(document.querySelector('form')).getAll('roles')"
    )
    assert form_data == ["4", "5"]
    assert site.submit() == ["4", "5"]


def test_enter_in_the_filter_chooses_the_only_match_instead_of_submitting(new_page):
    site = open_roles(new_page)
    page = site.page
    filter_box = page.get_by_role("searchbox", name="Filter")

    filter_box.fill("学员")
    filter_box.press("Enter")

    expect(page.get_by_label("Chosen roles").locator("option")).to_have_text(
        texts("3", "4")
    )
    assert site.posts == []
    assert site.submit() == ["3", "4"]


def test_field_label_leads_to_the_filter(new_page):
    page = open_roles(new_page).page

    page.locator("label", has_text="Roles").first.click()

    expect(page.get_by_role("searchbox", name="Filter")).to_be_focused()


def test_required_field_with_nothing_chosen_still_submits(new_page):
    # The browser must not block the submission on the hidden select, which
    # it could not show an error for; the server reports the missing choice.
    site = open_roles(new_page)

    site.page.get_by_role("button", name="Remove all").click()

    assert site.submit() == []


def test_labels_come_from_the_data_attributes(new_page):
    html = page_html(RolesForm())
    for english, translated in [
        ('"Available roles"', '"可选角色"'),
        ('"Chosen roles"', '"已选角色"'),
        ('"Filter"', '"筛选"'),
        ('"Choose all"', '"全选"'),
        ('"Remove all"', '"全部移除"'),
        ('"Choose"', '"选择"'),
        ('"Remove"', '"移除"'),
    ]:
        assert english in html
        html = html.replace(english, translated)
    page = new_page()
    Site(page, html).open()

    expect(page.get_by_label("可选角色").locator("option")).to_have_count(6)
    expect(page.get_by_label("已选角色")).to_be_visible()
    expect(page.get_by_role("searchbox", name="筛选")).to_be_visible()
    for name in ["全选", "全部移除", "选择", "移除"]:
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_text("Available")).to_have_count(0)


@pytest.mark.parametrize(("width", "side_by_side"), [(400, False), (1000, True)])
def test_boxes_stack_on_narrow_screens(new_page, width, side_by_side):
    page = open_roles(new_page, viewport={"width": width, "height": 900}).page

    available = page.get_by_label("Available roles").bounding_box()
    chosen = page.get_by_label("Chosen roles").bounding_box()

    assert (chosen["x"] > available["x"] + available["width"]) is side_by_side
    assert (chosen["y"] > available["y"] + available["height"]) is not side_by_side


@pytest.mark.parametrize(
    "javascript", ["disabled", "missing"], ids=["js-disabled", "no-script"]
)
def test_without_javascript_the_plain_select_submits_its_selection(
    new_page, javascript
):
    form = RolesForm(initial={"roles": ["3", "6"]})
    page = new_page(java_script_enabled=javascript != "disabled")
    site = Site(page, page_html(form, with_script=javascript == "disabled")).open()
    select = page.get_by_label("Roles")

    expect(select).to_be_visible()
    expect(select).to_have_attribute("name", "roles")
    expect(select).to_have_values(["3", "6"])
    expect(page.get_by_text("Available roles")).to_have_count(0)
    select.get_by_role("option", name="Student 学员").click(modifiers=["ControlOrMeta"])
    expect(select).to_have_values(["3", "4", "6"])

    assert site.submit() == ["3", "4", "6"]
