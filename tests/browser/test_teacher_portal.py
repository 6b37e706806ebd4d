"""Scenarios 12-15 of MISSION.md, as the demo teacher.

12: the teacher sees the classes they teach; 13: records a lesson of Python
S9 with its homework; 14: takes its roll call (Kobe late); 15: downloads all
homework of lesson 1 as one zip and grades a student online.
"""

import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from crm.demo_data import LINUX_40, MENU_MY_CLASSES, PYTHON_S9
from crm.models import ClassList
from teacher.models import CourseRecord, StudyRecord
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

S9 = PYTHON_S9


def in_english(page, username):
    log_in(page, username)
    page.get_by_role("button", name="English").click()


def test_scenarios_12_to_15_lesson_roll_call_zip_download_and_grading(
    page, demo_site, tmp_path
):
    s9 = ClassList.objects.get(name=S9)
    in_english(page, "teacher")

    # 12. The classes the teacher teaches, and no other.
    page.get_by_test_id("main-menu").get_by_role("link", name=MENU_MY_CLASSES).click()
    classes = page.get_by_test_id("classes")
    expect(classes.get_by_role("heading")).to_have_count(2)
    assert set(classes.get_by_role("heading").all_inner_texts()) == {S9, LINUX_40}
    s9_card = page.get_by_test_id(f"class-{s9.pk}")
    expect(s9_card.get_by_test_id("student-count")).to_have_text("6")
    expect(s9_card.get_by_test_id("lesson-count")).to_have_text("3")

    # 13. Lesson 4 of Python S9 with its homework.
    classes.get_by_role("link", name=S9).click()
    expect(page.get_by_role("heading", name=S9, exact=True)).to_be_visible()
    expect(page.get_by_test_id("students")).to_contain_text("Kobe")
    page.get_by_role("link", name="New lesson").click()
    expect(page.locator("#id_lesson_number")).to_have_value("4")
    lesson_date = timezone.localdate() + timedelta(days=1)
    page.locator("#id_date").fill(lesson_date.isoformat())
    page.locator("#id_title").fill("Classes and objects")
    page.locator("#id_content").fill("Classes, instances, inheritance.")
    expect(page.locator("#id_has_homework")).to_be_checked()
    page.locator("#id_homework_title").fill("A bank account class")
    page.locator("#id_homework_requirements").fill(
        "Write an Account class with deposit and withdraw, and its tests."
    )
    page.get_by_role("button", name="Save lesson").click()
    expect(page.locator(".alert-success")).to_contain_text(
        f"Lesson 4 of {S9} was recorded."
    )
    lesson4 = CourseRecord.objects.get(class_list=s9, lesson_number=4)
    assert (lesson4.title, lesson4.date, lesson4.teacher.username) == (
        "Classes and objects",
        lesson_date,
        "teacher",
    )
    assert lesson4.homework_title == "A bank account class"
    assert lesson4.study_records.count() == 6

    # 14. Roll call of lesson 4: everyone present but Kobe, who was late.
    page.get_by_test_id("lesson-4").get_by_role("link", name="Roll call").click()
    kobe_row = page.get_by_test_id("roll-call").locator("li", has_text="Kobe")
    expect(kobe_row.get_by_role("radio", name="Present")).to_be_checked()
    kobe_row.get_by_text("Late", exact=True).click()
    page.get_by_role("button", name="Save the roll call").click()
    expect(page.locator(".alert-success")).to_contain_text("The roll call was saved.")
    states = dict(
        lesson4.study_records.values_list("enrollment__customer__name", "attendance")
    )
    assert states.pop("Kobe") == "late"
    assert set(states.values()) == {"present"} and len(states) == 5
    # Shown again as saved, ready to be corrected.
    page.reload()
    expect(kobe_row.get_by_role("radio", name="Late")).to_be_checked()

    # 15. All homework of lesson 1 in one zip, then grades online.
    lesson1 = CourseRecord.objects.get(class_list=s9, lesson_number=1)
    page.goto(f"/teacher/classes/{s9.pk}/")
    page.get_by_test_id("lesson-1").get_by_role("link", name="Homework").click()
    expect(page.get_by_test_id("submitted-count")).to_have_text(
        "4 of 6 students handed in their homework."
    )
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all as zip").click()
    download = download_info.value
    assert download.suggested_filename == f"{S9}-lesson1-homework.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    handed_in = StudyRecord.objects.filter(course_record=lesson1).exclude(
        homework_file=""
    )
    expected = {
        f"{r.enrollment.customer.name}-{r.enrollment.customer_id}.py": r
        for r in handed_in.select_related("enrollment__customer")
    }
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        assert set(archive.namelist()) == set(expected)
        for name, record in expected.items():
            assert archive.read(name) == record.homework_file.open("rb").read()
    assert any(name.startswith("Kobe-") for name in expected)

    page.get_by_role("link", name="Grades").click()
    kobe_item = page.get_by_test_id("grading").locator("li", has_text="Kobe")
    kobe_item.get_by_label("Score of Kobe").select_option(label="A+")
    kobe_item.get_by_label("Comment for Kobe").fill(
        "Clean code, and on time this week."
    )
    page.get_by_role("button", name="Save grades").click()
    expect(page.locator(".alert-success")).to_contain_text("The grades were saved.")
    kobe = StudyRecord.objects.get(
        course_record=lesson1, enrollment__customer__name="Kobe"
    )
    assert (kobe.score, kobe.teacher_comment) == (
        StudyRecord.Score.A_PLUS,
        "Clean code, and on time this week.",
    )
    assert kobe.graded_by == User.objects.get(username="teacher")
    assert timezone.now() - kobe.graded_at < timedelta(minutes=1)
    expect(kobe_item.get_by_label("Score of Kobe")).to_have_value("100")


