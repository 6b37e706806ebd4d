"""Writes of webhooks: subscriptions saved, events emitted, deliveries sent again.

Services emit an event after their row is saved, in their transaction::

    if event_wanted(Event.PAYMENT_RECORDED):
        event_emit(Event.PAYMENT_RECORDED, payment_payload(payment))

Each active subscription that wants the event gets a ``WebhookDelivery``,
and the delivery job is enqueued on commit (a rolled-back action sends
nothing). Which subscriptions are active is read once per transaction (one
small query, also when there are none), so an action that emits several
events, or an import emitting one per lead, costs that one query.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from jobs.queue import enqueue_on_commit
from webhooks.models import Event, WebhookDelivery, WebhookSubscription
from webhooks.tasks import delivery_send

# Where the connection keeps the subscriptions its open transaction read.
_READ = "_webhooks_subscriptions_read"


def subscription_save(
    *, subscription: WebhookSubscription, by: User
) -> WebhookSubscription:
    """Create or change a subscription; ``by`` is its creator when it is new.

    ``events`` keeps the known events, in their declared order.
    """
    if subscription._state.adding:
        subscription.created_by = by
    chosen = subscription.events if isinstance(subscription.events, list) else []
    known = [event for event in Event.values if event in chosen]
    subscription.events = known + [e for e in chosen if e not in Event.values]
    subscription.full_clean()
    subscription.save()
    return subscription


class _Read:
    """The active subscriptions a transaction read, as a no-op on-commit callback.

    Django drops the callbacks of a transaction (or savepoint) when it
    commits or rolls back: while this one is still queued, the transaction
    that read the rows is open, and the rows are its own reading.
    """

    def __init__(self, rows: list[tuple[int, list]]):
        self.rows = rows

    def __call__(self) -> None:
        pass


def _active_subscriptions() -> list[tuple[int, list]]:
    """Return (id, events) of the active subscriptions, read once per transaction."""
    connection = transaction.get_connection()
    read = getattr(connection, _READ, None)
    if read is not None and any(
        func is read for _sids, func, _robust in connection.run_on_commit
    ):
        return read.rows
    rows = list(
        WebhookSubscription.objects.filter(is_active=True).values_list("pk", "events")
    )
    if connection.in_atomic_block:
        read = _Read(rows)
        transaction.on_commit(read)
        setattr(connection, _READ, read)
    return rows


def subscriptions_forget(**_kwargs) -> None:
    """Forget what this thread's open transaction read (a subscription changed).

    Connected to the subscription's post_save and post_delete (apps.py).
    """
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if hasattr(connection, _READ):
            delattr(connection, _READ)


def event_wanted(event: str) -> bool:
    """Return True if an active subscription wants ``event``.

    Callers check it before building a payload, which may cost queries.
    """
    return any(event in events for _pk, events in _active_subscriptions())


def event_emit(event: str, payload: dict) -> list[WebhookDelivery]:
    """Deliver ``payload`` as ``event`` to each active subscription that wants it."""
    return events_emit(event, [payload])


def events_emit(event: str, payloads: Iterable[dict]) -> list[WebhookDelivery]:
    """Deliver each of ``payloads`` as ``event`` (one delivery per subscription).

    The deliveries are inserted at once; their jobs start on commit.
    """
    event = Event(event)
    wanting = [pk for pk, events in _active_subscriptions() if event in events]
    if not wanting:
        return []
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription_id=pk, event=event, payload=payload, created_at=now
        )
        for payload in payloads
        for pk in wanting
    )
    for delivery in deliveries:
        enqueue_on_commit(delivery_send, delivery_id=delivery.pk)
    return deliveries


@transaction.atomic
def deliveries_redeliver(*, deliveries: QuerySet) -> int:
    """Send the failed ones of ``deliveries`` again, with a fresh set of attempts.

    Return how many were queued. Delivered and pending ones are left alone.
    """
    failed = list(
        WebhookDelivery.objects.select_for_update()
        .filter(pk__in=deliveries.values("pk"), state=WebhookDelivery.State.FAILED)
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _attempts in failed]).update(
        state=WebhookDelivery.State.PENDING
    )
    for pk, attempts in failed:
        enqueue_on_commit(delivery_send, delivery_id=pk, attempts_before=attempts)
    return len(failed)
