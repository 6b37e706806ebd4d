"""Finding customers by part of a number or of a name (crm.search)."""

import io
import math

import pytest
from django.core.management import call_command
from django.db import connection

from crm import search
from crm.demo_data import generate_customers
from crm.models import Customer, CustomerSearchGram
from crm.search import customer_search_q, grams_of, number_prefix
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/kingadmin/crm/customer/"


def found(term: str) -> list[str]:
    return sorted(
        Customer.objects.filter(customer_search_q(term)).values_list("name", flat=True)
    )


def listed(client, term: str) -> list[str]:
    response = client.get(URL, {"q": term})
    assert response.status_code == 200
    return sorted(row.obj.name for row in response.context["rows"])


@pytest.fixture
def people():
    CustomerFactory(name="张伟", qq="771234567", phone="13800138000", qq_name="")
    CustomerFactory(name="欧阳娜娜", qq="12345678", phone="13912345678", qq_name="娜娜")
    CustomerFactory(name="李雷", qq="900001", phone=None, qq_name="Lei Li 1990")
    CustomerFactory(name="王五", qq=None, phone="01012345678", qq_name="")


def test_grams_are_the_letters_and_pairs_of_each_word_folded():
    assert grams_of("张伟", "") == {"张", "伟", "张伟"}
    assert grams_of("Ｌｅｉ Li", None) == {"l", "e", "i", "le", "ei", "li"}


@pytest.mark.parametrize(
    ("term", "digits"),
    [
        ("138", "138"),
        ("138-0013", "1380013"),
        ("１３８ ００１３", "1380013"),
        ("+86 138 0013", "1380013"),
        ("0086 13800138000", "13800138000"),
        ("(010) 1234", "0101234"),
        ("13", None),
        ("张伟", None),
        ("138a", None),
        ("", None),
    ],
)
def test_a_number_term_is_its_digits(term, digits):
    assert number_prefix(term) == digits


def test_any_prefix_of_a_phone_number_finds_it(people):
    assert found("138") == ["张伟"]
    assert found("1380013") == ["张伟"]
    assert found("138-0013-8000") == ["张伟"]
    assert found("+86 139 1234") == ["欧阳娜娜"]
    assert found("010-1234") == ["王五"]
    assert found("1390") == []


def test_any_prefix_of_a_qq_number_finds_it(people):
    assert found("7712") == ["张伟"]
    assert found("900001") == ["李雷"]
    assert found("123") == ["欧阳娜娜"]  # its QQ 12345678


def test_a_prefix_ending_in_nines_is_a_range_that_carries(people):
    CustomerFactory(name="九", qq="1999123", phone=None)
    CustomerFactory(name="二", qq="2000123", phone=None)
    assert found("1999") == ["九"]
    assert found("199") == ["九", "李雷"]  # and a nickname with "1990"
    assert found("999") == []


def test_part_of_a_name_or_nickname_finds_it(people):
    assert found("张") == ["张伟"]
    assert found("张伟") == ["张伟"]
    assert found("阳娜") == ["欧阳娜娜"]  # the middle of a name
    assert found("娜") == ["欧阳娜娜"]
    assert found("lei") == ["李雷"]  # the nickname, any case
    assert found("LI 199") == ["李雷"]  # every word, in name or nickname
    assert found("张三") == []
    assert found("伟张") == []


def test_the_list_page_searches_with_it(admin_client, people):
    assert listed(admin_client, "138 0013") == ["张伟"]
    assert listed(admin_client, "娜娜") == ["欧阳娜娜"]
    assert listed(admin_client, "%") == []


def test_a_renamed_customer_is_found_by_its_new_name_only(people):
    customer = Customer.objects.get(name="张伟")
    customer.name = "赵六"
    customer.save()
    assert found("张伟") == []
    assert found("赵六") == ["赵六"]


def test_a_save_that_keeps_the_name_costs_no_index_query(
    people, django_assert_num_queries
):
    customer = Customer.objects.get(name="张伟")
    customer.notes = "called back"
    with django_assert_num_queries(1):  # the UPDATE only
        customer.save()
    customer.qq_name = "伟哥"
    # UPDATE, then in a savepoint (2 queries): the old grams out, the new in.
    with django_assert_num_queries(5):
        customer.save()
    assert found("伟哥") == ["张伟"]


