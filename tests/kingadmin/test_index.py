"""The kingadmin index is implied: viewing any model opens it."""

import pytest
from django.test import Client, override_settings

from accounts.selectors import url_allowed, user_menu
from kingadmin.permissions import registry
from kingadmin.sites import INDEX_RULE, site
from tests.factories import MenuFactory, PaymentFactory, RoleFactory, UserFactory

from .conftest import perms

pytestmark = pytest.mark.django_db

INDEX = "/kingadmin/"
PAYMENTS = "/kingadmin/crm/payment/"


def test_a_role_with_only_view_payment_opens_the_index_and_the_payment_list(
    client, user_with
):
    PaymentFactory()
    client.force_login(user_with("crm.view_payment"))
    response = client.get(INDEX)
    assert response.status_code == 200
    listed = [
        model["object_name"]
        for app in response.context["app_list"]
        for model in app["models"]
    ]
    assert listed == ["Payment"]
    assert f'href="{PAYMENTS}"' in response.content.decode()
    listing = client.get(PAYMENTS)
    assert listing.status_code == 200
    # Payments inherit the scope of their customer: none viewable, none listed.
    assert listing.context["rows"] == []


def test_without_any_view_rule_the_index_is_refused(client, user_with):
    client.force_login(user_with("crm.add_payment"))
    assert client.get(INDEX).status_code == 403
    client.force_login(UserFactory())
    assert client.get(INDEX).status_code == 403


def test_anonymous_is_sent_to_login_from_the_index(client):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/kingadmin/"


def test_the_explicit_index_rule_still_opens_an_empty_index(client, user_with):
    client.force_login(user_with(INDEX_RULE.perm))
    response = client.get(INDEX)
    assert response.status_code == 200
    assert response.context["app_list"] == []


def test_only_get_is_served(client, user_with):
    client.force_login(user_with("crm.view_payment"))
    assert client.post(INDEX).status_code == 405


def test_menus_ask_the_site_so_the_index_entry_appears_with_a_view_rule(user_with):
    user = user_with("crm.view_payment")
    admin_menu = MenuFactory(name="Administration", url=INDEX)
    user.roles.first().menus.set([admin_menu])
    assert url_allowed(user, INDEX)
    assert [item.name for item in user_menu(user=user)] == ["Administration"]
    nobody = UserFactory(roles=[RoleFactory(menus=[admin_menu])])
    assert not url_allowed(nobody, INDEX)
    assert user_menu(user=nobody) == []


def test_index_decision_is_the_site_s_and_the_rule_engine_stays_strict(user_with):
    user = user_with("crm.view_payment")
    # The rule engine alone still knows only the explicit rule ...
    assert not registry.decide(user, url_name="kingadmin:index")
    # ... the site adds the implication, for requests and for menus alike.
    assert site.may_open_index(user)
    assert not site.may_open_index(UserFactory())
    assert not site.may_open_index(UserFactory(is_active=False, is_superuser=True))


@override_settings(LANGUAGE_CODE="zh-hans")
def test_index_lists_the_model_in_chinese():
    role = RoleFactory(permissions=perms("crm.view_payment"))
    client = Client()
    client.force_login(UserFactory(roles=[role]))
    assert "缴费记录" in client.get(INDEX).content.decode()
