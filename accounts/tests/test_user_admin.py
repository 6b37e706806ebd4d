"""Users in kingadmin: accounts created and changed with a password."""

import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.views.debug import SafeExceptionReporterFilter

from accounts.models import User
from kingadmin.models import ChangeLog
from tests.factories import BranchFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/kingadmin/accounts/user/add/"
STRONG = "Kangaroo-Lantern-73"
OTHER_STRONG = "Violet-Harbour-2029"


def change_url(user):
    return f"/kingadmin/accounts/user/{user.pk}/change/"


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "r@example.com", "pw-for-tests-1")


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


def add_data(**changes):
    data = {
        "username": "sales_e",
        "display_name": "Sales E",
        "email": "sales_e@example.com",
        "campus": "",
        "is_active": "on",
        "password1": STRONG,
        "password2": STRONG,
        "_save": "",
    }
    data.update(changes)
    return data


def change_data(user, **changes):
    """Return what the change page posts for ``user`` unchanged."""
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "campus": user.campus_id or "",
        "roles": [role.pk for role in user.roles.all()],
        "is_active": "on" if user.is_active else "",
        "password1": "",
        "password2": "",
        "_save": "",
    }
    data.update(changes)
    return data


def raw_row(user) -> str:
    """Return every column of ``user``'s table row as one string."""
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [user.pk])  # noqa: S608
        return " ".join(str(value) for value in cursor.fetchone())


def password_inputs(html: str) -> list[str]:
    return re.findall(r"<input[^>]*type=\"password\"[^>]*>", html)


def test_superuser_adds_a_user_with_a_password_and_roles(admin_client):
    campus = BranchFactory(name="Shenzhen")
    sales, telesales = RoleFactory(name="Sales"), RoleFactory(name="Telesales")
    RoleFactory(name="Teacher")

    response = admin_client.post(
        ADD_URL,
        add_data(campus=campus.pk, roles=[sales.pk, telesales.pk]),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/kingadmin/accounts/user/"
    assert "was added" in response.content.decode()
    user = User.objects.get(username="sales_e")
    assert (user.display_name, user.email, user.campus) == (
        "Sales E",
        "sales_e@example.com",
        campus,
    )
    assert user.is_active and not user.is_staff and not user.is_superuser
    assert set(user.roles.values_list("name", flat=True)) == {"Sales", "Telesales"}
    assert user.check_password(STRONG)
    assert STRONG not in raw_row(user)
    assert identify_hasher(user.password)  # stored hashed


def test_the_history_of_a_new_user_holds_neither_the_password_nor_its_hash(
    admin_client,
):
    admin_client.post(ADD_URL, add_data())
    user = User.objects.get(username="sales_e")
    entry = ChangeLog.objects.get(
        object_id=str(user.pk), action=ChangeLog.Action.ADDITION
    )
    recorded = str(entry.changes)
    assert "sales_e@example.com" in recorded
    assert STRONG not in recorded
    assert user.password not in recorded
    assert "password" not in [change["field"] for change in entry.changes]


@pytest.mark.parametrize(
    ("password1", "password2", "field", "message"),
    [
        (STRONG, OTHER_STRONG, "password2", "The two password fields didn’t match."),
        ("Sh0rt!", "Sh0rt!", "password1", "This password is too short."),
        ("password123", "password123", "password1", "This password is too common."),
        ("73914682057", "73914682057", "password1", "entirely numeric"),
        ("sales_e_2026", "sales_e_2026", "password1", "too similar to the username"),
        ("", "", "password1", "This field is required."),
        (STRONG, "", "password2", "This field is required."),
    ],
    ids=["mismatch", "short", "common", "numeric", "like-username", "empty", "once"],
)
def test_a_refused_password_shows_a_field_error_and_creates_nothing(
    admin_client, password1, password2, field, message
):
    response = admin_client.post(
        ADD_URL, add_data(password1=password1, password2=password2)
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field])
    assert message in response.content.decode()
    assert not User.objects.filter(username="sales_e").exists()
    assert not ChangeLog.objects.filter(action=ChangeLog.Action.ADDITION).exists()


