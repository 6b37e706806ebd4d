"""The API's resources: the rows of the caller's pages, writes as the pages do them."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import Notification
from crm.models import (
    ClassList,
    Customer,
    CustomerFollowUp,
    Enrollment,
    LeadForm,
    LeadSubmission,
    Payment,
)
from tests.factories import ClassListFactory, CustomerFactory

CUSTOMERS = "/api/v1/customers/"
FOLLOW_UPS = "/api/v1/follow-ups/"
LEADS = "/api/v1/leads/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def all_ids(api, path) -> set[int]:
    """Every id of a collection, page after page (cursor links)."""
    found, url = set(), f"{path}?page_size=200"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        found |= {row["id"] for row in body["results"]}
        url = body["next"]
    return found


def private_of(user):
    return Customer.objects.filter(consultant=user, pool=Customer.Pool.PRIVATE)


# -- customers


def test_sales_list_their_private_pool_only(demo, api_for):
    api = api_for(demo["sales_a"])
    expected = set(private_of(demo["sales_a"]).values_list("pk", flat=True))
    assert expected
    assert all_ids(api, CUSTOMERS) == expected


def test_a_manager_lists_every_customer(demo, api_for):
    api = api_for(demo["manager"])
    assert all_ids(api, CUSTOMERS) == set(Customer.objects.values_list("pk", flat=True))


def test_another_sales_customer_is_not_found(demo, api_for):
    theirs = private_of(demo["sales_b"]).first()
    api = api_for(demo["sales_a"])
    assert api.get(f"{CUSTOMERS}{theirs.pk}/").status_code == 404
    mine = private_of(demo["sales_a"]).first()
    body = api.get(f"{CUSTOMERS}{mine.pk}/").json()
    assert body["name"] == mine.name
    assert body["consultant"] == {"id": demo["sales_a"].pk, "name": "销售A"}
    assert "id_number" not in body


def test_filters_and_search_are_the_list_pages(demo, api_for):
    sales = demo["sales_a"]
    mine = private_of(sales)
    source = mine.first().source
    api = api_for(sales)
    expected = set(mine.filter(source=source).values_list("pk", flat=True))
    assert ids(api.get(CUSTOMERS, {"source": source, "page_size": 200})) == expected
    # Any part of a phone number, as the list's search box finds it.
    customer = mine.exclude(phone=None).first()
    found = ids(api.get(CUSTOMERS, {"q": customer.phone[:7], "page_size": 200}))
    assert customer.pk in found
    assert found <= set(mine.values_list("pk", flat=True))
    # A value the filter does not offer is ignored, as on the page.
    assert ids(api.get(CUSTOMERS, {"source": "<script>", "page_size": 200})) == set(
        mine.values_list("pk", flat=True)
    )


def test_a_new_customer_belongs_to_the_caller(demo, api_for):
    api = api_for(demo["sales_a"])
    response = api.post(
        CUSTOMERS,
        {"name": "接口线索", "phone": "139-0000-1234", "source": "website"},
    )
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.phone == "13900001234"
    assert customer.consultant == demo["sales_a"]
    assert response.json()["phone"] == "13900001234"


def test_a_duplicate_is_a_409_naming_the_owner_who_is_told(demo, api_for):
    theirs = private_of(demo["sales_b"]).exclude(phone=None).first()
    api = api_for(demo["sales_a"])
    before = Customer.objects.count()
    response = api.post(
        CUSTOMERS, {"name": "重复", "phone": theirs.phone, "source": "website"}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["owner"] == "销售B"
    assert body["customer"] == theirs.pk
    assert "销售B" in body["detail"]
    assert Customer.objects.count() == before
    assert Notification.objects.filter(
        recipient=demo["sales_b"], text__contains=theirs.name
    ).exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": "x", "phone": "12345"},
        {"name": "x", "phone": "13900001111", "source": "tv"},
        {"name": "x", "phone": "13900001111", "email": "not-mail"},
        {"name": "x" * 500, "phone": "13900001111"},
        {"name": "x", "phone": "13900001111", "consult_course": 10**12},
        {"name": "x", "phone": "13900001111", "status": "enrolled", "pool": "public"},
    ],
)
def test_bad_input_is_a_400_and_stores_nothing(demo, api_for, data):
    api = api_for(demo["sales_a"])
    before = Customer.objects.count()
    response = api.post(CUSTOMERS, data)
    if "status" in data:  # read-only fields are ignored, not taken
        assert response.status_code == 201
        customer = Customer.objects.get(pk=response.json()["id"])
        assert customer.status == Customer.Status.NOT_ENROLLED
        assert customer.pool == Customer.Pool.PRIVATE
        return
    assert response.status_code == 400, response.content
    assert response.json()
    assert Customer.objects.count() == before


def test_adding_needs_the_pages_add_right_too(demo, api_for, django_user_model):
    teacher = demo["teacher"]
    teacher.roles.first().permissions.add(
        *Permission.objects.filter(codename="api_customers")
    )
    api = api_for(django_user_model.objects.get(pk=teacher.pk))
    response = api.post(CUSTOMERS, {"name": "x", "phone": "13900002222"})
    assert response.status_code == 403
    assert not Customer.objects.filter(phone="13900002222").exists()


# -- follow-ups


def test_follow_ups_are_those_of_the_callers_customers(demo, api_for):
    sales = demo["sales_a"]
    api = api_for(sales)
    expected = set(
        CustomerFollowUp.objects.filter(customer__in=private_of(sales)).values_list(
            "pk", flat=True
        )
    )
    assert expected
    assert all_ids(api, FOLLOW_UPS) == expected
    customer = private_of(sales).filter(followups__isnull=False).first()
    assert ids(api.get(FOLLOW_UPS, {"customer": customer.pk, "page_size": 200})) == set(
        customer.followups.values_list("pk", flat=True)
    )
    assert ids(api.get(FOLLOW_UPS, {"customer": "abc"})) == set()


def test_the_owner_adds_a_follow_up_and_nobody_else(demo, api_for):
    mine = private_of(demo["sales_a"]).first()
    theirs = private_of(demo["sales_b"]).first()
    api = api_for(demo["sales_a"])
    response = api.post(
        FOLLOW_UPS,
        {"customer": mine.pk, "content": "电话回访", "intention": "2_weeks"},
    )
    assert response.status_code == 201, response.content
    followup = CustomerFollowUp.objects.get(pk=response.json()["id"])
    assert followup.consultant == demo["sales_a"]
    assert followup.customer == mine
    mine.refresh_from_db()
    assert mine.last_followup_at == followup.created_at
    before = CustomerFollowUp.objects.count()
    refused = api.post(
        FOLLOW_UPS, {"customer": theirs.pk, "content": "x", "intention": "2_weeks"}
    )
    assert refused.status_code == 400
    assert "customer" in refused.json()
    assert CustomerFollowUp.objects.count() == before


def test_a_manager_may_not_follow_up_a_lead_they_do_not_own(demo, api_for):
    lead = private_of(demo["sales_b"]).first()
    api = api_for(demo["manager"])
    response = api.post(
        FOLLOW_UPS, {"customer": lead.pk, "content": "x", "intention": "2_weeks"}
    )
    assert response.status_code == 400
    assert "销售B" in str(response.json())


# -- reads


def test_a_teacher_reads_the_classes_they_teach_and_their_sessions(demo, api_for):
    teacher = demo["teacher"]
    api = api_for(teacher)
    taught = set(
        ClassList.objects.filter(teachers=teacher).values_list("pk", flat=True)
    )
    assert taught
    assert all_ids(api, "/api/v1/classes/") == taught
    sessions = api.get("/api/v1/sessions/", {"page_size": 200}).json()["results"]
    assert sessions
    assert {row["class_list"] for row in sessions} <= taught
    other = ClassListFactory()
    assert api.get(f"/api/v1/classes/{other.pk}/").status_code == 404


def test_sales_read_the_enrollments_and_payments_of_their_customers(demo, api_for):
    sales = demo["sales_a"]
    api = api_for(sales)
    enrollments = all_ids(api, "/api/v1/enrollments/")
    assert enrollments == set(
        Enrollment.objects.filter(customer__in=private_of(sales)).values_list(
            "pk", flat=True
        )
    ) | set(Enrollment.objects.filter(consultant=sales).values_list("pk", flat=True))
    payments = all_ids(api, "/api/v1/payments/")
    assert payments <= set(
        Payment.objects.filter(enrollment__in=enrollments).values_list("pk", flat=True)
    )


# -- pages by cursor


def test_pages_neither_repeat_nor_skip_rows_while_leads_arrive(demo, api_for):
    manager = demo["manager"]
    api = api_for(manager)
    first = api.get(CUSTOMERS, {"page_size": 5}).json()
    # Leads arriving meanwhile go before the first page, not into the next.
    CustomerFactory.create_batch(3, consultant=manager)
    second = api.get(first["next"]).json()
    seen = [row["id"] for row in first["results"] + second["results"]]
    expected = list(
        Customer.objects.filter(pk__lte=first["results"][0]["id"])
        .order_by("-pk")
        .values_list("pk", flat=True)[:10]
    )
    assert seen == expected


def test_a_list_costs_the_same_queries_whatever_its_size(
    demo, api_for, django_assert_max_num_queries
):
    manager = demo["manager"]
    api = api_for(manager)
    api.get(CUSTOMERS)  # "last used" is written once
    with django_assert_max_num_queries(9):
        small = api.get(CUSTOMERS, {"page_size": 5})
    CustomerFactory.create_batch(30, consultant=manager)
    with django_assert_max_num_queries(9):
        large = api.get(CUSTOMERS, {"page_size": 200})
    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) > 30


# -- lead capture


@pytest.fixture
def lead_form(demo):
    form = LeadForm.objects.filter(is_active=True).first()
    assert form is not None
    return form


def test_a_lead_sent_through_a_form_becomes_a_lead_then_a_follow_up(
    demo, api_for, lead_form, django_capture_on_commit_callbacks
):
    api = api_for(demo["manager"])
    data = {
        "form": lead_form.token,
        "name": "百度访客",
        "phone": "13700007777",
        "utm_source": "baidu",
        "utm_campaign": "spring",
    }
    response = api.post(LEADS, data)
    assert response.status_code == 202, response.content
    assert response.json() == {"received": True}
    customer = Customer.objects.get(phone="13700007777")
    assert customer.source == lead_form.source
    submission = LeadSubmission.objects.get(customer=customer)
    assert submission.outcome == LeadSubmission.Outcome.NEW
    assert submission.utm_source == "baidu"
    # Again: the same answer; the lead gets a follow-up.
    again = api.post(LEADS, {**data, "name": "又来了"})
    assert again.status_code == 202
    assert again.json() == {"received": True}
    assert Customer.objects.filter(phone="13700007777").count() == 1
    assert customer.followups.filter(content__contains=lead_form.name).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"form": "nope", "phone": "13700007777"}, "form"),
        ({"phone": "13700007777"}, "form"),
        ({"form": "<token>", "phone": "123"}, "phone"),
        ({"form": "<token>"}, "phone"),
    ],
)
def test_a_bad_lead_is_a_400_naming_the_field(demo, api_for, lead_form, data, field):
    api = api_for(demo["manager"])
    if data.get("form") == "<token>":
        data = {**data, "form": lead_form.token}
    before = Customer.objects.count()
    response = api.post(LEADS, data)
    assert response.status_code == 400
    assert field in response.json()
    assert Customer.objects.count() == before


def test_an_inactive_form_takes_no_lead(demo, api_for, lead_form):
    LeadForm.objects.filter(pk=lead_form.pk).update(is_active=False)
    api = api_for(demo["manager"])
    response = api.post(LEADS, {"form": lead_form.token, "phone": "13700007777"})
    assert response.status_code == 400
    assert not Customer.objects.filter(phone="13700007777").exists()


# -- the browser's session


def test_a_logged_in_browser_reads_and_posts_with_its_csrf_token(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo["sales_a"])
    assert client.get(CUSTOMERS).status_code == 200
    refused = client.post(
        CUSTOMERS,
        {"name": "x", "phone": "13900003333"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Customer.objects.filter(phone="13900003333").exists()


def test_without_credentials_the_answer_is_401_asking_for_a_token(db):
    response = Client().get(CUSTOMERS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_role_matrix_shows_the_api_rights_with_the_rest(demo):
    from accounts.models import Role
    from crm.demo_data import ROLE_SALES

    client = Client()
    client.force_login(demo["admin"])
    role = Role.objects.get(name=ROLE_SALES)
    matrix = client.get(f"/accounts/roles/{role.pk}/permissions/").context["matrix"]
    rows = {model.label: model for app in matrix.apps for model in app.models}
    customer = {choice.perm: choice for choice in rows["crm.customer"].custom}
    assert customer["crm.api_customers"].checked
    assert customer["crm.api_customers"].help.startswith("The customers of one's")
    tokens = {choice.perm: choice for choice in rows["api.apitoken"].custom}
    assert tokens["api.use_api"].checked
    assert not tokens["api.manage_api_tokens"].checked