def test_customers_written_in_bulk_are_indexed(django_user_model):
    from accounts.models import Role
    from crm.demo_data import ROLE_SALES
    from tests.factories import CourseFactory

    CourseFactory()
    sales = UserFactory()
    sales.roles.add(Role.objects.get_or_create(name=ROLE_SALES)[0])
    generate_customers(30, seed=7)
    every = Customer.objects.count()
    one = Customer.objects.first()
    assert one.name and found(one.name[:2]).count(one.name) >= 1
    assert CustomerSearchGram.objects.values("customer").distinct().count() == every


def test_the_reindex_command_rebuilds_the_index(people):
    before = sorted(CustomerSearchGram.objects.values_list("customer", "gram"))
    CustomerSearchGram.objects.all().delete()
    assert found("张伟") == []
    call_command("reindex_customer_search", stdout=io.StringIO())
    after = sorted(CustomerSearchGram.objects.values_list("customer", "gram"))
    assert after == before
    assert found("张伟") == ["张伟"]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables are scanned whole; ask what the indexes serve.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("term", "indexes"),
    [
        (
            "1380013",
            {
                "sqlite": ("(phone>? AND phone<?)", "(qq>? AND qq<?)"),
                "postgresql": ("customer_phone_unique", "customer_qq_unique"),
            },
        ),
        ("张伟", {"sqlite": ("search_gram_idx",), "postgresql": ("search_gram_idx",)}),
    ],
)
def test_searches_are_served_by_indexes(people, term, indexes):
    plan = _plan(Customer.objects.filter(customer_search_q(term)))
    for index in indexes[connection.vendor]:
        assert index in plan, plan
    assert "SCAN crm_customer\n" not in plan + "\n" and "Seq Scan" not in plan, plan


@pytest.fixture
def common_letters(monkeypatch):
    """Make every gram two customers share "common" (see common_threshold)."""
    monkeypatch.setattr(search, "common_threshold", lambda: 2)


def pks(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("term", ["张", "张 伟", "欧阳娜", "娜 lei"])
def test_a_common_name_finds_the_same_rows_page_by_page(people, common_letters, term):
    CustomerFactory(name="张伟伟", qq_name="娜娜 Lei")
    CustomerFactory(name="欧阳娜", qq_name="lei")
    CustomerFactory(name="张三", qq_name="")
    condition = customer_search_q(term)
    for order in (("-created_at", "-pk"), ("name", "pk")):
        every = pks(Customer.objects.filter(condition).order_by(*order))
        assert every, term
        one_by_one = [
            pk
            for n in range(len(every) + 1)
            for pk in pks(
                Customer.objects.filter(condition).order_by(*order)[n : n + 1]
            )
        ]
        assert one_by_one == every
    assert found(term) == sorted(
        Customer.objects.filter(pk__in=every).values_list("name", flat=True)
    )


def test_a_sorted_page_of_a_common_name_probes_rows_a_count_reads_ids(
    people, common_letters
):
    CustomerFactory(name="张三")
    condition = customer_search_q("张")
    page = Customer.objects.filter(condition).order_by("-created_at")[:25]
    count = Customer.objects.filter(condition).order_by().values("pk")[:10_001]
    unsorted = Customer.objects.filter(condition).order_by()
    assert "EXISTS" in str(page.query)
    for query in (count.query, unsorted.query):
        assert "EXISTS" not in str(query)
        assert "crm_customersearchgram" in str(query)


def test_a_rare_name_or_a_number_is_looked_up_by_its_ids(people, common_letters):
    for term in ("欧阳", "138"):  # one customer has 欧阳; numbers never probe
        page = Customer.objects.filter(customer_search_q(term)).order_by("name")[:25]
        assert "EXISTS" not in str(page.query)


def test_the_list_page_shows_a_common_names_rows(admin_client, people, common_letters):
    CustomerFactory(name="张三")
    assert listed(admin_client, "张") == ["张三", "张伟"]


def test_a_gram_is_common_from_ten_times_the_root_of_the_customers(
    people, django_assert_num_queries
):
    highest = Customer.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert search.common_threshold() == max(1, math.isqrt(highest) * 10)
    with django_assert_num_queries(0):  # kept for a few minutes
        search.common_threshold()
