"""Keyboard only: a teacher takes the roll call without touching the mouse."""

import pytest
from playwright.sync_api import expect

from crm.demo_data import PYTHON_S9
from teacher.models import CourseRecord, StudyRecord
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, id: e.id, testid: e.dataset.testid || '',
                           name: e.name || '', value: e.value || '',
                           checked: !!e.checked, text: (e.innerText || '').trim()}; }"""
    )


def test_roll_call_with_the_keyboard_skip_link_arrows_and_space(page, demo_site):
    lesson = CourseRecord.objects.get(class_list__name=PYTHON_S9, lesson_number=1)
    kobe = StudyRecord.objects.get(
        course_record=lesson, enrollment__customer__name="Kobe"
    )
    StudyRecord.objects.filter(course_record=lesson).update(attendance="present")
    log_in(page, "teacher")
    page.goto(f"/teacher/lessons/{lesson.pk}/roll-call/")

    # The first stop is the skip link; it jumps over the top bar and the menu.
    page.keyboard.press("Tab")
    assert focused(page)["testid"] == "skip-link"
    expect(page.get_by_test_id("skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "content"

    # Tab to Kobe's row: each student's attendance is one stop (a radio group).
    field = f"attendance-{kobe.pk}"
    stops = 0
    while focused(page)["name"] != field:
        page.keyboard.press("Tab")
        stops += 1
        if stops > 30:
            pytest.fail("Kobe's attendance is not reachable with Tab")
    assert stops <= 10, f"{stops} stops from the main content to Kobe"
    now = focused(page)
    assert now["value"] == "present" and now["checked"]

    # The arrow moves to "late" and chooses it; Space keeps it chosen.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    now = focused(page)
    assert (now["value"], now["checked"]) == ("late", True)

    # On to the save button and press it.
    for _ in range(30):
        page.keyboard.press("Tab")
        if focused(page)["tag"] == "BUTTON" and "保存" in focused(page)["text"]:
            break
    else:
        pytest.fail("The save button is not reachable with Tab")
    page.keyboard.press("Space")
    expect(page.locator(".alert-success")).to_be_visible()
    kobe.refresh_from_db()
    assert kobe.attendance == "late"
