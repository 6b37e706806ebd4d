"""Personal data (PIPL): ID numbers masked, every full view recorded."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile

from crm.models import Customer, EnrollmentDocument, PersonalDataAccess
from crm.privacy import mask_id_number
from kingadmin.history import log_change, snapshot
from kingadmin.models import ChangeLog
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ID = "11010119900307123X"
MASKED = "110101********123X"


def user_with(*codenames, **kwargs):
    role = RoleFactory(permissions=Permission.objects.filter(codename__in=codenames))
    return UserFactory(roles=[role], **kwargs)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (ID, MASKED),
        ("110101199003071234", "110101********1234"),
        ("G12345678", "*******78"),
        ("", ""),
        (None, ""),
        ("1", "*"),
    ],
)
def test_id_numbers_keep_only_the_first_six_and_last_four(value, masked):
    assert mask_id_number(value) == masked


def test_sales_see_the_number_masked_and_cannot_post_a_new_one(client):
    sales = user_with("view_own_customers", "change_own_customers")
    customer = CustomerFactory(consultant=sales, id_number=ID)
    client.force_login(sales)
    url = f"/kingadmin/crm/customer/{customer.pk}/change/"
    html = client.get(url).content.decode()
    assert MASKED in html and ID not in html
    assert 'name="id_number"' not in html
    client.post(
        url,
        {
            "name": "Changed",
            "qq": customer.qq,
            "phone": customer.phone,
            "source": customer.source,
            "id_number": "110101199003071234",
            "_save": "",
        },
    )
    customer.refresh_from_db()
    assert customer.name == "Changed" and customer.id_number == ID
    assert not PersonalDataAccess.objects.exists()


def test_a_full_view_is_recorded_and_listed_in_the_customers_history(client):
    manager = user_with("view_customer", "change_customer", "view_id_numbers")
    owner = user_with("view_own_customers")
    customer = CustomerFactory(consultant=owner, id_number=ID, name="李雷")
    client.force_login(manager)
    html = client.get(f"/kingadmin/crm/customer/{customer.pk}/change/").content
    assert ID in html.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.customer, access.kind) == (
        manager,
        customer,
        "id_number",
    )
    # The owner sees on the history page who saw the number.
    client.force_login(owner)
    history = client.get(f"/kingadmin/crm/customer/{customer.pk}/history/")
    table = history.content.decode()
    assert "personal-data-accesses" in table and str(manager) in table
    assert ID not in table


def test_the_change_history_never_keeps_a_full_number():
    customer = CustomerFactory(id_number="110101199003071234")
    before = snapshot(customer, ["id_number"])
    Customer.objects.filter(pk=customer.pk).update(id_number=ID)
    customer.refresh_from_db()
    log_change(UserFactory(), customer, before, ["id_number"])
    entry = ChangeLog.objects.get()
    assert entry.changes[0]["old"] == "110101********1234"
    assert entry.changes[0]["new"] == MASKED


def test_exports_mask_id_numbers(client, settings):
    """A list column of a masked field exports masked (here through the admin)."""
    from kingadmin.columns import Column
    from kingadmin.sites import site

    customer = CustomerFactory(id_number=ID)
    admin = site.get_model_admin(Customer)
    column = Column.build(admin, "id_number")
    assert column.text(customer) == MASKED
    assert column.value(customer) == MASKED


@pytest.fixture
def submitted():
    beijing = BranchFactory(name="北京")
    enrollment = EnrollmentFactory(
        customer=CustomerFactory(id_number=ID),
        class_list=ClassListFactory(branch=beijing),
        state="submitted",
    )
    document = EnrollmentDocument.objects.create(
        enrollment=enrollment,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="id.pdf"),
        original_name="身份证.pdf",
        size=15,
        content_type="application/pdf",
    )
    return enrollment, document, beijing


def test_reviewers_without_the_rule_see_a_masked_number_and_contract(client, submitted):
    enrollment, _document, beijing = submitted
    reviewer = user_with("review_enrollments", campus=beijing)
    client.force_login(reviewer)
    html = client.get(f"/crm/enrollments/{enrollment.pk}/").content.decode()
    assert MASKED in html and ID not in html
    assert not PersonalDataAccess.objects.exists()


def test_reviewers_with_the_rule_see_it_whole_and_the_view_is_recorded(
    client, submitted
):
    enrollment, document, beijing = submitted
    reviewer = user_with("review_enrollments", "view_id_numbers", campus=beijing)
    client.force_login(reviewer)
    html = client.get(f"/crm/enrollments/{enrollment.pk}/").content.decode()
    assert ID in html
    response = client.get(f"/crm/enrollments/{enrollment.pk}/documents/{document.pk}/")
    assert response.status_code == 200
    kinds = sorted(
        PersonalDataAccess.objects.filter(
            user=reviewer, customer=enrollment.customer
        ).values_list("kind", flat=True)
    )
    assert kinds == ["id_document", "id_number"]
    assert PersonalDataAccess.objects.get(kind="id_document").document == document


def test_the_access_record_is_read_only_in_kingadmin(admin_client, submitted):
    enrollment, _document, _beijing = submitted
    access = PersonalDataAccess.objects.create(
        user=UserFactory(), customer=enrollment.customer, kind="id_number"
    )
    assert admin_client.get("/kingadmin/crm/personaldataaccess/").status_code == 200
    assert admin_client.get("/kingadmin/crm/personaldataaccess/add/").status_code == 403
    url = f"/kingadmin/crm/personaldataaccess/{access.pk}/"
    assert admin_client.post(url + "change/", {"path": "/x"}).status_code == 403
    assert admin_client.post(url + "delete/", {}).status_code == 403
    assert PersonalDataAccess.objects.filter(pk=access.pk, path="").exists()
