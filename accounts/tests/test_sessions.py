"""Sessions read with the compiled query: what Django's database store reads."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_reads_back_what_was_saved_as_django_s_store_does():
    store = SessionStore()
    store["cart"] = {"course": 3, "name": "王芳"}
    store.save()

    again = SessionStore(store.session_key)
    assert again["cart"] == {"course": 3, "name": "王芳"}
    assert again.load() == DjangoStore(store.session_key).load()


def test_an_unknown_or_expired_session_is_empty_and_loses_its_key():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    for key in (store.session_key, "nosuchsessionkeyatall12345"):
        loaded = SessionStore(key)
        assert loaded.load() == {}
        assert loaded.session_key is None


def test_a_page_reads_its_session_in_one_query(client, django_assert_num_queries):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    with django_assert_num_queries(1):
        assert client.session.load()["_auth_user_id"]
