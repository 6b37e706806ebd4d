"""Add/change pages: read-only fields, filter_horizontal, save buttons, history."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import Role
from crm.models import Customer, Enrollment
from kingadmin.models import ChangeLog
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    MenuFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def customer_post(customer, **changes):
    """Return the POST data the change form sends for ``customer`` unchanged."""
    data = {
        "name": customer.name,
        "qq": customer.qq or "",
        "qq_name": customer.qq_name,
        "phone": customer.phone or "",
        "email": customer.email,
        "source": customer.source,
        "referral_from": customer.referral_from,
        "consult_course": customer.consult_course_id or "",
        "notes": customer.notes,
        "status": customer.status,
        "consultant": customer.consultant_id,
        "id_number": customer.id_number,
        "gender": customer.gender,
        "birthday": "",
        "emergency_contact": customer.emergency_contact,
        "emergency_phone": customer.emergency_phone or "",
        "_save": "",
    }
    data.update(changes)
    return data


def test_add_page_creates_the_object_and_records_history(
    admin_client, superuser, user_with
):
    course = CourseFactory(name="Linux")
    consultant = user_with("crm.view_own_customers")
    response = admin_client.post(
        "/kingadmin/crm/customer/add/",
        {
            "name": "New lead",
            "qq": "555 666 777",
            "phone": "",
            "source": "baidu_ads",
            "consult_course": course.pk,
            "status": "not_enrolled",
            "consultant": consultant.pk,
            "_save": "",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="New lead")
    assert customer.qq == "555666777" and customer.phone is None
    entry = ChangeLog.objects.get(object_id=str(customer.pk))
    assert entry.action == "add" and entry.user == superuser
    assert {
        "field": "qq",
        "label": "QQ",
        "old": "",
        "new": "555666777",
    } in entry.changes


def test_invalid_input_shows_field_errors_and_saves_nothing(admin_client):
    response = admin_client.post(
        "/kingadmin/crm/customer/add/",
        {"name": "Bad", "qq": "12ab", "phone": "", "source": "nope", "_save": ""},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"qq", "source", "consultant"} <= set(form.errors)
    assert "Please correct the errors below." in response.content.decode()
    assert not Customer.objects.filter(name="Bad").exists()


def test_readonly_field_is_shown_as_text_and_its_tampering_is_refused(admin_client):
    customer = CustomerFactory(name="Wang")
    url = f"/kingadmin/crm/customer/{customer.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'data-readonly-field="created_at"' in page
    assert 'type="hidden" name="created_at"' in page
    stored = customer.created_at
    response = admin_client.post(
        url, customer_post(customer, name="Changed", created_at="2000-01-01 00:00:00")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["created_at"]
    assert "read-only" in errors[0]
    assert "2000-01-01" in errors[0]
    customer.refresh_from_db()
    assert customer.name == "Wang" and customer.created_at == stored


def test_readonly_value_sent_back_unchanged_is_accepted(admin_client):
    customer = CustomerFactory(name="Wang")
    url = f"/kingadmin/crm/customer/{customer.pk}/change/"
    page = admin_client.get(url)
    hidden = page.context["form"]["created_at"].value()
    response = admin_client.post(
        url, customer_post(customer, name="Wang Wei", created_at=str(hidden))
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Wang Wei"


def test_readonly_foreign_key_tampering_names_both_values(admin_client):
    approver, intruder = (
        UserFactory(display_name="Boss"),
        UserFactory(display_name="Eve"),
    )
    enrollment = EnrollmentFactory(approved=True, approved_by=approver)
    url = f"/kingadmin/crm/enrollment/{enrollment.pk}/change/"
    data = {
        "customer": enrollment.customer_id,
        "class_list": enrollment.class_list_id,
        "consultant": enrollment.consultant_id,
        "state": enrollment.state,
        "contract_agreed": "on",
        "reject_reason": "",
        "created_at": enrollment.created_at.isoformat(),
        "approved_by": intruder.pk,
        "_save": "",
    }
    response = admin_client.post(url, data)
    error = response.context["form"].errors["approved_by"][0]
    assert "Boss" in error and "Eve" in error
    enrollment.refresh_from_db()
    assert enrollment.approved_by == approver


def test_filter_horizontal_saves_the_chosen_permissions_and_menus(admin_client):
    role = Role.objects.create(name="Sales")
    menu_a, menu_b = MenuFactory(name="A"), MenuFactory(name="B")
    view, add = Permission.objects.filter(
        codename__in=["view_customer", "add_customer"]
    ).order_by("codename")
    page = admin_client.get(f"/kingadmin/accounts/role/{role.pk}/change/")
    html = page.content.decode()
    assert "data-filter-horizontal" in html
    assert "kingadmin/js/filter_horizontal.js" in html
    response = admin_client.post(
        f"/kingadmin/accounts/role/{role.pk}/change/",
        {
            "name": "Sales",
            "menus": [menu_a.pk, menu_b.pk],
            "permissions": [view.pk, add.pk],
            "home": menu_a.pk,
            "_continue": "",
        },
    )
    assert response.status_code == 302
    assert response.url == f"/kingadmin/accounts/role/{role.pk}/change/"
    assert set(role.menus.all()) == {menu_a, menu_b}
    assert set(role.permissions.all()) == {view, add}
    entry = ChangeLog.objects.filter(object_id=str(role.pk)).first()
    changed = {c["field"]: c for c in entry.changes}
    assert changed["menus"]["old"] == "" and changed["menus"]["new"] == "A, B"


def test_save_and_add_another_goes_to_an_empty_form(admin_client):
    response = admin_client.post(
        "/kingadmin/crm/tag/add/", {"name": "hot", "_addanother": ""}
    )
    assert response.url == "/kingadmin/crm/tag/add/"
    response = admin_client.post(
        "/kingadmin/crm/tag/add/", {"name": "cold", "_save": ""}
    )
    assert response.url == "/kingadmin/crm/tag/"


def test_history_page_shows_who_changed_which_field_from_what_to_what(
    admin_client, superuser
):
    customer = CustomerFactory(name="Wang", source="qq_group")
    url = f"/kingadmin/crm/customer/{customer.pk}/change/"
    hidden = admin_client.get(url).context["form"]["created_at"].value()
    admin_client.post(
        url,
        customer_post(
            customer, name="Wang Wei", source="zhihu", created_at=str(hidden)
        ),
    )
    history = admin_client.get(f"/kingadmin/crm/customer/{customer.pk}/history/")
    html = history.content.decode()
    assert "Wang Wei" in html
    [entry] = history.context["entries"]
    assert entry.user == superuser
    changes = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changes == {"name": ("Wang", "Wang Wei"), "source": ("QQ group", "Zhihu")}
    assert "QQ group" in html and "Zhihu" in html


def test_delete_page_lists_related_objects_and_deletes_on_post(admin_client):
    customer = CustomerFactory(name="Gone soon")
    customer.followups.create(
        consultant=customer.consultant, content="call", intention="no_plan"
    )
    url = f"/kingadmin/crm/customer/{customer.pk}/delete/"
    page = admin_client.get(url)
    html = page.content.decode()
    assert "Gone soon" in html and "Follow-up" in html
    assert Customer.objects.filter(pk=customer.pk).exists()
    response = admin_client.post(url)
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert ChangeLog.objects.filter(
        action="delete", object_id=str(customer.pk)
    ).exists()


def test_protected_objects_block_the_delete_with_an_explanation(admin_client):
    enrollment = EnrollmentFactory()
    url = f"/kingadmin/crm/customer/{enrollment.customer_id}/delete/"
    html = admin_client.get(url).content.decode()
    assert "protected" in html
    admin_client.post(url)
    assert Customer.objects.filter(pk=enrollment.customer_id).exists()
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


def test_bulk_delete_asks_for_confirmation_listing_everything_then_deletes(
    admin_client,
):
    doomed = [CustomerFactory(name=f"Doomed {n}") for n in range(2)]
    doomed[0].followups.create(
        consultant=doomed[0].consultant, content="x", intention="no_plan"
    )
    kept = CustomerFactory(name="Kept")
    data = {"action": "delete_selected", "_selected_action": [c.pk for c in doomed]}
    confirm = admin_client.post("/kingadmin/crm/customer/", data)
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Doomed 0" in html and "Doomed 1" in html and "Follow-up" in html
    assert Customer.objects.count() == 3
    done = admin_client.post("/kingadmin/crm/customer/", {**data, "post": "yes"})
    assert done.status_code == 302
    assert list(Customer.objects.all()) == [kept]
    assert ChangeLog.objects.filter(action="delete").count() == 2


def test_undeclared_action_and_empty_selection_are_explained(admin_client):
    customer = CustomerFactory()
    response = admin_client.post(
        "/kingadmin/crm/customer/",
        {"action": "delete_everything", "_selected_action": [customer.pk]},
        follow=True,
    )
    assert "Unknown action." in response.content.decode()
    response = admin_client.post(
        "/kingadmin/crm/customer/", {"action": "delete_selected"}, follow=True
    )
    assert "Select at least one row" in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_list_editable_saves_changed_rows_and_logs_them(admin_client):
    first, second = (
        MenuFactory(name="First", order=1),
        MenuFactory(name="Second", order=2),
    )
    page = admin_client.get("/kingadmin/accounts/menu/")
    assert page.context["formset"] is not None
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": first.pk,
        "form-0-order": "5",
        "form-1-id": second.pk,
        "form-1-order": "2",
        "_save": "",
    }
    response = admin_client.post("/kingadmin/accounts/menu/", data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.order == 5
    assert ChangeLog.objects.filter(action="change", object_id=str(first.pk)).exists()
    assert not ChangeLog.objects.filter(object_id=str(second.pk)).exists()


def test_list_editable_cannot_create_rows_or_touch_foreign_ids(admin_client):
    menu = MenuFactory(name="Only", order=1)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-0-order": "9",
        "_save": "",
    }
    admin_client.post("/kingadmin/accounts/menu/", data)
    assert list(type(menu).objects.values_list("order", flat=True)) == [1]


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/kingadmin/crm/tag/add/", {"name": "x", "_save": ""}),
        ("/kingadmin/crm/customer/", {"action": "delete_selected"}),
        ("/i18n/setlang/", {"language": "en"}),
        ("/accounts/logout/", {}),
    ],
)
def test_every_post_needs_the_csrf_token(superuser, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert client.post(url, data).status_code == 403


def test_change_form_posts_with_the_csrf_token_work(superuser):
    from tests.factories import TagFactory

    tag = TagFactory(name="old")
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    page = client.get(f"/kingadmin/crm/tag/{tag.pk}/change/")
    token = page.context["csrf_token"]
    response = client.post(
        f"/kingadmin/crm/tag/{tag.pk}/change/",
        {"name": "new", "_save": "", "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.name == "new"


def test_history_never_holds_a_password_hash(admin_client):
    from accounts.models import User
    from kingadmin.history import log_change, snapshot

    user = User.objects.create_user("victim", password="Secret-pass-77")
    hashed = user.password
    admin_client.post(f"/kingadmin/accounts/user/{user.pk}/delete/")
    entry = ChangeLog.objects.get(action="delete", object_id=str(user.pk))
    assert hashed not in str(entry.changes)
    assert "password" not in {c["field"] for c in entry.changes}
    other = User.objects.create_user("other", password="Secret-pass-77")
    before = snapshot(other, ["password"])
    other.set_password("Another-pass-88")
    other.save()
    change = log_change(None, other, before, ["password"])
    assert change.changes == [
        {"field": "password", "label": "password", "old": "••••••", "new": "••••••"}
    ]
    assert other.password not in str(change.changes)
