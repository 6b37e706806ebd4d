import pytest
from django.test import Client

from accounts.models import Notification
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_bell_shows_the_unread_count_and_the_list_shows_own_notifications(client):
    me, other = UserFactory(), UserFactory()
    NotificationFactory(recipient=me, text="Your lead was entered again")
    NotificationFactory(recipient=me, text="Old news", is_read=True)
    NotificationFactory(recipient=other, text="Someone else's")
    client.force_login(me)
    html = client.get("/accounts/notifications/").content.decode()
    assert 'data-testid="unread-count">1<' in html
    assert "Your lead was entered again" in html and "Old news" in html
    assert "Someone else" not in html


def test_mark_one_and_all_as_read_only_touches_own_rows(client):
    me, other = UserFactory(), UserFactory()
    mine = NotificationFactory(recipient=me)
    second = NotificationFactory(recipient=me)
    theirs = NotificationFactory(recipient=other)
    client.force_login(me)
    client.post("/accounts/notifications/read/", {"id": theirs.pk})
    client.post("/accounts/notifications/read/", {"id": mine.pk})
    assert Notification.objects.get(pk=mine.pk).is_read
    assert not Notification.objects.get(pk=second.pk).is_read
    assert not Notification.objects.get(pk=theirs.pk).is_read
    response = client.post("/accounts/notifications/read/", {"id": "x"})
    assert response.status_code == 302
    client.post("/accounts/notifications/read/")
    assert Notification.objects.get(pk=second.pk).is_read
    assert not Notification.objects.get(pk=theirs.pk).is_read


def test_mark_read_redirects_only_inside_the_site(client):
    client.force_login(UserFactory())
    response = client.post(
        "/accounts/notifications/read/", {"next": "https://evil.example/"}
    )
    assert response.url == "/accounts/notifications/"
    response = client.post("/accounts/notifications/read/", {"next": "/kingadmin/"})
    assert response.url == "/kingadmin/"


def test_notifications_need_login_post_and_csrf():
    anonymous = Client()
    assert anonymous.get("/accounts/notifications/").status_code == 302
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.get("/accounts/notifications/read/").status_code == 405
    assert client.post("/accounts/notifications/read/").status_code == 403


def test_the_open_button_is_not_the_questions_open_status_in_chinese(client, settings):
    """The duplicate-lead notice's button said 待回答 (a question's status)."""
    settings.LANGUAGE_CODE = "zh-hans"
    me = UserFactory()
    NotificationFactory(recipient=me, text="重复线索", link="/")
    client.force_login(me)
    html = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = html.content.decode()
    assert ">查看</a>" in text
    assert "待回答" not in text
