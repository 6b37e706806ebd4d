import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("crm:customer_list")


@pytest.fixture
def sales(db):
    from django.contrib.auth.models import Permission

    role = RoleFactory(
        name="Sales",
        permissions=[Permission.objects.get(codename="view_own_customers")],
    )
    return UserFactory(username="sales", roles=[role])


def test_lists_only_the_customers_the_consultant_owns(client, sales):
    CustomerFactory(name="Mine", consultant=sales, qq="123456789")
    CustomerFactory(name="Someone else's", consultant=UserFactory())
    client.force_login(sales)
    html = client.get(URL).content.decode()
    assert "Mine" in html
    assert "Someone else" not in html
    assert 'href="tencent://message/?uin=123456789"' in html


def test_search_finds_a_phone_typed_with_dashes(client, sales):
    CustomerFactory(name="Wang", phone="13812345678", consultant=sales)
    CustomerFactory(name="Li", phone="13900000000", consultant=sales)
    client.force_login(sales)
    html = client.get(URL, {"q": "138-1234-5678"}).content.decode()
    assert "Wang" in html and ">Li<" not in html


@pytest.mark.parametrize("q", ["%", "'; drop table", "\x00", "x" * 500, "１３８"])
def test_garbage_search_terms_give_a_page_not_an_error(client, sales, q):
    CustomerFactory(consultant=sales)
    client.force_login(sales)
    assert client.get(URL, {"q": q}).status_code == 200


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", ""])
def test_bad_page_numbers_fall_back_to_a_valid_page(client, sales, page):
    CustomerFactory(consultant=sales)
    client.force_login(sales)
    assert client.get(URL, {"page": page}).status_code == 200


def test_user_without_the_permission_gets_the_friendly_403_page(client):
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 403
    assert "Access denied" in response.content.decode()


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_queries_do_not_grow_with_the_number_of_customers(
    client, sales, django_assert_max_num_queries
):
    client.force_login(sales)
    CustomerFactory.create_batch(3, consultant=sales)
    with django_assert_max_num_queries(9) as small:
        client.get(URL)
    CustomerFactory.create_batch(30, consultant=sales)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert "33 customers" in response.content.decode()
