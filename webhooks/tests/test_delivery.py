"""Deliveries to a real receiver on loopback: signed, retried with backoff, logged.

The first tests run jobs at once (the tests' immediate backend); the retry
tests use the database queue and a worker, as in production.
"""

import json
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from finance.services import payment_record, terms_at_approval
from tests.factories import EnrollmentFactory
from webhooks.models import Event, WebhookDelivery
from webhooks.tasks import ATTEMPTS, delivery_send
from webhooks.tests.conftest import free_port

pytestmark = pytest.mark.django_db

TASK_PATH = "webhooks.tasks.delivery_send"


@pytest.fixture
def enrollment():
    enrollment = EnrollmentFactory(
        approved=True, customer__name="李雷", customer__consultant__username="sales_b"
    )
    terms_at_approval(enrollment=enrollment, by=enrollment.consultant)
    return enrollment


def pay(enrollment, amount="2000.00"):
    return payment_record(
        enrollment=enrollment, amount=Decimal(amount), by=enrollment.consultant
    )


def test_a_payment_is_delivered_signed_to_the_receiver(
    receiver, subscribe, enrollment, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url, Event.PAYMENT_RECORDED)

    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(enrollment)

    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/crm"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Webhook-Event"] == "payment.recorded"
    assert request.signature_valid(subscription.secret)
    assert not request.signature_valid("another secret")
    sent_at = int(request.headers["X-Webhook-Timestamp"])
    assert abs(sent_at - timezone.now().timestamp()) < 60
    body = json.loads(request.body.decode("utf-8"))
    compact = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    assert request.body == compact.encode("utf-8")  # UTF-8, not \u escapes
    delivery = WebhookDelivery.objects.get()
    assert request.headers["X-Webhook-Delivery"] == str(delivery.delivery_id)
    assert body["id"] == str(delivery.delivery_id)
    assert body["event"] == "payment.recorded"
    assert body["created_at"] == delivery.created_at.isoformat()
    assert body["data"] == {
        "id": payment.pk,
        "kind": "tuition",
        "amount": "2000.00",
        "created_at": payment.created_at.isoformat(),
        "enrollment": {
            "id": enrollment.pk,
            "customer": {"id": enrollment.customer_id, "name": "李雷"},
            "class": {
                "id": enrollment.class_list_id,
                "name": str(enrollment.class_list),
            },
        },
        "owner": {"id": enrollment.consultant_id, "name": str(enrollment.consultant)},
    }
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert (delivery.status_code, delivery.response_body) == (200, "ok")
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None
    assert delivery.last_error == ""


def test_a_500_is_retried_with_backoff_and_the_retry_is_delivered(
    receiver, subscribe, enrollment, queue, run_worker
):
    subscription = subscribe(receiver.url, Event.PAYMENT_RECORDED)
    receiver.answer(500, b"database is down")

    pay(enrollment)  # the queue's row is written in the payment's transaction
    job = DBTaskResult.objects.get(task_path=TASK_PATH)

    run_worker()  # the receiver fails: the job waits for its retry
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert (delivery.attempts, delivery.status_code) == (1, 500)
    assert delivery.response_body == "database is down"
    assert delivery.last_error == "HTTP 500"
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY
    assert "DeliveryFailed" in job.traceback
    assert job.run_after > timezone.now()
    run_worker()  # not due yet
    assert len(receiver.requests) == 1

    DBTaskResult.objects.filter(pk=job.pk).update(run_after=timezone.now())
    run_worker()
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert (delivery.attempts, delivery.status_code, delivery.last_error) == (
        2,
        200,
        "",
    )
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    first, second = receiver.requests
    assert (
        first.headers["X-Webhook-Delivery"]
        == second.headers["X-Webhook-Delivery"]
        == str(delivery.delivery_id)
    )
    assert first.body == second.body
    assert first.signature_valid(subscription.secret)
    assert second.signature_valid(subscription.secret)


