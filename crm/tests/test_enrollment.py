"""Scenarios 2 and 7: enrollment link -> form + documents -> review -> student."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import Notification, Role, User
from crm.models import Customer, Enrollment, EnrollmentLink
from crm.services import enrollment_link_create
from teacher.models import StudyRecord
from tests.factories import (
    ClassListFactory,
    CourseRecordFactory,
    CustomerFactory,
    EnrollmentFactory,
    RoleFactory,
    StudyRecordFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"


def png(name="id.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="id.pdf", total=None) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n"
    end = b"%%EOF\n"
    if total:
        body += b"%" + b"0" * (total - len(body) - len(end) - 2) + b"\n"
    return SimpleUploadedFile(name, body + end, content_type="application/pdf")


@pytest.fixture
def sales():
    role = RoleFactory(
        name="Sales",
        permissions=Permission.objects.filter(
            codename__in=[
                "view_own_customers",
                "work_stale_customers",
                "view_classlist",
            ]
        ),
    )
    return UserFactory(username="sales_b", display_name="Sales B", roles=[role])


@pytest.fixture
def reviewer():
    role = RoleFactory(
        name="Reviewer",
        permissions=Permission.objects.filter(codename="review_all_enrollments"),
    )
    return UserFactory(username="boss", roles=[role])


def portal_permission() -> Permission:
    return Permission.objects.get(
        content_type__app_label="student", codename="use_student_portal"
    )


@pytest.fixture
def link(sales):
    RoleFactory(name="Student", permissions=[portal_permission()])
    customer = CustomerFactory(
        name="Li Lei",
        qq="52013140",
        phone="13800001001",
        consultant=sales,
        email="lilei@example.com",
    )
    klass = ClassListFactory(name="Python full-stack S9")
    link, token = enrollment_link_create(customer=customer, class_list=klass, by=sales)
    link.token = token
    return link


def form_data(customer, **changes):
    data = {
        "name": customer.name,
        "qq": customer.qq,
        "phone": customer.phone,
        "source": customer.source,
        "consultant": customer.consultant_id,
        "id_number": VALID_ID,
        "gender": "male",
        "birthday": "1990-01-02",
        "email": "lilei@example.com",
        "emergency_contact": "Han Meimei",
        "emergency_phone": "139 0000 0000",
        "agree": "on",
        "action": "submit",
    }
    data.update(changes)
    return data


def test_sales_creates_a_link_shown_once_and_stored_hashed(client, sales):
    customer = CustomerFactory(consultant=sales)
    klass = ClassListFactory(name="Linux 40")
    client.force_login(sales)
    response = client.post(
        f"/crm/customers/{customer.pk}/enrollment-link/", {"class_list": klass.pk}
    )
    html = response.content.decode()
    token = re.search(r"/enroll/([A-Za-z0-9_-]+)/", html).group(1)
    assert len(token) >= 43  # 256 random bits, base64
    link = EnrollmentLink.objects.get()
    assert token not in link.token_hash and len(link.token_hash) == 64
    assert link.expires_at - link.created_at == timedelta(days=7)
    assert Enrollment.objects.get().state == "link_sent"
    assert response["Cache-Control"] == "no-store"


def test_new_link_revokes_the_previous_one(link, sales):
    _new, token = enrollment_link_create(
        customer=link.enrollment.customer,
        class_list=link.enrollment.class_list,
        by=sales,
    )
    assert Client().get(f"/enroll/{link.token}/").status_code == 410
    assert Client().get(f"/enroll/{token}/").status_code == 200


@pytest.mark.parametrize(
    ("setup", "status", "text"),
    [
        ("unknown", 404, "not valid"),
        ("expired", 410, "expired"),
        ("revoked", 410, "withdrawn"),
        ("used", 410, "already been submitted"),
    ],
)
def test_unusable_links_give_a_friendly_page_and_change_nothing(
    link, setup, status, text
):
    token = link.token
    if setup == "unknown":
        token = "x" * 43
    elif setup == "expired":
        EnrollmentLink.objects.update(
            expires_at=timezone.now() - timedelta(seconds=1),
            created_at=timezone.now() - timedelta(days=8),
        )
    elif setup == "revoked":
        EnrollmentLink.objects.update(revoked_at=timezone.now())
    elif setup == "used":
        EnrollmentLink.objects.update(used_at=timezone.now())
    client = Client()
    response = client.post(f"/enroll/{token}/", form_data(link.enrollment.customer))
    assert response.status_code == status
    assert text in response.content.decode()
    assert Enrollment.objects.get().state == "link_sent"


def test_form_shows_readonly_details_class_price_and_contract(link):
    html = Client().get(f"/enroll/{link.token}/").content.decode()
    assert "Li Lei" in html and "52013140" in html
    assert 'type="hidden" name="qq" value="52013140"' in html
    assert "9800.00" in html
    assert "Li Lei enrols in Python full-stack S9 for 9800.00." in html


def test_tampered_readonly_field_is_refused(link):
    client = Client()
    client.post(f"/enroll/{link.token}/", {"action": "upload", "documents": png()})
    customer = link.enrollment.customer
    response = client.post(
        f"/enroll/{link.token}/", form_data(customer, name="Someone Else", qq="99999")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "read-only" in errors["name"][0] and "Someone Else" in errors["name"][0]
    customer.refresh_from_db()
    assert customer.name == "Li Lei" and customer.qq == "52013140"
    assert Enrollment.objects.get().state == "link_sent"


def test_id_number_is_checked_and_agreement_and_documents_are_required(link):
    client = Client()
    customer = link.enrollment.customer
    response = client.post(
        f"/enroll/{link.token}/",
        form_data(customer, id_number="110105194912310021", agree=""),
    )
    errors = response.context["form"].errors
    assert "id_number" in errors and "agree" in errors
    response = client.post(f"/enroll/{link.token}/", form_data(customer))
    assert "Upload at least one ID document." in response.content.decode()
    assert Enrollment.objects.get().state == "link_sent"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: pdf(total=2 * 1024 * 1024 + 1), "larger than 2 MB"),
        (
            lambda: SimpleUploadedFile("id.jpg", b"just text", "image/jpeg"),
            "not a JPEG",
        ),
        (
            lambda: SimpleUploadedFile(
                "id.pdf",
                b"%PDF-1.4\n<html><script>x</script>\n%%EOF\n",
                "application/pdf",
            ),
            "not a valid PDF",
        ),
    ],
)
def test_bad_uploads_are_refused_with_a_message(link, upload, message):
    response = Client().post(
        f"/enroll/{link.token}/", {"action": "upload", "documents": upload()}
    )
    assert message in response.content.decode()
    assert not link.enrollment.documents.exists()


def test_uploads_are_listed_limited_to_three_and_stored_under_generated_names(link):
    client = Client()
    client.post(
        f"/enroll/{link.token}/",
        {
            "action": "upload",
            "documents": [png("../../etc/front.png"), pdf(total=2 * 1024 * 1024)],
        },
    )
    documents = list(link.enrollment.documents.order_by("pk"))
    assert [d.original_name for d in documents] == ["front.png", "id.pdf"]
    assert documents[1].size == 2 * 1024 * 1024
    for document in documents:
        assert document.file.name.startswith(
            f"private/enrollment/{link.enrollment.pk}/"
        )
        assert "front" not in document.file.name and ".." not in document.file.name
    response = client.post(
        f"/enroll/{link.token}/",
        {"action": "upload", "documents": [png("a.png"), png("b.png")]},
    )
    assert "At most 3 documents" in response.content.decode()
    assert link.enrollment.documents.count() == 2
    html = client.get(f"/enroll/{link.token}/").content.decode()
    assert "front.png" in html and "2.0" in html
    client.post(f"/enroll/{link.token}/", {"delete": documents[0].pk})
    client.post(f"/enroll/{link.token}/", {"delete": "not-a-number"})
    assert list(link.enrollment.documents.all()) == [documents[1]]


def test_submission_kills_the_link_and_tells_staff(
    link, sales, reviewer, django_capture_on_commit_callbacks
):
    client = Client()
    client.post(f"/enroll/{link.token}/", {"action": "upload", "documents": png()})
    with django_capture_on_commit_callbacks(execute=True):  # staff are told by a job
        response = client.post(
            f"/enroll/{link.token}/", form_data(link.enrollment.customer)
        )
    assert "was submitted" in response.content.decode()
    enrollment = Enrollment.objects.get()
    assert enrollment.state == "submitted" and enrollment.contract_agreed
    customer = enrollment.customer
    assert customer.id_number == VALID_ID and customer.emergency_phone == "13900000000"
    assert client.get(f"/enroll/{link.token}/").status_code == 410
    assert Notification.objects.filter(recipient=sales).exists()
    assert Notification.objects.filter(recipient=reviewer).exists()


def submitted(link):
    client = Client()
    client.post(f"/enroll/{link.token}/", {"action": "upload", "documents": png()})
    client.post(f"/enroll/{link.token}/", form_data(link.enrollment.customer))
    return Enrollment.objects.get()


def test_approval_opens_a_student_account_and_mails_a_set_password_link(
    link, reviewer, django_capture_on_commit_callbacks
):
    enrollment = submitted(link)
    client = Client()
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/crm/enrollments/{enrollment.pk}/approve/",
            {"payment_kind": "deposit", "payment_amount": "2000"},
        )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.state == "approved" and enrollment.approved_by == reviewer
    assert enrollment.payments.get().amount == 2000
    customer = enrollment.customer
    assert customer.status == Customer.Status.ENROLLED
    student = customer.user
    assert not student.has_usable_password()
    assert list(student.roles.values_list("name", flat=True)) == ["Student"]
    [message] = mail.outbox
    assert message.to == ["lilei@example.com"]
    assert "Python full-stack S9" in message.subject
    url = re.search(r"https?://\S+", message.body).group(0)
    assert "/accounts/password/reset/" in url
    # The student sets a password through the link and logs in.
    path = url.split("testserver", 1)[1]
    newcomer = Client()
    page = newcomer.get(path, follow=True)
    newcomer.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Student-pass-88", "new_password2": "Student-pass-88"},
    )
    student.refresh_from_db()
    assert student.check_password("Student-pass-88")


def test_rejection_needs_a_reason_and_mails_it(
    link, reviewer, sales, django_capture_on_commit_callbacks
):
    enrollment = submitted(link)
    client = Client()
    client.force_login(reviewer)
    response = client.post(f"/crm/enrollments/{enrollment.pk}/reject/", {"reason": ""})
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/crm/enrollments/{enrollment.pk}/reject/",
            {"reason": "The ID photo is unreadable."},
        )
    enrollment.refresh_from_db()
    assert enrollment.state == "rejected"
    assert "The ID photo is unreadable." in mail.outbox[0].body
    # The sales can send a new link.
    _link, token = enrollment_link_create(
        customer=enrollment.customer, class_list=enrollment.class_list, by=sales
    )
    assert Enrollment.objects.get().state == "link_sent"
    assert Client().get(f"/enroll/{token}/").status_code == 200


def test_documents_are_served_only_to_reviewers_with_safe_headers(
    link, reviewer, sales
):
    enrollment = submitted(link)
    document = enrollment.documents.get()
    url = f"/crm/enrollments/{enrollment.pk}/documents/{document.pk}/"
    assert Client().get(url).status_code == 302
    client = Client()
    client.force_login(sales)
    assert client.get(url).status_code == 403
    client.force_login(reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "id.png" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    other = f"/crm/enrollments/{enrollment.pk}/documents/{document.pk + 999}/"
    assert client.get(other).status_code == 404


def test_requests_are_rate_limited_per_link(link, settings):
    settings.CRM_ENROLLMENT_RATE_LIMIT = 3
    client = Client()
    statuses = [client.get(f"/enroll/{link.token}/").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    assert "slow down" in client.get(f"/enroll/{link.token}/").content.decode()


def test_another_sales_cannot_send_a_link_for_a_fresh_lead(client, sales):
    owner = UserFactory()
    customer = CustomerFactory(consultant=owner, last_followup_at=timezone.now())
    client.force_login(sales)
    response = client.post(
        f"/crm/customers/{customer.pk}/enrollment-link/",
        {"class_list": ClassListFactory().pk},
    )
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_student_user_is_only_created_once(link, reviewer):
    existing = User.objects.create_user("lilei")
    Customer.objects.filter(pk=link.enrollment.customer_id).update(user=existing)
    enrollment = submitted(link)
    client = Client()
    client.force_login(reviewer)
    client.post(f"/crm/enrollments/{enrollment.pk}/approve/", {})
    enrollment.refresh_from_db()
    assert enrollment.customer.user == existing
    assert User.objects.filter(username__startswith="5201").count() == 0


def test_form_keeps_the_token_from_other_sites_but_posts_pass_csrf(link):
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/enroll/{link.token}/")
    # "no-referrer" would make browsers send Origin: null and fail CSRF.
    assert page["Referrer-Policy"] == "same-origin"
    token = page.context["csrf_token"]
    response = client.post(
        f"/enroll/{link.token}/",
        {"action": "upload", "documents": png(), "csrfmiddlewaretoken": str(token)},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 200
    assert link.enrollment.documents.count() == 1
    assert (
        client.post(f"/enroll/{link.token}/", {"action": "upload"}).status_code == 403
    )


def approve(enrollment, reviewer) -> Enrollment:
    client = Client()
    client.force_login(reviewer)
    response = client.post(f"/crm/enrollments/{enrollment.pk}/approve/", {})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.state == "approved"
    return enrollment


def test_a_student_approved_after_lessons_gets_a_record_of_each(link, reviewer):
    enrollment = submitted(link)
    klass = enrollment.class_list
    today = timezone.localdate()
    classmate = EnrollmentFactory(class_list=klass, approved=True)
    held = CourseRecordFactory(
        class_list=klass, lesson_number=1, date=today - timedelta(days=7)
    )
    held_no_homework = CourseRecordFactory(
        class_list=klass,
        lesson_number=2,
        date=today - timedelta(days=1),
        has_homework=False,
        homework_title="",
    )
    upcoming = CourseRecordFactory(class_list=klass, lesson_number=3, date=today)
    StudyRecordFactory(enrollment=classmate, course_record=held, attendance="absent")
    # A record the enrollment already has (say, a trial lesson) is kept as is.
    StudyRecordFactory(enrollment=enrollment, course_record=upcoming, score=None)
    StudyRecord.objects.filter(enrollment=enrollment).update(attendance="late")

    enrollment = approve(enrollment, reviewer)

    records = StudyRecord.objects.filter(enrollment=enrollment).order_by(
        "course_record__lesson_number"
    )
    assert [
        (r.course_record.lesson_number, r.attendance, r.score) for r in records
    ] == [
        (1, "not_enrolled", None),
        (2, "not_enrolled", None),
        (3, "late", None),
    ]
    assert held_no_homework.study_records.count() == 1
    # The classmate's records are untouched; nobody got a second one.
    assert classmate.study_records.get().attendance == "absent"
    assert StudyRecord.objects.count() == 4


def test_the_late_student_can_hand_in_the_homework_of_lesson_1(link, reviewer):
    klass = link.enrollment.class_list
    CourseRecordFactory(
        class_list=klass,
        lesson_number=1,
        date=timezone.localdate() - timedelta(days=3),
        homework_title="Hello world",
    )
    enrollment = approve(submitted(link), reviewer)
    student = enrollment.customer.user
    client = Client()
    client.force_login(student)
    page = client.get(f"/student/classes/{enrollment.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="homework-form"' in html
    assert "Not enrolled yet" in html
    record = StudyRecord.objects.get(enrollment=enrollment)
    response = client.post(
        f"/student/homework/{record.pk}/",
        {"file": SimpleUploadedFile("hello.py", b"print('hello')\n")},
        follow=True,
    )
    assert "Your homework for lesson 1 was received." in response.content.decode()
    record.refresh_from_db()
    assert record.homework_original_name == "hello.py"


def test_approving_a_class_without_lessons_adds_no_record(link, reviewer):
    enrollment = approve(submitted(link), reviewer)
    assert not StudyRecord.objects.filter(enrollment=enrollment).exists()


def test_the_new_student_gets_the_role_of_the_student_portal_by_permission(
    link, reviewer
):
    """Roles are found by what they allow, not by name; never the admins' role."""
    Role.objects.filter(name="Student").delete()
    RoleFactory(name="学员", permissions=[portal_permission()])
    RoleFactory(name="Student", permissions=[])
    RoleFactory(name="管理员", permissions=Permission.objects.all())
    RoleFactory(
        name="助教",
        permissions=[
            portal_permission(),
            Permission.objects.get(codename="use_teacher_portal"),
        ],
    )
    enrollment = approve(submitted(link), reviewer)
    student = enrollment.customer.user
    assert list(student.roles.values_list("name", flat=True)) == ["学员"]
    assert student.has_perm("student.use_student_portal")
    assert not student.has_perm("teacher.use_teacher_portal")
