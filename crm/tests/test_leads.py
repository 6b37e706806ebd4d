"""Scenarios 1, 3, 4 and 5: entering leads, duplicates, follow-ups, stale leads."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from crm.models import Customer, CustomerFollowUp
from crm.services import (
    DuplicateCustomer,
    customer_create,
)
from tests.concurrency import postgres_only, run_at_once
from tests.factories import CourseFactory, CustomerFactory, RoleFactory, UserFactory

SALES_PERMS = [
    "view_own_customers",
    "work_stale_customers",
    "change_own_customers",
    "add_customer",
    "view_course",
]


def sales_user(name):
    role = RoleFactory(
        name="Sales", permissions=Permission.objects.filter(codename__in=SALES_PERMS)
    )
    return UserFactory(username=name, display_name=name.title(), roles=[role])


def lead_form(**fields):
    data = {
        "name": "Zhang San",
        "qq": "",
        "phone": "",
        "source": "baidu_ads",
        "status": "not_enrolled",
        "_save": "",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_sales_enters_a_lead_with_normalised_numbers(client):
    sales_a = sales_user("sales_a")
    course = CourseFactory(name="Python")
    client.force_login(sales_a)
    form = client.get("/kingadmin/crm/customer/add/")
    assert form.context["form"]["consultant"].value() == sales_a.pk
    response = client.post(
        "/kingadmin/crm/customer/add/",
        lead_form(
            qq="１２３ 456 789",
            phone="+86 138-1234-5678",
            consult_course=course.pk,
            consultant=sales_a.pk,
            notes="Asked about the weekend class.",
        ),
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="Zhang San")
    assert (customer.qq, customer.phone) == ("123456789", "13812345678")
    assert customer.consultant == sales_a and customer.source == "baidu_ads"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [{"phone": "138 1234 5678"}, {"phone": "0086-13812345678"}, {"qq": "123-456-789"}],
)
def test_duplicate_lead_is_refused_naming_the_owner_who_is_notified(
    client, typed, django_capture_on_commit_callbacks
):
    sales_a, sales_d = sales_user("sales_a"), sales_user("sales_d")
    existing = CustomerFactory(
        name="Li Lei", qq="123456789", phone="13812345678", consultant=sales_a
    )
    client.force_login(sales_d)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/kingadmin/crm/customer/add/", lead_form(consultant=sales_d.pk, **typed)
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This lead already exists: customer “Li Lei”, owned by Sales_A." in html
    assert Customer.objects.count() == 1
    [note] = Notification.objects.filter(recipient=sales_a)
    assert "Sales_D" in note.text and "Li Lei" in note.text
    assert note.link == f"/crm/customers/{existing.pk}/"
    assert [m.to for m in mail.outbox] == [[sales_a.email]]
    assert "Li Lei" in mail.outbox[0].subject


@pytest.mark.django_db
def test_own_duplicate_is_refused_without_notifying_oneself(client):
    sales_a = sales_user("sales_a")
    CustomerFactory(qq="123456789", consultant=sales_a)
    client.force_login(sales_a)
    client.post(
        "/kingadmin/crm/customer/add/", lead_form(qq="123456789", consultant=sales_a.pk)
    )
    assert not Notification.objects.exists() and not mail.outbox


@pytest.mark.django_db
def test_service_refuses_duplicates_and_needs_an_identifier():
    owner = UserFactory()
    customer_create(consultant=owner, name="A", qq="123456789")
    with pytest.raises(DuplicateCustomer) as error:
        customer_create(consultant=UserFactory(), name="B", qq="123 456 789")
    assert error.value.existing.name == "A"
    assert Notification.objects.filter(recipient=owner).count() == 1


@pytest.mark.django_db
def test_follow_up_updates_the_last_follow_up_time(client):
    sales_c = sales_user("sales_c")
    customer = CustomerFactory(name="Linux lead", consultant=sales_c)
    client.force_login(sales_c)
    response = client.post(
        f"/crm/customers/{customer.pk}/followups/",
        {"content": "Called; not convinced.", "intention": "no_plan"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    followup = customer.followups.get()
    assert customer.last_followup_at == followup.created_at
    assert followup.consultant == sales_c and followup.intention == "no_plan"
    page = client.get(f"/crm/customers/{customer.pk}/").content.decode()
    assert "Called; not convinced." in page and "No plan to enrol yet" in page


@pytest.mark.django_db
def test_follow_up_form_errors_are_shown_and_nothing_is_saved(client):
    sales_c = sales_user("sales_c")
    customer = CustomerFactory(consultant=sales_c)
    client.force_login(sales_c)
    response = client.post(
        f"/crm/customers/{customer.pk}/followups/", {"content": "", "intention": "x"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"content", "intention"}
    assert not CustomerFollowUp.objects.exists()


@pytest.mark.django_db
def test_customer_page_shows_details_qq_link_timeline_and_payments(
    client, django_assert_max_num_queries
):
    from tests.factories import EnrollmentFactory, FollowUpFactory, PaymentFactory

    sales = sales_user("sales_a")
    customer = CustomerFactory(name="Kobe", qq="52013141", consultant=sales)
    for _ in range(3):
        FollowUpFactory(customer=customer)
    PaymentFactory(enrollment=EnrollmentFactory(customer=customer, consultant=sales))
    client.force_login(sales)
    with django_assert_max_num_queries(25) as few:
        html = client.get(f"/crm/customers/{customer.pk}/").content.decode()
    assert 'href="tencent://message/?uin=52013141"' in html
    assert html.count("Called, interested.") == 3 and "1000.00" in html
    for _ in range(10):
        FollowUpFactory(customer=customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/crm/customers/{customer.pk}/")


@pytest.mark.django_db
def test_other_sales_fresh_lead_is_403_and_missing_is_404(client):
    owner, other = sales_user("owner"), sales_user("other")
    fresh = CustomerFactory(consultant=owner, last_followup_at=timezone.now())
    client.force_login(other)
    assert client.get(f"/crm/customers/{fresh.pk}/").status_code == 403
    response = client.post(
        f"/crm/customers/{fresh.pk}/followups/",
        {"content": "x", "intention": "enrolled"},
    )
    assert response.status_code == 403
    assert client.get("/crm/customers/999999/").status_code == 404
    fresh.refresh_from_db()
    assert fresh.consultant == owner


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_sales_entering_the_same_lead_at_once_one_wins():
    sales_a, sales_d = UserFactory(), UserFactory()
    results = run_at_once(
        lambda: customer_create(consultant=sales_a, name="Race", phone="13900001111"),
        lambda: customer_create(consultant=sales_d, name="Race", phone="139-0000-1111"),
    )
    saved = [r for r in results if isinstance(r, Customer)]
    refused = [r for r in results if isinstance(r, DuplicateCustomer)]
    assert len(saved) == 1 and len(refused) == 1, results
    assert Customer.objects.filter(phone="13900001111").count() == 1
    assert refused[0].existing.pk == saved[0].pk


@pytest.mark.django_db
def test_customer_page_shows_the_balance_against_the_class_price(client):
    from decimal import Decimal

    from tests.factories import EnrollmentFactory, PaymentFactory

    sales = sales_user("sales_a")
    customer = CustomerFactory(consultant=sales)
    enrollment = EnrollmentFactory(customer=customer, consultant=sales)
    enrollment.class_list.course.price = Decimal("19800")
    enrollment.class_list.course.save()
    PaymentFactory(enrollment=enrollment, kind="deposit", amount=Decimal("2000"))
    PaymentFactory(enrollment=enrollment, kind="tuition", amount=Decimal("10000"))
    PaymentFactory(enrollment=enrollment, kind="refund", amount=Decimal("500"))
    client.force_login(sales)
    html = client.get(f"/crm/customers/{customer.pk}/").content.decode()
    assert "Price 19800.00 · paid 11500.00 · balance 8300.00" in html


@pytest.mark.django_db
def test_payments_are_not_added_in_kingadmin(client, superuser):
    """They are recorded on the account page, with their entry and receipt."""
    client.force_login(superuser)
    assert client.get("/kingadmin/crm/payment/add/").status_code == 403
