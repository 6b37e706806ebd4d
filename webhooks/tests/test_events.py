"""Each event is emitted by its service, to the subscriptions that want it only."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from crm.capture import lead_form_submit
from crm.lead_imports import lead_import_commit, lead_import_start
from crm.models import Customer, Enrollment, LeadForm, Payment
from crm.services import customer_create, enrollment_approve
from finance.services import (
    payment_record,
    refund_decide,
    refund_request_create,
    terms_at_approval,
)
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    UserFactory,
)
from webhooks.models import Event, WebhookDelivery
from webhooks.services import event_emit, event_wanted

pytestmark = pytest.mark.django_db

ELSEWHERE = "https://hooks.example.com/crm"


def sent(receiver) -> list[tuple[str, dict]]:
    """Return the (event, data) of each request the receiver got."""
    return [
        (r.headers["X-Webhook-Event"], json.loads(r.body)["data"])
        for r in receiver.requests
    ]


@pytest.fixture
def sales():
    return UserFactory(username="sales_a", display_name="销售A")


def test_a_lead_entered_by_hand_is_delivered_with_its_owner(
    receiver, subscribe, sales, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, Event.LEAD_CREATED)

    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_create(
            consultant=sales,
            name="韩梅梅",
            phone="13800138000",
            qq="52013140",
            source=Customer.Source.QQ_GROUP,
            email="hmm@example.com",
            id_number="110101199003074514",
        )

    [(event, data)] = sent(receiver)
    assert event == "lead.created"
    assert data == {
        "id": customer.pk,
        "name": "韩梅梅",
        "phone": "13800138000",
        "qq": "52013140",
        "source": "qq_group",
        "status": customer.status,
        "consult_course_id": None,
        "created_at": customer.created_at.isoformat(),
        "owner": {"id": sales.pk, "name": "销售A"},
    }
    body = receiver.requests[0].body.decode()
    assert "hmm@example.com" not in body  # no personal data beyond name/phone/QQ
    assert "110101199003074514" not in body


def test_changing_a_lead_emits_nothing(receiver, subscribe, sales):
    customer = customer_create(consultant=sales, name="韩梅梅", phone="13800138000")
    subscribe(receiver.url, Event.LEAD_CREATED)

    from crm.services import customer_save

    customer.name = "韩梅"
    customer_save(customer=customer, by=sales)

    assert not WebhookDelivery.objects.exists()


def test_a_lead_from_a_public_lead_form_is_delivered(
    receiver, subscribe, sales, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, Event.LEAD_CREATED)
    form = LeadForm.objects.create(
        name="百度推广",
        source=Customer.Source.BAIDU_ADS,
        campus=BranchFactory(),
        owner=sales,
        thank_you="谢谢",
        created_by=sales,
    )

    with django_capture_on_commit_callbacks(execute=True):
        submission = lead_form_submit(
            form=form, data={"name": "李雷", "qq": "52013140"}, utm={}, referrer=""
        )

    [(event, data)] = sent(receiver)
    assert event == "lead.created"
    assert (data["id"], data["name"], data["qq"]) == (
        submission.customer_id,
        "李雷",
        "52013140",
    )


CSV = "姓名,手机\n张三,13800138000\n李四,13800138001\n王五,13800138002\n"


def test_an_import_emits_one_event_per_lead_with_one_subscription_query(
    receiver,
    subscribe,
    sales,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    settings.MEDIA_ROOT = tmp_path
    subscribe(receiver.url, Event.LEAD_CREATED)
    subscribe(ELSEWHERE, Event.PAYMENT_RECORDED, name="Other events")
    lead_import = lead_import_start(
        upload=SimpleUploadedFile("名单.csv", CSV.encode()),
        by=sales,
        consultant=sales,
        default_source="marketing",
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        lead_import_commit(lead_import=lead_import)

    lookups = [q for q in queries if 'FROM "webhooks_webhooksubscription"' in q["sql"]]
    assert len([q for q in lookups if '"is_active"' in q["sql"]]) == 1
    assert sorted(data["name"] for _event, data in sent(receiver)) == [
        "张三",
        "李四",
        "王五",
    ]
    assert {data["owner"]["name"] for _event, data in sent(receiver)} == {"销售A"}
    assert WebhookDelivery.objects.filter(event="lead.created").count() == 3


@pytest.fixture
def submitted(sales):
    return EnrollmentFactory(
        customer=CustomerFactory(name="李雷", consultant=sales),
        class_list=ClassListFactory(name="Python 全栈 S9"),
        state=Enrollment.State.SUBMITTED,
        contract_agreed=True,
        contract_agreed_at=timezone.now(),
        submitted_at=timezone.now(),
    )


def test_an_approval_emits_the_enrollment_and_its_first_payment(
    receiver, subscribe, submitted, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, Event.ENROLLMENT_APPROVED, Event.PAYMENT_RECORDED)
    reviewer = UserFactory(username="reviewer")

    with django_capture_on_commit_callbacks(execute=True):
        enrollment_approve(
            enrollment=submitted,
            by=reviewer,
            base_url="http://testserver/",
            payment_kind=Payment.Kind.DEPOSIT,
            payment_amount="2000",
        )

    events = dict(sent(receiver))
    assert set(events) == {"enrollment.approved", "payment.recorded"}
    approved = events["enrollment.approved"]
    submitted.refresh_from_db()
    assert approved == {
        "id": submitted.pk,
        "customer": {"id": submitted.customer_id, "name": "李雷"},
        "class": {"id": submitted.class_list_id, "name": "Python 全栈 S9"},
        "state": "approved",
        "approved_at": submitted.approved_at.isoformat(),
        "approved_by": {"id": reviewer.pk, "name": str(reviewer)},
        "owner": {"id": submitted.consultant_id, "name": "销售A"},
    }
    payment = events["payment.recorded"]
    assert (payment["kind"], payment["amount"]) == ("deposit", "2000.00")


def test_an_approved_refund_is_delivered_and_a_rejected_one_is_not(
    receiver, subscribe, sales, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, Event.REFUND_APPROVED)
    clerk = UserFactory(username="finance")
    enrollments = []
    for name in ("李雷", "韩梅梅"):
        enrollment = EnrollmentFactory(
            approved=True, customer=CustomerFactory(name=name, consultant=sales)
        )
        terms_at_approval(enrollment=enrollment, by=clerk)
        payment_record(enrollment=enrollment, amount=Decimal("800.00"), by=clerk)
        enrollments.append(enrollment)
    kept, refunded = (
        refund_request_create(enrollment=e, reason="搬家", by=clerk)
        for e in enrollments
    )

    with django_capture_on_commit_callbacks(execute=True):
        refund_decide(request=kept, approve=False, by=clerk, note="合同期内")
        request = refund_decide(request=refunded, approve=True, by=clerk)

    [(event, data)] = sent(receiver)
    assert event == "refund.approved"
    assert data == {
        "id": request.pk,
        "amount": str(request.amount),
        "decided_at": request.decided_at.isoformat(),
        "decided_by": {"id": clerk.pk, "name": str(clerk)},
        "enrollment": {
            "id": refunded.enrollment_id,
            "customer": {"id": enrollments[1].customer_id, "name": "韩梅梅"},
            "class": {
                "id": enrollments[1].class_list_id,
                "name": str(enrollments[1].class_list),
            },
        },
        "owner": {"id": sales.pk, "name": "销售A"},
    }


def test_without_subscriptions_nothing_is_stored_and_one_query_is_spent(
    sales, django_assert_num_queries
):
    with transaction.atomic():
        with django_assert_num_queries(1):
            assert not event_wanted(Event.LEAD_CREATED)
        # The same transaction asks again (another event, another lead): free.
        with django_assert_num_queries(0):
            assert not event_wanted(Event.PAYMENT_RECORDED)
            assert event_emit(Event.LEAD_CREATED, {"id": 1}) == []
    customer_create(consultant=sales, name="韩梅梅", phone="13800138000")
    assert not WebhookDelivery.objects.exists()


def test_inactive_subscriptions_and_those_for_other_events_get_nothing(
    receiver, subscribe, sales, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, Event.LEAD_CREATED, name="Paused", active=False)
    subscribe(receiver.url, Event.PAYMENT_RECORDED, Event.REFUND_APPROVED)
    wanting = subscribe(receiver.url, Event.LEAD_CREATED, name="CRM mirror")

    with django_capture_on_commit_callbacks(execute=True):
        customer_create(consultant=sales, name="韩梅梅", phone="13800138000")

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.subscription == wanting
    assert len(receiver.requests) == 1


def test_an_action_rolled_back_sends_nothing(
    receiver, subscribe, sales, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, Event.LEAD_CREATED)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        customer_create(consultant=sales, name="韩梅梅", phone="13800138000")
        transaction.set_rollback(True)

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_subscription_added_within_the_transaction_is_seen(
    receiver, subscribe, sales, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert not event_wanted(Event.LEAD_CREATED)
        subscribe(receiver.url, Event.LEAD_CREATED)
        customer_create(consultant=sales, name="韩梅梅", phone="13800138000")

    assert len(receiver.requests) == 1
