import pytest
from django.db import transaction
from django.test import Client, override_settings

from api.tokens import api_token_create


class Api:
    """A client calling the API with a user's token (JSON in and out)."""

    def __init__(self, user, text: str):
        self.user = user
        self.text = text
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {text}")

    def get(self, path, data=None):
        return self.client.get(path, data)

    def post(self, path, data):
        return self.client.post(path, data, content_type="application/json")


@pytest.fixture
def api_for(db):
    """Return a factory: an ``Api`` client with a fresh token of ``user``."""

    def make(user) -> Api:
        _token, text = api_token_create(user=user, name="tests", days=30, by=user)
        return Api(user, text)

    return make


@pytest.fixture(scope="package")
def _demo_world(django_db_setup, django_db_blocker):
    """Seed the demo data once for these tests; roll it back after the last.

    Each test runs in a transaction of its own inside this one (``db``), so
    what a test writes is gone before the next (as in tests/fuzz).
    """
    from accounts.models import User
    from crm.demo_data import seed_demo

    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        TASKS={
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        },
    )
    with django_db_blocker.unblock(), quick, transaction.atomic():
        seed_demo()
        yield {user.username: user.pk for user in User.objects.all()}
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_world, db):
    """The demo users by username (fresh instances: a test may change them)."""
    from accounts.models import User

    return {user.username: user for user in User.objects.all()}
