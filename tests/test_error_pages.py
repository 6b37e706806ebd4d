import pytest
from django.test import Client

from crm.demo_data import MENU_MY_CUSTOMERS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_unknown_page_gives_the_friendly_404_in_the_site_layout(client):
    client.force_login(UserFactory())
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Training School CRM" in html  # the site's navbar


def test_forbidden_page_gives_the_friendly_403_with_the_users_menu(demo, client):
    client.force_login(demo["sales_a"])
    response = client.get("/teacher/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Access denied" in html
    assert MENU_MY_CUSTOMERS in html  # the sales menu is still there


def test_csrf_failure_page_explains_what_to_do():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403
    assert "Form expired" in response.content.decode()
