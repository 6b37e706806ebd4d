"""Scenario: pick a class's teacher with the autocomplete widget in Chromium.

A live server with a small school (teachers, a student with a similar name,
a class); the admin's session cookie is handed to the browser, which types a
name, picks with the keyboard, saves and sees the teacher saved.
"""

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from crm.models import ClassList
from tests.factories import ClassListFactory, RoleFactory, UserFactory

# Playwright's sync API runs an event loop in this thread, which makes Django
# refuse synchronous calls such as the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture
def school(transactional_db):
    teacher_role = RoleFactory(
        name="Teacher",
        permissions=[Permission.objects.get(codename="use_teacher_portal")],
    )
    student_role = RoleFactory(
        name="Student",
        permissions=[Permission.objects.get(codename="use_student_portal")],
    )
    alex = UserFactory(username="alex", display_name="Alex 老师")
    alexandra = UserFactory(username="alexandra", display_name="Alexandra 老师")
    ben = UserFactory(username="ben", display_name="Ben 老师")
    for teacher in (alex, alexandra, ben):
        teacher.roles.set([teacher_role])
    UserFactory(username="alexis", display_name="Alexis 学员").roles.set([student_role])
    admin = User.objects.create_superuser("root", "root@example.com", "pw-1")
    klass = ClassListFactory(name="Go S1", teachers=[ben])
    return {"admin": admin, "class": klass, "alex": alex, "ben": ben}