def test_the_last_failed_attempt_marks_the_delivery_failed(
    receiver, subscribe, enrollment, queue, run_worker
):
    subscribe(receiver.url, Event.PAYMENT_RECORDED)
    for _ in range(ATTEMPTS):
        receiver.answer(503, b"busy")
    pay(enrollment)

    for _ in range(ATTEMPTS):
        DBTaskResult.objects.update(run_after=timezone.now())
        run_worker()

    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert (delivery.attempts, delivery.status_code) == (ATTEMPTS, 503)
    job = DBTaskResult.objects.get(task_path=TASK_PATH)
    assert job.status == TaskResultStatus.FAILED
    assert len(job.worker_ids) == ATTEMPTS
    assert len(receiver.requests) == ATTEMPTS


def delivery_for(subscription):
    return WebhookDelivery.objects.create(
        subscription=subscription, event=Event.LEAD_CREATED, payload={"id": 1}
    )


def test_a_refused_connection_is_recorded_and_retried(subscribe):
    subscription = subscribe(
        f"http://127.0.0.1:{free_port()}/hooks", Event.LEAD_CREATED
    )
    delivery = delivery_for(subscription)

    result = delivery_send.enqueue(delivery_id=delivery.pk)

    assert result.status == TaskResultStatus.FAILED  # so the worker retries it
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.attempts == 1
    assert delivery.status_code is None
    assert "Connection refused" in delivery.last_error


def test_a_receiver_slower_than_the_timeout_is_recorded_and_retried(
    receiver, subscribe, settings
):
    settings.WEBHOOK_TIMEOUT = 0.3
    receiver.delay = 1.0
    delivery = delivery_for(subscribe(receiver.url, Event.LEAD_CREATED))

    result = delivery_send.enqueue(delivery_id=delivery.pk)

    assert result.status == TaskResultStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.attempts == 1
    assert "timed out" in delivery.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hooks",
        "http://localhost:{port}/hooks",
        "http://[::1]:{port}/hooks",
        "http://10.0.0.8/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/",
        "http://[::ffff:127.0.0.1]:{port}/",
    ],
)
def test_a_target_on_loopback_or_a_private_network_is_refused(
    receiver, subscribe, settings, url
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = delivery_for(subscribe(url.format(port=port), Event.LEAD_CREATED))

    delivery_send.enqueue(delivery_id=delivery.pk)

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.last_error.startswith("TargetRefused: ")
    assert "not a public address" in delivery.last_error


def test_a_redirect_is_not_followed(receiver, subscribe):
    receiver.answer(302, b"", Location=receiver.url + "/elsewhere")
    delivery = delivery_for(subscribe(receiver.url, Event.LEAD_CREATED))

    delivery_send.enqueue(delivery_id=delivery.pk)

    assert [r.path for r in receiver.requests] == ["/hooks/crm"]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.status_code) == ("pending", 302)


def test_a_long_answer_is_read_bounded_and_kept_short(receiver, subscribe):
    receiver.answer(200, b"x" * 1_000_000)
    delivery = delivery_for(subscribe(receiver.url, Event.LEAD_CREATED))

    delivery_send.enqueue(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.response_body == "x" * 2000


def test_a_subscription_deactivated_meanwhile_gets_nothing(receiver, subscribe):
    subscription = subscribe(receiver.url, Event.LEAD_CREATED)
    delivery = delivery_for(subscription)
    subscription.is_active = False
    subscription.save()

    delivery_send.enqueue(delivery_id=delivery.pk)

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.last_error == "The subscription was deactivated."


def test_a_delivered_delivery_is_not_sent_twice(receiver, subscribe):
    delivery = delivery_for(subscribe(receiver.url, Event.LEAD_CREATED))

    delivery_send.enqueue(delivery_id=delivery.pk)
    delivery_send.enqueue(delivery_id=delivery.pk)

    assert len(receiver.requests) == 1
