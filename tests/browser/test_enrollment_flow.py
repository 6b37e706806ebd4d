"""Scenarios 2 and 7: sales B sends an enrollment link; the customer fills it in
and uploads an ID; the manager approves; the customer sets a password and logs in.
"""

import re

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from crm.demo_data import LINUX_40, PYTHON_S9
from crm.models import Customer, Enrollment
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

VALID_ID = "11010519491231002X"


def test_link_form_upload_approval_and_first_login(
    page, browser, live_server, demo_site, tmp_path
):
    customer = Customer.objects.create(
        name="Wang Xiaoming",
        qq="778899001",
        phone="13600001111",
        source="qq_group",
        consultant_id=Customer.objects.filter(consultant__username="sales_b")
        .first()
        .consultant_id,
    )
    # Sales B creates the link from the customer page.
    log_in(page, "sales_b")
    page.get_by_role("button", name="English").click()
    page.goto(f"/crm/customers/{customer.pk}/")
    page.locator("#id_class_list").select_option(label=PYTHON_S9)
    page.get_by_role("button", name="Create the enrollment link").click()
    url = page.get_by_test_id("enrollment-url").input_value()
    assert re.search(r"/enroll/[A-Za-z0-9_-]{43,}/$", url)

    # The customer, not logged in, fills in the form and uploads an ID photo.
    visitor = browser.new_context(locale="en-US").new_page()
    visitor.goto(url)
    expect(
        visitor.get_by_role("heading", name=re.compile(re.escape(PYTHON_S9)))
    ).to_be_visible()
    expect(visitor.get_by_test_id("readonly-details")).to_contain_text("778899001")
    expect(visitor.get_by_test_id("contract")).to_contain_text("Wang Xiaoming")
    visitor.locator("#id_id_number").fill(VALID_ID)
    visitor.locator("#id_gender").select_option(label="Male")
    visitor.locator("#id_email").fill("xiaoming@example.com")
    visitor.locator("#id_emergency_contact").fill("Wang Dad")
    visitor.locator("#id_emergency_phone").fill("139 1234 0000")
    # Submitting without a document explains what is missing.
    visitor.locator("#id_agree").check()
    visitor.get_by_role("button", name="Submit my enrollment").click()
    expect(visitor.locator(".alert-danger")).to_contain_text(
        "Upload at least one ID document."
    )
    photo = tmp_path / "id-front.png"
    Image.new("RGB", (60, 40), "white").save(photo)
    visitor.locator("#id_documents").set_input_files(str(photo))
    visitor.get_by_role("button", name="Upload").click()
    expect(visitor.get_by_test_id("documents")).to_contain_text("id-front.png")
    # What was typed before uploading is still there.
    expect(visitor.locator("#id_email")).to_have_value("xiaoming@example.com")
    visitor.locator("#id_agree").check()
    visitor.get_by_role("button", name="Submit my enrollment").click()
    expect(visitor.get_by_test_id("enroll-done")).to_contain_text("was submitted")
    visitor.context.close()
    enrollment = Enrollment.objects.get(customer=customer)
    assert enrollment.state == "submitted"

    # The manager reviews and approves with a deposit.
    manager = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    log_in(manager, "manager")
    manager.get_by_role("button", name="English").click()
    manager.goto(f"/crm/enrollments/{enrollment.pk}/")
    expect(manager.get_by_test_id("review-documents")).to_contain_text("id-front.png")
    expect(manager.get_by_test_id("review-contract")).to_contain_text(VALID_ID)
    manager.locator("#id_payment_kind").select_option(label="Deposit")
    manager.locator("#id_payment_amount").fill("2000")
    manager.get_by_role("button", name="Approve and open the student account").click()
    expect(manager.get_by_test_id("state")).to_have_text("Approved")
    manager.context.close()

    # The mail tells the customer and carries a set-password link.
    [message] = [m for m in mail.outbox if "xiaoming@example.com" in m.to]
    assert PYTHON_S9 in message.subject
    assert "password" not in message.body.lower().split("set your password")[0][-5:]
    link = re.search(r"https?://\S+", message.body).group(0)
    customer.refresh_from_db()
    student = customer.user
    assert student.username in message.body

    newcomer = browser.new_context(locale="en-US").new_page()
    newcomer.goto(link)
    newcomer.locator("#id_new_password1").fill("Xiaoming-pass-99")
    newcomer.locator("#id_new_password2").fill("Xiaoming-pass-99")
    newcomer.get_by_role("button", name="Set my password").click()
    expect(newcomer.get_by_role("heading", name="Password set")).to_be_visible()
    newcomer.get_by_role("link", name="Log in").click()
    newcomer.locator("#id_username").fill(student.username)
    newcomer.locator("#id_password").fill("Xiaoming-pass-99")
    newcomer.locator("form").get_by_role("button", name="Log in").click()
    expect(newcomer).to_have_url(re.compile(r"/student/$"))
    expect(newcomer.get_by_text(PYTHON_S9).first).to_be_visible()
    newcomer.context.close()


def test_enrollment_form_fits_a_phone_screen(browser, live_server, demo_site):
    from accounts.models import User
    from crm.models import ClassList
    from crm.services import enrollment_link_create

    sales = User.objects.get(username="sales_a")
    customer = Customer.objects.filter(consultant=sales).first()
    _link, token = enrollment_link_create(
        customer=customer, class_list=ClassList.objects.get(name=LINUX_40), by=sales
    )
    phone = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}
    ).new_page()
    phone.goto(f"/enroll/{token}/")
    expect(phone.get_by_test_id("contract")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.context.close()
