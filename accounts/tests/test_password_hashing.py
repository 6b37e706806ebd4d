"""Passwords are stored with Argon2id; older PBKDF2 hashes upgrade at login."""

import pytest
from django.contrib.auth.hashers import make_password
from django.test import override_settings

from accounts.models import User
from accounts.tests.test_login import PASSWORD, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARGON2ID = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def production_hashers(settings):
    # The suite hashes with MD5 for speed (conftest.py); these tests need
    # the hashers production runs with.
    from crm_project import settings as project

    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS


def test_a_new_password_is_hashed_with_argon2id(production_hashers):
    user = UserFactory()
    user.set_password(PASSWORD)
    user.save()

    assert User.objects.get(pk=user.pk).password.startswith(ARGON2ID)


def test_a_pbkdf2_hash_of_an_earlier_install_upgrades_at_the_next_login(
    client, production_hashers
):
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    ):
        old = make_password(PASSWORD)
    user = UserFactory(password=old)
    User.objects.filter(pk=user.pk).update(password=old)
    assert old.startswith("pbkdf2_sha256$")

    response = login(client, user.username)

    assert response.status_code == 302
    stored = User.objects.get(pk=user.pk).password
    assert stored.startswith(ARGON2ID)
    assert client.get("/").wsgi_request.user == user


def test_a_wrong_password_leaves_the_old_hash_alone(client, production_hashers):
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    ):
        old = make_password(PASSWORD)
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password=old)

    login(client, user.username, password="not-the-password")

    assert User.objects.get(pk=user.pk).password == old
