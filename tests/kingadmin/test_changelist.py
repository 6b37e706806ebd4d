"""The list page: options, filters, search, sort, pages, hostile parameters."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.models import Customer
from tests.factories import CourseFactory, CustomerFactory, FollowUpFactory, UserFactory
from tests.sql_checks import assert_password_never_filters_or_sorts

pytestmark = pytest.mark.django_db

URL = "/kingadmin/crm/customer/"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def names(response) -> list[str]:
    return [row.obj.name for row in response.context["rows"]]


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_list_shows_choice_labels_fk_names_and_the_qq_link(admin_client):
    CustomerFactory(
        name="Wang",
        qq="123456789",
        source=Customer.Source.BAIDU_ADS,
        consult_course=CourseFactory(name="Python"),
        consultant=UserFactory(display_name="Sales A"),
    )
    html = admin_client.get(URL).content.decode()
    assert "Baidu ads" in html and "baidu_ads" not in html.split("<tbody>")[1]
    assert "Python" in html and "Sales A" in html
    assert 'href="tencent://message/?uin=123456789"' in html


def test_data_in_cells_is_escaped(admin_client):
    CustomerFactory(name="<script>alert(1)</script>")
    html = admin_client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_choices_filter_keeps_only_matching_rows(admin_client):
    CustomerFactory(name="From QQ", source=Customer.Source.QQ_GROUP)
    CustomerFactory(name="From Zhihu", source=Customer.Source.ZHIHU)
    response = admin_client.get(URL, {"source": "zhihu"})
    assert names(response) == ["From Zhihu"]


def test_foreign_key_and_boolean_like_filters(admin_client, user_with):
    # The consultant filter offers the members of the sales role.
    alice = user_with("crm.view_own_customers")
    bob = user_with("crm.view_own_customers")
    CustomerFactory(name="Alice's", consultant=alice)
    CustomerFactory(name="Bob's", consultant=bob)
    assert names(admin_client.get(URL, {"consultant": alice.pk})) == ["Alice's"]
    # A pk that is not offered, or not a number, is ignored and reported.
    response = admin_client.get(URL, {"consultant": "abc"})
    assert sorted(names(response)) == ["Alice's", "Bob's"]


def test_nullable_foreign_key_filter_offers_empty(admin_client):
    CustomerFactory(name="No course", consult_course=None)
    CustomerFactory(name="Has course")
    response = admin_client.get(URL, {"consult_course": "__empty__"})
    assert names(response) == ["No course"]


@pytest.mark.parametrize(
    ("created_utc", "shown"),
    [
        (datetime(2026, 3, 14, 15, 59, 59), False),  # 23:59:59 on the 14th locally
        (datetime(2026, 3, 14, 16, 0, 0), True),  # 00:00 on the 15th locally
        (datetime(2026, 3, 15, 15, 59, 59), True),
        (datetime(2026, 3, 15, 16, 0, 0), False),
    ],
)
def test_custom_date_range_uses_local_calendar_days(admin_client, created_utc, shown):
    CustomerFactory(name="Edge", created_at=created_utc.replace(tzinfo=ZoneInfo("UTC")))
    response = admin_client.get(
        URL, {"created_at__since": "2026-03-15", "created_at__until": "2026-03-15"}
    )
    assert (names(response) == ["Edge"]) is shown


def test_today_preset_on_a_datetime_field(admin_client):
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    CustomerFactory(name="Today", created_at=midnight)
    CustomerFactory(name="Yesterday", created_at=midnight - timedelta(seconds=1))
    assert names(admin_client.get(URL, {"created_at": "today"})) == ["Today"]


def test_reversed_date_range_gives_a_message_not_an_error(admin_client):
    CustomerFactory(name="Any")
    response = admin_client.get(
        URL, {"created_at__since": "2026-03-15", "created_at__until": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()
    assert names(response) == ["Any"]


def test_search_is_or_over_fields_and_and_over_words(admin_client):
    CustomerFactory(name="Wang Wei", qq_name="ww")
    CustomerFactory(name="Li Lei", qq_name="wang fan")
    CustomerFactory(name="Zhang San", qq_name="zs")
    assert sorted(names(admin_client.get(URL, {"q": "wang"}))) == [
        "Li Lei",
        "Wang Wei",
    ]
    assert names(admin_client.get(URL, {"q": "wang wei"})) == ["Wang Wei"]


def test_search_across_a_foreign_key_path(admin_client):
    course = CourseFactory(name="Golang")
    CustomerFactory(name="Gopher", consult_course=course)
    CustomerFactory(name="Pythonista")
    # FollowUp list searches customer__name.
    FollowUpFactory(customer=Customer.objects.get(name="Gopher"), content="x")
    response = admin_client.get("/kingadmin/crm/customerfollowup/", {"q": "Goph"})
    assert [row.obj.customer.name for row in response.context["rows"]] == ["Gopher"]


def test_sort_toggles_and_appends_pk_for_a_stable_order(admin_client):
    for name in ("b", "a", "c"):
        CustomerFactory(name=name)
    response = admin_client.get(URL, {"o": "name_link"})
    assert names(response) == ["a", "b", "c"]
    cl = response.context["cl"]
    assert cl.ordering[-1] == "-pk"
    name_column = next(c for c in cl.columns if c.name == "name_link")
    assert "o=-name_link" in cl.sort_url(name_column)
    assert names(admin_client.get(URL, {"o": "-name_link"})) == ["c", "b", "a"]


def test_pagination_keeps_filters_search_and_sort_and_shows_the_total(admin_client):
    for n in range(30):
        CustomerFactory(name=f"Lead {n:02d}", source=Customer.Source.ZHIHU)
    CustomerFactory(name="Other", source=Customer.Source.OTHER)
    params = {"source": "zhihu", "o": "name_link", "q": "Lead", "per_page": "10"}
    response = admin_client.get(URL, params)
    cl = response.context["cl"]
    assert cl.result_count == 30 and cl.num_pages == 3
    assert "30 results" in response.content.decode()
    link = cl.page_url(2)
    for part in ("source=zhihu", "o=name_link", "q=Lead", "per_page=10", "p=2"):
        assert part in link
    page2 = admin_client.get(URL + link)
    assert names(page2) == [f"Lead {n:02d}" for n in range(10, 20)]


def test_page_range_is_elided():
    from kingadmin.changelist import elided_page_range

    assert list(elided_page_range(10, 20)) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert list(elided_page_range(1, 5)) == [1, 2, 3, 4, 5]


def test_count_is_capped_and_deep_pages_are_bounded(admin_client, monkeypatch):
    from crm.kingadmin import CustomerAdmin

    monkeypatch.setattr(CustomerAdmin, "count_limit", 20)
    for n in range(25):
        CustomerFactory(name=f"L{n:02d}")
    response = admin_client.get(URL, {"per_page": "10", "p": "99"})
    cl = response.context["cl"]
    assert cl.count_capped and cl.num_pages == 2 and cl.page_num == 2
    assert "More than 20 results" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"consultant__password__startswith": "pbkdf2"},
        {"consultant__password": "x"},
        {"o": "consultant__password"},
        {"o": "-notes"},
        {"o": "'; drop table crm_customer; --"},
        {"p": "-1"},
        {"p": "1e9"},
        {"p": "999999999999999999999999"},
        {"per_page": "100000"},
        {"per_page": "-5"},
        {"source": "not-a-choice"},
        {"created_at": "forever"},
        {"created_at__since": "2026-13-45"},
        {"created_at__until": "99999-01-01"},
        {"q": "\x00"},
        {"status__in": "enrolled"},
        {"_selected_action": "1"},
    ],
)
def test_hostile_query_strings_give_the_list_without_them(
    admin_client, params, django_assert_max_num_queries
):
    CustomerFactory(name="Visible", notes="secret notes")
    with django_assert_max_num_queries(20) as captured:
        response = admin_client.get(URL, params)
    assert response.status_code == 200
    assert names(response) == ["Visible"]
    assert_password_never_filters_or_sorts(captured.captured_queries)
    assert not [q for q in captured.captured_queries if "drop table" in q["sql"]]


def test_search_wildcards_are_literal_and_long_terms_are_cut(admin_client):
    CustomerFactory(name="100% sure")
    CustomerFactory(name="Other")
    assert names(admin_client.get(URL, {"q": "%" * 1000})) == []
    assert names(admin_client.get(URL, {"q": "0%"})) == ["100% sure"]
    assert names(admin_client.get(URL, {"q": "_"})) == []


def test_ignored_parameters_are_reported_on_the_page(admin_client):
    response = admin_client.get(URL, {"consultant__password__startswith": "x"})
    assert "These parameters were ignored" in response.content.decode()
    assert response.context["cl"].ignored == ["consultant__password__startswith"]


def test_queries_do_not_grow_with_page_size_or_rows(
    admin_client, django_assert_max_num_queries
):
    CustomerFactory.create_batch(3)
    with django_assert_max_num_queries(50) as small:
        admin_client.get(URL, {"per_page": "10"})
    CustomerFactory.create_batch(60, consultant=UserFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(URL, {"per_page": "50"})
    assert len(response.context["rows"]) == 50


def test_export_csv_streams_the_filtered_sorted_list(admin_client):
    CustomerFactory(name="=cmd|' /C calc'!A0", source=Customer.Source.ZHIHU)
    CustomerFactory(name="Plain", source=Customer.Source.ZHIHU)
    CustomerFactory(name="Filtered out", source=Customer.Source.OTHER)
    params = {"format": "csv", "source": "zhihu", "o": "name_link"}
    response = admin_client.get("/kingadmin/crm/customer/export/", params)
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Name,QQ,Phone,Source")
    assert lines[1].startswith("Plain,") or lines[2].startswith("Plain,")
    assert "'=cmd" in text
    assert "Filtered out" not in text
    assert "Zhihu" in text


def test_export_xlsx_and_unknown_format(admin_client):
    from io import BytesIO

    import openpyxl

    CustomerFactory(name="Excel me")
    response = admin_client.get("/kingadmin/crm/customer/export/", {"format": "xlsx"})
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.values)
    assert rows[0][0] == "Name" and rows[1][0] == "Excel me"
    exe = admin_client.get("/kingadmin/crm/customer/export/", {"format": "exe"})
    assert exe.status_code == 404


def test_index_lists_apps_and_models(admin_client):
    html = admin_client.get("/kingadmin/").content.decode()
    assert "/kingadmin/crm/customer/" in html
    assert "/kingadmin/accounts/role/" in html


def test_shanghai_is_the_site_time_zone():
    assert str(timezone.get_current_timezone()) == str(SHANGHAI)