@pytest.fixture
def page_for(browser, live_server):
    """Return a page of a fresh context logged in as a user (by session cookie)."""
    contexts, errors = [], []

    def make(user, **options):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", **options
        )
        context.set_default_timeout(10_000)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        page.on(
            "console",
            lambda message: (
                errors.append(message.text) if message.type == "error" else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], "JavaScript errors (or CSP violations) on the page"


def status(page):
    return page.locator("[data-autocomplete]").get_by_role("status")


def change_url(klass):
    return f"/kingadmin/crm/classlist/{klass.pk}/change/"


def test_type_a_teachers_name_pick_with_the_keyboard_and_save(page_for, school):
    page = page_for(school["admin"])
    page.goto(change_url(school["class"]))
    combobox = page.get_by_role("combobox", name="Teachers")
    chosen = page.get_by_role("list", name="Chosen teachers")
    listbox = page.get_by_role("listbox")
    # The plain select is hidden; the current teacher is a chip.
    expect(page.locator("select[name=teachers]")).to_be_hidden()
    expect(chosen.get_by_role("listitem")).to_have_text(["Ben 老师"])
    expect(combobox).to_have_attribute("aria-expanded", "false")

    combobox.press_sequentially("alex")
    # Teachers only: the student "Alexis" is never offered.
    expect(listbox.get_by_role("option")).to_have_text(["Alex 老师", "Alexandra 老师"])
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(status(page)).to_have_text("Matches: 2")
    combobox.press("ArrowDown")
    first = listbox.get_by_role("option", name="Alex 老师", exact=True)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(combobox).to_have_attribute(
        "aria-activedescendant", first.get_attribute("id")
    )
    combobox.press("ArrowDown")
    combobox.press("ArrowUp")
    combobox.press("Enter")

    # Picked, not submitted: the list closes, the input is empty and focused.
    expect(listbox).to_be_hidden()
    expect(combobox).to_have_value("")
    expect(combobox).to_be_focused()
    expect(chosen.get_by_role("listitem")).to_have_text(["Ben 老师", "Alex 老师"])
    assert ClassList.objects.get().teachers.count() == 1

    # Remove Ben with his chip's button, then save.
    page.get_by_role("button", name="Remove Ben 老师").click()
    expect(chosen.get_by_role("listitem")).to_have_text(["Alex 老师"])
    expect(combobox).to_be_focused()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("“Go S1” was changed")
    assert list(school["class"].teachers.all()) == [school["alex"]]

    page.goto(change_url(school["class"]))
    expect(chosen.get_by_role("listitem")).to_have_text(["Alex 老师"])


def test_escape_closes_the_list_and_an_already_chosen_teacher_is_not_offered(
    page_for, school
):
    page = page_for(school["admin"])
    page.goto(change_url(school["class"]))
    combobox = page.get_by_role("combobox", name="Teachers")
    listbox = page.get_by_role("listbox")

    combobox.press_sequentially("老师")
    expect(listbox.get_by_role("option")).to_have_text(["Alex 老师", "Alexandra 老师"])
    combobox.press("Escape")
    expect(listbox).to_be_hidden()
    expect(combobox).to_have_value("老师")
    combobox.press("Escape")
    expect(combobox).to_have_value("")

    combobox.press_sequentially("nobody")
    expect(status(page)).to_have_text("No matches")
    expect(listbox).to_be_hidden()
    # Enter while searching never submits the form.
    combobox.press("Enter")
    expect(combobox).to_have_value("nobody")
    expect(page.locator(".alert-success")).to_have_count(0)
    assert list(school["class"].teachers.all()) == [school["ben"]]


def test_the_pointer_picks_too(page_for, school):
    page = page_for(school["admin"])
    page.goto(change_url(school["class"]))
    combobox = page.get_by_role("combobox", name="Teachers")
    combobox.press_sequentially("alexandra")
    page.get_by_role("option", name="Alexandra 老师").click()
    expect(
        page.get_by_role("list", name="Chosen teachers").get_by_role("listitem")
    ).to_have_text(["Ben 老师", "Alexandra 老师"])
    values = page.evaluate(
        "() => new FormData(document.getElementById('change-form')).getAll('teachers')"
    )
    assert len(values) == 2


def test_without_javascript_the_current_teacher_is_shown_and_kept(page_for, school):
    page = page_for(school["admin"], java_script_enabled=False)
    page.goto(change_url(school["class"]))
    select = page.get_by_label("Teachers")
    expect(select).to_be_visible()
    expect(select.locator("option")).to_have_text(["Ben 老师"])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("“Go S1” was changed")
    assert list(school["class"].teachers.all()) == [school["ben"]]


def test_a_foreign_key_holds_one_value_and_can_be_cleared(page_for, school):
    sales_role = RoleFactory(
        name="Sales",
        permissions=[Permission.objects.get(codename="view_own_customers")],
    )
    for username, name in (("sam", "Sam 销售"), ("sue", "Sue 销售")):
        UserFactory(username=username, display_name=name).roles.set([sales_role])
    page = page_for(school["admin"])
    page.goto("/kingadmin/crm/customer/add/")
    combobox = page.get_by_role("combobox", name="Consultant")
    listbox = page.locator("#id_consultant_listbox")
    chosen = page.get_by_role("list", name="Chosen consultant").get_by_role("listitem")
    # The admin is no sales: the add page starts with nobody chosen.
    expect(chosen).to_have_count(0)

    combobox.press_sequentially("sam")
    expect(listbox.get_by_role("option")).to_have_text(["Sam 销售"])
    combobox.press("Enter")  # the only match
    expect(chosen).to_have_text(["Sam 销售"])
    # ArrowDown opens the list with its first match active.
    combobox.press_sequentially("sue")
    expect(listbox.get_by_role("option")).to_have_text(["Sue 销售"])
    combobox.press("Escape")
    expect(listbox).to_be_hidden()
    combobox.press("ArrowDown")
    expect(listbox.get_by_role("option", name="Sue 销售")).to_have_attribute(
        "aria-selected", "true"
    )
    combobox.press("Enter")
    expect(chosen).to_have_text(["Sue 销售"])
    sue = User.objects.get(username="sue")
    assert page.locator("select[name=consultant]").input_value() == str(sue.pk)

    page.get_by_role("button", name="Remove Sue 销售").click()
    expect(chosen).to_have_count(0)
    assert page.locator("select[name=consultant]").input_value() == ""
