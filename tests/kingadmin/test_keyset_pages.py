"""Past the counted window, "Next page" links reach every row, in order, once.

The list counts ``count_limit`` rows (10 here); its last numbered page links
to the rows after its last row (a keyset cursor), and each such page to the
next. Ties, NULLs (which PostgreSQL and SQLite sort on opposite ends) and
orderings through relations must neither skip nor repeat a row.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import kingadmin
from crm.models import Customer
from kingadmin.keyset import CURSOR_VAR, spell_out
from tests.factories import CourseFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/kingadmin/crm/customer/"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def small_window(monkeypatch):
    admin = kingadmin.site.get_model_admin(Customer)
    monkeypatch.setattr(admin, "count_limit", 10)
    return admin


@pytest.fixture
def customers():
    courses = [CourseFactory(name=name) for name in ("Go", "Java", "Python")]
    sales = [UserFactory(username=name) for name in ("zed", "amy")]
    start = datetime(2026, 1, 1, 9, tzinfo=SHANGHAI)
    rows = []
    for n in range(37):
        customer = CustomerFactory(
            name=f"客户{n:02d}",
            consult_course=courses[n % 3] if n % 4 else None,
            consultant=sales[n % 2],
        )
        rows.append(customer)
        # Ties on created_at (three per hour) and NULL follow-up dates.
        Customer.objects.filter(pk=customer.pk).update(
            created_at=start + timedelta(hours=n // 3),
            last_followup_at=None if n % 5 == 0 else start + timedelta(days=n % 7),
        )
    return rows


def walk(client, params: dict) -> tuple[list[str], int]:
    """Return the names of every page from page 1 by numbers, then "Next"."""
    names, keyset_pages = [], 0
    response = client.get(URL, {**params, "per_page": 10})
    while True:
        cl = response.context["cl"]
        names += [row.obj.name for row in response.context["rows"]]
        if cl.keyset_page:
            keyset_pages += 1
        if cl.next_url:
            response = client.get(URL + cl.next_url)
        elif not cl.keyset_page and cl.page_num < cl.num_pages:
            response = client.get(URL + cl.page_url(cl.page_num + 1))
        else:
            return names, keyset_pages


@pytest.mark.parametrize(
    "sort",
    [
        None,
        "created_at",
        "-last_followup_at",
        "last_followup_at",
        "consult_course",
        "-consultant",
        "name_link",
    ],
)
def test_next_links_reach_every_row_once_in_the_lists_order(
    admin_client, small_window, customers, sort
):
    params = {"o": sort} if sort else {}
    cl = admin_client.get(URL, {**params, "per_page": 200}).context["cl"]
    expected = list(cl.queryset.values_list("name", flat=True))  # the whole order

    names, keyset_pages = walk(admin_client, params)

    assert names == expected
    assert len(names) == 37 and keyset_pages == 3  # 10 counted, 27 past them


def test_the_last_counted_page_says_more_and_links_on(
    admin_client, small_window, customers
):
    html = admin_client.get(URL, {"per_page": 10, "p": 1}).content.decode()
    assert "More than 10 results" in html
    assert 'data-testid="next-page"' in html  # page 1 is the last counted page


def test_a_filter_or_a_sort_link_of_a_keyset_page_starts_again_from_the_top(
    admin_client, small_window, customers
):
    first = admin_client.get(URL, {"per_page": 10}).context["cl"]
    response = admin_client.get(URL + first.next_url)
    cl = response.context["cl"]
    assert cl.keyset_page
    assert CURSOR_VAR not in cl.sort_url(cl.columns[0])
    assert CURSOR_VAR not in cl.page_url(1)
    assert all(CURSOR_VAR not in value for _name, value in cl.hidden_params)


@pytest.mark.parametrize(
    "cursor", ["", "garbage", "W10", "WyJ4Il0", "WzEsMiwzLDQsNV0", "e30", "%00"]
)
def test_a_cursor_edited_by_hand_is_ignored_and_said_so(
    admin_client, small_window, customers, cursor
):
    response = admin_client.get(URL, {"per_page": 10, CURSOR_VAR: cursor})
    assert response.status_code == 200
    assert response.context["cl"].ignored == [CURSOR_VAR]
    assert len(response.context["rows"]) == 10


def test_orderings_are_spelled_out_to_columns_as_the_database_sorts():
    assert spell_out(Customer, ["-created_at", "-pk"]) == [
        ("created_at", True),
        ("id", True),
    ]
    # A course sorts by its name; a user (no Meta.ordering) by its key.
    assert spell_out(Customer, ["-consult_course", "consultant"]) == [
        ("consult_course__name", True),
        ("consultant__id", False),
    ]
    assert spell_out(Customer, ["tags"]) is None  # many-valued: no keyset
    assert spell_out(Customer, ["?"]) is None


def test_a_page_past_the_count_is_an_index_range_not_a_scan(customers):
    from django.db import connection

    from kingadmin.keyset import cursor_of, read_cursor, rows_after, with_keys

    keys = spell_out(Customer, Customer._meta.ordering)  # NOT NULL columns
    ordered = with_keys(Customer.objects.all(), keys).order_by(*Customer._meta.ordering)
    values = read_cursor(Customer, keys, cursor_of(ordered[20], keys))
    sql, params = rows_after(ordered, keys, values)[:10].query.sql_with_params()
    assert "IS NULL" not in sql  # no "OR created_at IS NULL" to spoil the range
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "Index Cond" in plan and "created_at" in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "SEARCH crm_customer USING INDEX" in plan, plan
