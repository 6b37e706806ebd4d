"""What a request's user carries: permissions, unread count, menu stamp."""

import pytest
from django.contrib.auth.models import Permission

from accounts.backends import RoleBackend
from tests.factories import NotificationFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def test_the_request_user_carries_direct_and_role_permissions(
    django_assert_num_queries,
):
    role = RoleFactory(permissions=[_perm("view_customer"), _perm("add_customer")])
    other_role = RoleFactory(permissions=[_perm("view_customer")])
    user = UserFactory(roles=[role, other_role])
    user.user_permissions.add(_perm("view_payment"))
    UserFactory(roles=[RoleFactory(permissions=[_perm("delete_customer")])])

    with django_assert_num_queries(1):
        loaded = RoleBackend().get_user(user.pk)
        perms = loaded.get_all_permissions()

    assert perms == {"crm.view_customer", "crm.add_customer", "crm.view_payment"}
    assert perms == RoleBackend().get_all_permissions(UserFactory.build(pk=user.pk))


def test_a_user_without_permissions_has_none_and_inactive_users_are_refused():
    user = UserFactory(roles=[RoleFactory()])
    assert RoleBackend().get_user(user.pk).get_all_permissions() == set()
    user.is_active = False
    user.save()
    assert RoleBackend().get_user(user.pk) is None


def test_a_permission_taken_from_a_role_is_gone_on_the_next_request(client):
    role = RoleFactory(permissions=[_perm("view_customer")])
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/kingadmin/crm/customer/").status_code == 200

    role.permissions.remove(_perm("view_customer"))

    assert client.get("/kingadmin/crm/customer/").status_code == 403


def test_the_bell_counts_what_is_unread_on_each_page(client):
    me = UserFactory()
    NotificationFactory(recipient=me)
    client.force_login(me)
    assert 'data-testid="unread-count">1<' in client.get("/").content.decode()

    NotificationFactory(recipient=me)
    html = client.get("/accounts/notifications/").content.decode()
    assert 'data-testid="unread-count">2<' in html

    client.post("/accounts/notifications/read/")
    html = client.get("/accounts/notifications/").content.decode()
    assert 'data-testid="unread-count"' not in html
