"""Project-wide pytest fixtures."""

import pytest

# The session-wide Chromium (`browser` fixture) for every browser test.
pytest_plugins = ["tests.browser.chromium"]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Hash passwords cheaply, keep uploads and mail in a temp folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
    # Jobs run at once, in the test (the queue's own tests use the database).
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    # The per-process cache outlives a test's rolled-back rows (ids repeat).
    from django.core.cache import caches

    caches["local"].clear()


@pytest.fixture
def demo(db):
    """Load the demo data of ``seed_demo`` and return its users by username."""
    from accounts.models import User
    from crm.demo_data import seed_demo

    seed_demo()
    return {user.username: user for user in User.objects.all()}