def test_a_password_like_the_email_typed_on_the_same_form_is_refused(admin_client):
    response = admin_client.post(
        ADD_URL,
        add_data(
            username="e2026",
            email="wangfang.beijing@example.com",
            password1="wangfang.beijing",
            password2="wangfang.beijing",
        ),
    )
    assert "too similar to the email address" in " ".join(
        response.context["form"].errors["password1"]
    )
    assert not User.objects.filter(username="e2026").exists()


def test_a_username_differing_only_in_case_is_refused(admin_client):
    UserFactory(username="Sales_E")
    response = admin_client.post(ADD_URL, add_data())
    assert "already exists" in " ".join(response.context["form"].errors["username"])
    assert User.objects.filter(username__iexact="sales_e").count() == 1


def test_password_inputs_never_carry_a_value(admin_client):
    page = admin_client.get(ADD_URL).content.decode()
    inputs = password_inputs(page)
    assert [re.search(r'name="(\w+)"', i).group(1) for i in inputs] == [
        "password1",
        "password2",
    ]
    assert not any("value=" in i for i in inputs)

    # Shown again with an error, the page does not echo what was typed.
    refused = admin_client.post(
        ADD_URL, add_data(email="not an e-mail address")
    ).content.decode()
    assert len(password_inputs(refused)) == 2
    assert not any("value=" in i for i in password_inputs(refused))
    assert STRONG not in refused


@pytest.mark.parametrize("page", ["add", "change"])
def test_error_reports_of_the_user_pages_hide_the_passwords(admin_client, root, page):
    url = ADD_URL if page == "add" else change_url(root)
    response = admin_client.post(url, add_data(password2="typo"))
    reported = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert reported["password1"] == reported["password2"] == "********************"
    assert reported["username"] == "sales_e"


def test_change_page_with_blank_passwords_keeps_the_current_one(admin_client):
    user = UserFactory(username="sales_f", display_name="Sales F")
    stored = user.password

    response = admin_client.post(
        change_url(user), change_data(user, display_name="Sales F (Hangzhou)")
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Sales F (Hangzhou)"
    assert user.password == stored
    assert user.check_password("pw-for-tests-1")


def test_change_page_sets_a_new_password_typed_twice(admin_client):
    user = UserFactory(username="sales_f")

    response = admin_client.post(
        change_url(user), change_data(user, password1=STRONG, password2=STRONG)
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert not user.check_password("pw-for-tests-1")
    assert STRONG not in raw_row(user)
    assert STRONG not in str(list(ChangeLog.objects.values_list("changes")))


@pytest.mark.parametrize(
    ("password1", "password2", "field"),
    [(STRONG, OTHER_STRONG, "password2"), ("12345", "12345", "password1")],
    ids=["mismatch", "weak"],
)
def test_change_page_refuses_a_bad_new_password_and_keeps_the_old_one(
    admin_client, password1, password2, field
):
    user = UserFactory(username="sales_f")
    stored = user.password

    response = admin_client.post(
        change_url(user),
        change_data(
            user, display_name="Changed", password1=password1, password2=password2
        ),
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    user.refresh_from_db()
    assert user.password == stored
    assert user.display_name != "Changed"


def test_change_page_with_the_new_password_typed_once_asks_for_both(admin_client):
    user = UserFactory(username="sales_f")
    response = admin_client.post(change_url(user), change_data(user, password2=STRONG))
    assert response.context["form"].errors["password1"] == ["Enter the password twice."]
    user.refresh_from_db()
    assert user.check_password("pw-for-tests-1")


def test_change_page_saves_roles_chosen_in_the_two_box_widget(admin_client):
    sales, telesales = RoleFactory(name="Sales"), RoleFactory(name="Telesales")
    user = UserFactory(username="sales_f", roles=[sales])

    page = admin_client.get(change_url(user)).content.decode()
    assert "data-filter-horizontal" in page
    assert not any("value=" in i for i in password_inputs(page))
    assert user.password not in page

    admin_client.post(change_url(user), change_data(user, roles=[telesales.pk]))
    assert list(user.roles.values_list("name", flat=True)) == ["Telesales"]


def test_an_admin_who_changes_their_own_password_stays_logged_in(admin_client, root):
    response = admin_client.post(
        change_url(root), change_data(root, password1=STRONG, password2=STRONG)
    )
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.check_password(STRONG)
    assert admin_client.get("/kingadmin/accounts/user/").status_code == 200
