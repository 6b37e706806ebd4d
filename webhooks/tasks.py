"""The delivery job: POST one event to its subscriber, signed; retried with backoff."""

from __future__ import annotations

import http.client
import time

from django.conf import settings
from django.utils import timezone

from jobs.registry import job
from webhooks.models import WebhookDelivery
from webhooks.sending import TargetRefused, delivery_body, post, signature

# Tried 8 times over about an hour (30 s, 1, 2, 4 ... minutes apart), as mail.
ATTEMPTS = 8


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx, or could not be reached: try again later."""


@job(attempts=ATTEMPTS, first_delay=30)
def delivery_send(*, delivery_id: int, attempts_before: int = 0) -> int | None:
    """POST delivery ``delivery_id``; raise (and so be retried) unless answered 2xx.

    Each attempt is counted on the delivery with its answer (status code,
    the start of the body) or its error. The last attempt of this job's
    ``ATTEMPTS`` marks the delivery failed; ``attempts_before`` are the
    attempts of earlier jobs (a delivery sent again by hand). Receivers
    tell a repeated delivery by its X-Webhook-Delivery id (a job whose
    worker died after sending is run again).
    """
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
        return None  # deleted with its subscription, or done already
    subscription = delivery.subscription
    if not subscription.is_active:
        delivery.state = WebhookDelivery.State.FAILED
        delivery.last_error = "The subscription was deactivated."
        delivery.save(update_fields=["state", "last_error"])
        return None
    body = delivery_body(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Event": delivery.event,
        "X-Webhook-Delivery": str(delivery.delivery_id),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": signature(subscription.secret, timestamp, body),
    }
    delivery.attempts += 1
    try:
        answer = post(
            subscription.url,
            body=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT,
        )
    except (TargetRefused, OSError, http.client.HTTPException) as error:
        delivery.status_code = None
        delivery.response_body = ""
        delivery.last_error = f"{type(error).__name__}: {error}"[:1000]
    else:
        delivery.status_code = answer.status
        delivery.response_body = answer.body
        delivery.last_error = "" if answer.ok else f"HTTP {answer.status}"
        if answer.ok:
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
    if (
        delivery.state == WebhookDelivery.State.PENDING
        and delivery.attempts - attempts_before >= ATTEMPTS
    ):
        delivery.state = WebhookDelivery.State.FAILED
    delivery.save(
        update_fields=[
            "attempts",
            "status_code",
            "response_body",
            "last_error",
            "state",
            "delivered_at",
        ]
    )
    if delivery.state != WebhookDelivery.State.DELIVERED:
        raise DeliveryFailed(
            f"Delivery {delivery.delivery_id} to {subscription.url}: "
            f"{delivery.last_error} (attempt {delivery.attempts})."
        )
    return delivery.status_code
