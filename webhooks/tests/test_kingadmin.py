"""Subscriptions and deliveries in kingadmin: administrators only."""

import pytest
from django.test import Client

from kingadmin.models import ChangeLog
from webhooks.models import Event, WebhookDelivery, WebhookSubscription
from webhooks.tasks import ATTEMPTS

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/kingadmin/webhooks/webhooksubscription/"
DELIVERIES = "/kingadmin/webhooks/webhookdelivery/"


@pytest.fixture
def admin_browser(admin):
    client = Client(enforce_csrf_checks=False)
    client.force_login(admin)
    return client


@pytest.fixture
def sales_browser(demo):
    client = Client()
    client.force_login(demo["sales_a"])
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_an_admin_adds_a_subscription_and_reads_its_secret(admin_browser, admin):
    form = page(admin_browser.get(SUBSCRIPTIONS + "add/"))
    assert form.count('type="checkbox"') == len(Event) + 1  # + "active"
    for event in Event.values:
        assert f'name="events" value="{event}"' in form

    response = admin_browser.post(
        SUBSCRIPTIONS + "add/",
        {
            "name": "Accounting",
            "url": "https://books.example.com/hooks/crm",
            "events": ["payment.recorded", "lead.created"],
            "is_active": "on",
            "created_by": admin.pk,
            "_continue": "",
        },
    )

    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{SUBSCRIPTIONS}{subscription.pk}/change/"
    assert subscription.events == ["lead.created", "payment.recorded"]
    assert subscription.created_by == admin
    assert len(subscription.secret) >= 43
    change_page = page(admin_browser.get(response["Location"]))
    assert subscription.secret in change_page
    # The history records the subscription, never its secret.
    assert subscription.secret not in str(ChangeLog.objects.get().changes)
    listing = page(admin_browser.get(SUBSCRIPTIONS))
    assert "books.example.com" in listing
    assert "Lead created, Payment recorded" in listing
    assert subscription.secret not in listing


@pytest.mark.parametrize(
    "url",
    [
        "ftp://books.example.com/hooks",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "gopher://books.example.com/",
    ],
)
def test_an_address_that_is_not_http_is_refused_saying_why(admin_browser, admin, url):
    response = admin_browser.post(
        SUBSCRIPTIONS + "add/",
        {"name": "Bad", "url": url, "events": ["lead.created"], "created_by": admin.pk},
    )

    assert "starts with https:// or http://" in page(response)
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_needs_known_events(admin_browser, admin):
    data = {"name": "x", "url": "https://a.example.com/", "created_by": admin.pk}

    nothing = page(admin_browser.post(SUBSCRIPTIONS + "add/", data))
    unknown = page(
        admin_browser.post(SUBSCRIPTIONS + "add/", {**data, "events": ["lead.deleted"]})
    )

    assert "This field is required." in nothing
    assert "lead.deleted is not one of the available choices" in unknown
    assert not WebhookSubscription.objects.exists()


def test_sales_may_neither_list_nor_add_subscriptions_nor_see_deliveries(
    sales_browser,
):
    assert sales_browser.get(SUBSCRIPTIONS).status_code == 403
    assert sales_browser.get(SUBSCRIPTIONS + "add/").status_code == 403
    response = sales_browser.post(
        SUBSCRIPTIONS + "add/",
        {"name": "x", "url": "https://a.example.com/", "events": ["lead.created"]},
    )
    assert response.status_code == 403
    assert sales_browser.get(DELIVERIES).status_code == 403
    assert not WebhookSubscription.objects.exists()


def test_the_demo_admin_lists_subscriptions_and_deliveries(demo):
    client = Client()
    client.force_login(demo["admin"])
    assert client.get(SUBSCRIPTIONS).status_code == 200
    assert client.get(DELIVERIES).status_code == 200


def test_failed_deliveries_are_redelivered_with_fresh_attempts(
    admin_browser, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url, Event.LEAD_CREATED)
    failed = WebhookDelivery.objects.create(
        subscription=subscription,
        event=Event.LEAD_CREATED,
        payload={"id": 7},
        state=WebhookDelivery.State.FAILED,
        attempts=ATTEMPTS,
        status_code=500,
    )
    delivered = WebhookDelivery.objects.create(
        subscription=subscription,
        event=Event.LEAD_CREATED,
        payload={"id": 8},
        state=WebhookDelivery.State.DELIVERED,
        attempts=1,
        status_code=200,
    )
    listing = page(admin_browser.get(DELIVERIES + "?state=failed"))
    assert "Redeliver the selected failed deliveries" in listing

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(
            DELIVERIES,
            {"action": "redeliver", "_selected_action": [failed.pk, delivered.pk]},
            follow=True,
        )

    assert "1 failed delivery was queued again." in page(response)
    failed.refresh_from_db()
    assert failed.state == WebhookDelivery.State.DELIVERED
    assert (failed.attempts, failed.status_code) == (ATTEMPTS + 1, 200)
    assert [r.headers["X-Webhook-Delivery"] for r in receiver.requests] == [
        str(failed.delivery_id)
    ]
    delivered.refresh_from_db()
    assert delivered.attempts == 1


def test_a_delivery_is_read_only(admin_browser, subscribe):
    subscription = subscribe("https://a.example.com/", Event.LEAD_CREATED)
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event=Event.LEAD_CREATED, payload={"id": 7}
    )
    change = f"{DELIVERIES}{delivery.pk}/change/"

    assert str(delivery.delivery_id) in page(admin_browser.get(change))
    assert admin_browser.post(change, {"state": "delivered"}).status_code == 403
    assert admin_browser.get(DELIVERIES + "add/").status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PENDING
