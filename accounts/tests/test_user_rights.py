"""The page saying what one account may do."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings
from django.utils import translation

from accounts.grants import rule_label
from accounts.models import User
from kingadmin.permissions import registry
from tests.factories import MenuFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

COURSES = "/kingadmin/crm/course/"
PAYMENTS = "/kingadmin/crm/payment/"


def perm(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def rights_url(user) -> str:
    return f"/accounts/users/{user.pk}/rights/"


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def seller(db):
    courses = MenuFactory(name="Courses", url=COURSES, order=1)
    payments = MenuFactory(name="Payments", url=PAYMENTS, order=2)
    sales = RoleFactory(
        name="Sales",
        permissions=[perm("crm.view_course"), perm("crm.view_own_customers")],
        menus=[courses, payments],
    )
    reviewers = RoleFactory(name="Reviewers", permissions=[perm("crm.view_course")])
    user = UserFactory(username="sales_x", roles=[sales, reviewers])
    user.user_permissions.add(perm("crm.view_sales_reports"))
    return user


def test_the_page_lists_roles_rules_with_sources_menus_and_home(admin_client, seller):
    response = admin_client.get(rights_url(seller))
    assert response.status_code == 200
    rights = response.context["rights"]
    assert [role.name for role in rights.roles] == ["Reviewers", "Sales"]
    lines = {line.perm: line for group in rights.groups for line in group.rules}
    assert set(lines) == {
        "crm.view_course",
        "crm.view_own_customers",
        "crm.view_sales_reports",
    }
    assert lines["crm.view_course"].sources == ["Reviewers", "Sales"]
    assert lines["crm.view_sales_reports"].sources == ["given to the account directly"]
    assert lines["crm.view_course"].label == "Can view courses"
    assert lines["crm.view_course"].help.startswith("The list, its export")
    groups = {
        group.name: [line.perm for line in group.rules] for group in rights.groups
    }
    assert groups["Courses"] == ["crm.view_course"]
    assert set(groups["Customers"]) == {
        "crm.view_own_customers",
        "crm.view_sales_reports",
    }
    # The menu the user sees: payments are refused by the rules.
    assert [item.name for item in rights.menu] == ["Courses"]
    assert rights.home == COURSES
    assert rights.home_name == "Courses"
    html = response.content.decode()
    assert "Can view courses" in html and "Reviewers, Sales" in html


@override_settings(LANGUAGE_CODE="zh-hans")
def test_the_page_shows_rule_names_in_the_language_of_the_page(admin_client, seller):
    response = admin_client.get(rights_url(seller))
    html = response.content.decode()
    with translation.override("zh-hans"):
        for group in response.context["rights"].groups:
            for line in group.rules:
                assert line.label == rule_label(registry.get(line.perm))
    assert "课程" in html


def test_superuser_and_inactive_accounts_are_explained(admin_client, root):
    html = admin_client.get(rights_url(root)).content.decode()
    assert 'data-testid="superuser"' in html
    gone = UserFactory(
        is_active=False, roles=[RoleFactory(permissions=[perm("crm.view_course")])]
    )
    response = admin_client.get(rights_url(gone))
    assert 'data-testid="inactive"' in response.content.decode()
    assert response.context["rights"].groups == []


def test_an_account_without_a_role_has_nothing(admin_client):
    nobody = UserFactory()
    response = admin_client.get(rights_url(nobody))
    rights = response.context["rights"]
    assert rights.roles == [] and rights.groups == [] and rights.menu == []
    assert rights.home is None
    assert 'data-testid="no-rights"' in response.content.decode()


def test_the_page_needs_its_rule(client, seller):
    viewer = UserFactory(roles=[RoleFactory(permissions=[perm("accounts.view_user")])])
    client.force_login(viewer)
    assert client.get(rights_url(seller)).status_code == 403
    viewer.roles.first().permissions.add(perm("accounts.view_user_rights"))
    client.force_login(User.objects.get(pk=viewer.pk))
    assert client.get(rights_url(seller)).status_code == 200
    assert client.post(rights_url(seller)).status_code == 405


def test_anonymous_is_sent_to_login_and_unknown_accounts_are_404(admin_client):
    response = Client().get("/accounts/users/1/rights/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert admin_client.get("/accounts/users/999999/rights/").status_code == 404


def test_user_change_page_links_to_the_page_only_when_allowed(
    admin_client, client, seller
):
    change = f"/kingadmin/accounts/user/{seller.pk}/change/"
    assert f'href="{rights_url(seller)}"' in admin_client.get(change).content.decode()
    editor = UserFactory(
        roles=[
            RoleFactory(
                permissions=[perm("accounts.view_user"), perm("accounts.change_user")]
            )
        ]
    )
    client.force_login(editor)
    response = client.get(change)
    assert response.status_code == 200
    assert rights_url(seller) not in response.content.decode()


def test_the_page_takes_a_bounded_number_of_queries(
    admin_client, seller, django_assert_max_num_queries
):
    many = [MenuFactory(name=f"Entry {i}", url=COURSES) for i in range(10)]
    seller.roles.first().menus.add(*many)
    for i in range(5):
        seller.roles.add(
            RoleFactory(name=f"Extra {i}", permissions=[perm("crm.view_payment")])
        )
    with django_assert_max_num_queries(14):
        assert admin_client.get(rights_url(seller)).status_code == 200
