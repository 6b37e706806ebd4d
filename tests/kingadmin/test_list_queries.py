"""A list page costs at most six queries, whatever its size and the user's role.

Session, user (with the unread count and the menu stamp), the options of
the relation filters, and the page's rows with their capped count in one
query; the menu rows come from the session once read (``MenuStamp``), the
filter options from the process's cache once queried (three queries then).
"""

import pytest

from crm.demo_data import seed_demo
from crm.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LISTS = [
    ("admin", "/kingadmin/crm/customer/"),
    ("admin", "/kingadmin/crm/customer/?source=qq_group&o=-created_at"),
    ("manager", "/kingadmin/crm/customer/?pool=public"),
    ("sales_a", "/kingadmin/crm/customer/?mine=1"),
    ("sales_a", "/kingadmin/crm/customer/?q=王"),
    ("admin", "/kingadmin/crm/customerfollowup/"),
    ("admin", "/kingadmin/accounts/user/"),
]
BUDGET = 6


@pytest.fixture
def demo(db):
    seed_demo()


@pytest.mark.parametrize(("username", "url"), LISTS)
def test_a_list_page_costs_at_most_six_queries_at_any_size(
    client, demo, username, url, django_assert_max_num_queries
):
    from accounts.models import User

    user = User.objects.get(username=username)
    client.force_login(user)
    assert client.get(url).status_code == 200  # the session keeps the menu now
    with django_assert_max_num_queries(BUDGET):
        small = client.get(url)
    assert small.status_code == 200

    CustomerFactory.create_batch(60, consultant=user, source=Customer.Source.QQ_GROUP)
    with django_assert_max_num_queries(BUDGET):
        large = client.get(url + ("&" if "?" in url else "?") + "per_page=100")
    assert large.status_code == 200


def test_a_page_past_the_end_shows_the_last_page_in_a_query_more(
    client, demo, django_assert_max_num_queries
):
    from accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    url = "/kingadmin/crm/customer/"
    client.get(url)
    last = client.get(url).context["cl"].num_pages
    with django_assert_max_num_queries(BUDGET + 2):
        response = client.get(url, {"p": 10**30})
    cl = response.context["cl"]
    assert cl.page_num == last
    assert response.context["rows"]


@pytest.mark.parametrize(("username", "url"), LISTS[:5])
def test_a_list_seen_again_is_three_queries_and_loads_only_its_columns(
    client, demo, username, url, django_assert_num_queries
):
    from accounts.models import User

    client.force_login(User.objects.get(username=username))
    first = client.get(url)
    with django_assert_num_queries(3) as seen_again:  # session, user, rows
        again = client.get(url)
    assert again.content.count(b"<tr>") == first.content.count(b"<tr>") > 1
    page = seen_again.captured_queries[-1]["sql"]
    assert '"crm_customer"."phone"' in page
    for unread in ('"crm_customer"."notes"', '"crm_customer"."id_number"'):
        assert unread not in page
    assert '"accounts_user"."password"' not in page