def test_teacher_pages_fit_a_phone_screen(browser, live_server, demo_site):
    s9 = ClassList.objects.get(name=S9)
    lesson1 = CourseRecord.objects.get(class_list=s9, lesson_number=1)
    phone = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
    ).new_page()
    log_in(phone, "teacher")
    expect(phone).to_have_url(re.compile(r"/teacher/$"))
    for path in (
        "/teacher/",
        f"/teacher/classes/{s9.pk}/",
        f"/teacher/classes/{s9.pk}/lessons/new/",
        f"/teacher/lessons/{lesson1.pk}/roll-call/",
        f"/teacher/lessons/{lesson1.pk}/homework/",
        f"/teacher/lessons/{lesson1.pk}/grades/",
    ):
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    phone.context.close()


def test_a_mark_for_a_student_who_handed_nothing_in_needs_a_tick(page, demo_site):
    """Issue 10: grading a student without homework warns, names them, and waits."""
    lesson = CourseRecord.objects.get(class_list__name=S9, lesson_number=1)
    record = (
        lesson.study_records.filter(homework_file="")
        .select_related("enrollment__customer")
        .first()
    )
    StudyRecord.objects.filter(pk=record.pk).update(
        score=None, graded_by=None, graded_at=None
    )
    name = record.enrollment.customer.name
    in_english(page, "teacher")
    page.goto(f"/teacher/lessons/{lesson.pk}/grades/")
    row = page.get_by_test_id(f"student-{record.enrollment.customer_id}")
    expect(row.get_by_test_id("not-handed-in")).to_have_text("Not handed in")

    row.get_by_label(f"Score of {name}").select_option(label="B")
    page.get_by_role("button", name="Save grades").last.click()
    warning = page.get_by_test_id("no-homework-warning")
    expect(warning).to_contain_text(f"Nothing was handed in by {name}.")
    expect(warning).to_contain_text("Nothing was saved.")
    record.refresh_from_db()
    assert record.score is None
    # The choice survived, and the teacher confirms it.
    expect(row.get_by_label(f"Score of {name}")).to_have_value("80")
    warning.get_by_label("Save these marks although nothing was handed in").check()
    warning.get_by_role("button", name="Save grades").click()
    expect(page.locator(".alert-success")).to_contain_text("The grades were saved.")
    record.refresh_from_db()
    assert record.score == StudyRecord.Score.B
    assert record.graded_by.username == "teacher"
