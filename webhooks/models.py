"""Webhooks: URLs an administrator subscribes to events, and each delivery to them.

An event (a lead created, a payment recorded ...) becomes one
``WebhookDelivery`` per active subscription that wants it; a job POSTs it,
signed with the subscription's secret, and tries again with backoff
(webhooks.services, webhooks.tasks).
"""

import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Response bodies are kept this long on a delivery (the start says enough).
RESPONSE_BODY_KEPT = 2000
SCHEMES = ("http", "https")


class Event(models.TextChoices):
    LEAD_CREATED = "lead.created", _("Lead created")
    ENROLLMENT_APPROVED = "enrollment.approved", _("Enrollment approved")
    PAYMENT_RECORDED = "payment.recorded", _("Payment recorded")
    REFUND_APPROVED = "refund.approved", _("Refund approved")


def webhook_secret() -> str:
    """Return a new signing secret (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def is_web_address(url: str) -> bool:
    """Return True if ``url`` is an http(s) address with a host name."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in SCHEMES and bool(parts.hostname)
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        return False


def scheme_error() -> ValidationError:
    return ValidationError(
        _(
            "Enter a web address that starts with https:// or http:// "
            "(e.g. https://example.com/hooks/crm)."
        ),
        code="scheme",
    )


class WebhookSubscription(models.Model):
    """A URL that receives the events it asked for, signed with its secret."""

    name = models.CharField(_("name"), max_length=64)
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_("The address the events are POSTed to (https recommended)."),
    )
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(
        _("signing secret"),
        max_length=64,
        default=webhook_secret,
        editable=False,
        help_text=_(
            "The receiver checks X-Webhook-Signature: sha256= the HMAC-SHA256 "
            "of “<X-Webhook-Timestamp>.<body>” with this secret."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_at"], name="webhook_sub_created_idx"),
            models.Index(
                fields=["is_active", "created_at"], name="webhook_sub_active_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        if self.url and not is_web_address(self.url):
            errors["url"] = scheme_error()
        events = self.events if isinstance(self.events, list) else []
        unknown = [str(event) for event in events if event not in Event.values]
        if not events:
            errors["events"] = ValidationError(
                _("Choose at least one event."), code="no_events"
            )
        elif unknown:
            errors["events"] = ValidationError(
                _("Unknown event: %(events)s.") % {"events": ", ".join(unknown)},
                code="unknown_event",
            )
        if errors:
            raise ValidationError(errors)

    def wants(self, event: str) -> bool:
        """Return True if the subscription asked for ``event``."""
        return event in self.events


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one subscription, with its last response."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        # The (subscription, created_at) index serves its lookups.
        db_index=False,
    )
    event = models.CharField(_("event"), max_length=32, choices=Event)
    payload = models.JSONField(_("payload"))
    delivery_id = models.UUIDField(
        _("delivery id"), default=uuid.uuid4, unique=True, editable=False
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    status_code = models.PositiveSmallIntegerField(
        _("response status"), null=True, blank=True
    )
    response_body = models.TextField(_("response body"), blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_at"], name="webhook_dlv_created_idx"),
            models.Index(fields=["state", "created_at"], name="webhook_dlv_state_idx"),
            models.Index(fields=["event", "created_at"], name="webhook_dlv_event_idx"),
            models.Index(
                fields=["subscription", "created_at"], name="webhook_dlv_sub_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.delivery_id}"
