"""Trial lessons (试听): booked by a sales, marked by the teacher, then reported."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from crm.demo_data import PYTHON_S9
from crm.models import Customer
from crm.report_forms import ReportFilterForm
from crm.reports import sales_report
from teacher.models import StudyRecord
from tests.browser.conftest import log_in
from timetable.models import ClassSession, TrialLesson

pytestmark = pytest.mark.browser


def in_english(page, username):
    log_in(page, username)
    page.get_by_role("button", name="English").click()


def test_a_sales_books_a_trial_the_teacher_marks_it_the_manager_sees_it(
    page, browser, live_server, demo_site
):
    lead = (
        Customer.objects.filter(
            consultant__username="sales_a",
            pool=Customer.Pool.PRIVATE,
            status=Customer.Status.NOT_ENROLLED,
        )
        .exclude(trial_lessons__isnull=False)
        .order_by("pk")
        .first()
    )
    session = (
        ClassSession.objects.filter(
            class_list__name=PYTHON_S9,
            status=ClassSession.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .exclude(trial_lessons__isnull=False)
        .order_by("starts_at")
        .first()
    )

    # Sales A books the lead into the session from the lead's page.
    in_english(page, "sales_a")
    page.goto(f"/crm/customers/{lead.pk}/")
    form = page.get_by_test_id("trial-book")
    form.locator("select[name=session]").select_option(value=str(session.pk))
    form.locator("input[name=note]").fill("想先试听一次")
    with page.expect_navigation():
        form.get_by_role("button", name="Book the trial").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "is booked for a trial lesson"
    )
    trial = TrialLesson.objects.get(customer=lead, session=session)
    assert (trial.state, trial.booked_by.username) == ("booked", "sales_a")
    expect(page.get_by_test_id(f"trial-{trial.pk}")).to_contain_text("Booked")
    expect(page.get_by_test_id("timeline")).to_contain_text("Booked a trial lesson")

    # The session is held (moved to a quiet hour yesterday: time has passed).
    yesterday = timezone.localdate() - timedelta(days=1)
    starts_at = timezone.make_aware(datetime.combine(yesterday, time(3)))
    ClassSession.objects.filter(pk=session.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )

    # The teacher records it and takes the roll call: the lead is a trial.
    teacher = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    in_english(teacher, "teacher")
    teacher.goto(f"/teacher/sessions/{session.pk}/record/")
    teacher.get_by_role("textbox", name="Homework title").fill("试听课作业")
    with teacher.expect_navigation():
        teacher.get_by_role("button", name="Save lesson").click()
    expect(teacher).to_have_url(re.compile(r"/teacher/lessons/\d+/roll-call/"))
    row = teacher.get_by_test_id(f"trial-{trial.pk}")
    expect(row).to_contain_text(lead.name)
    expect(row.get_by_test_id("trial-badge")).to_have_text(re.compile("Trial|试听"))
    row.get_by_text("Came", exact=True).click()
    with teacher.expect_navigation():
        teacher.get_by_role("button", name="Save the roll call").click()
    expect(teacher.locator(".alert-success")).to_contain_text("roll call was saved")
    trial.refresh_from_db()
    assert trial.state == TrialLesson.State.ATTENDED
    assert not StudyRecord.objects.filter(enrollment__customer=lead).exists()
    teacher.context.close()

    # The manager's report of today counts it.
    today = timezone.localdate().isoformat()
    period = {"period": "custom", "since": today, "until": today}
    manager = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    in_english(manager, "manager")
    manager.goto(f"/crm/reports/?period=custom&since={today}&until={today}")
    form = ReportFilterForm(period, user=User.objects.get(username="manager"))
    assert form.is_valid(), form.errors
    funnel = sales_report(form.scope())["funnel"]
    assert funnel["trial_booked"] >= 1 and funnel["trial_attended"] >= 1
    expect(manager.get_by_test_id("funnel-trial-booked")).to_have_text(
        str(funnel["trial_booked"])
    )
    expect(manager.get_by_test_id("funnel-trial-attended")).to_have_text(
        str(funnel["trial_attended"])
    )
    manager.context.close()
