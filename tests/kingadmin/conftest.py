import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from tests.factories import RoleFactory, UserFactory


def perms(*names: str) -> list[Permission]:
    """Return the Permission rows for ``app_label.codename`` names."""
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return found


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


@pytest.fixture
def user_with(db):
    """Return a factory: a user whose one role holds the named permissions."""

    def make(*names: str, username: str | None = None) -> User:
        role = RoleFactory(permissions=perms(*names))
        kwargs = {"username": username} if username else {}
        return UserFactory(roles=[role], **kwargs)

    return make
