import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def login(client, username, password=PASSWORD, next_url=None, ip="10.0.0.1"):
    url = reverse("login")
    if next_url is not None:
        url += f"?next={next_url}"
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(url, data, REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("sales_a", "/kingadmin/crm/customer/?mine=1"),
        ("manager", "/kingadmin/crm/customer/?mine=1"),
        ("teacher", "/teacher/"),
        ("student", "/student/"),
        ("admin", "/kingadmin/"),
    ],
)
def test_each_demo_login_lands_on_the_home_of_its_role(demo, client, username, home):
    response = login(client, username, "demo-pass-2026")
    assert response.status_code == 302
    landing = client.get(response.url, follow=True)
    assert landing.redirect_chain[-1][0] == home
    assert landing.status_code == 200


def test_sales_home_lists_their_own_customers(demo, client):
    client.force_login(demo["sales_a"])
    page = client.get("/", follow=True)
    assert "My customers" in page.content.decode()
    rows = page.context["rows"]
    assert rows
    assert {row.obj.consultant_id for row in rows} == {demo["sales_a"].pk}


@pytest.mark.parametrize("next_url", ["/kingadmin/crm/customer/?q=li", "/teacher/"])
def test_next_pointing_inside_the_site_is_honoured(client, next_url):
    UserFactory(username="alice")
    response = login(client, "alice", next_url=next_url)
    assert response.url == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://testserver.evil.example/",
        "///evil.example",
        "javascript:alert(1)",
        "\\\\evil.example",
        "https:evil.example",
    ],
)
def test_next_pointing_elsewhere_is_ignored(client, next_url):
    UserFactory(username="alice")
    response = login(client, "alice", next_url=next_url)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_user_without_a_role_gets_a_friendly_page_not_an_error(client):
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "no role yet" in response.content.decode()


def test_anonymous_home_redirects_to_login_with_next(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"


def test_wrong_password_shows_an_error_and_logs_nobody_in(client):
    UserFactory(username="alice")
    response = login(client, "alice", "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_only_that_username_and_address(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="alice")
    for _ in range(3):
        login(client, "alice", "wrong", ip="10.0.0.66")
    locked = login(client, "alice", PASSWORD, ip="10.0.0.66")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # The real user, from their own address, still gets in.
    elsewhere = login(Client(), "alice", PASSWORD, ip="10.0.0.1")
    assert elsewhere.status_code == 302


def test_lockout_lifts_after_the_cool_off(client, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="alice")
    for _ in range(2):
        login(client, "alice", "wrong", ip="10.0.0.66")
    assert login(client, "alice", PASSWORD, ip="10.0.0.66").status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(hours=1)
    )
    assert login(client, "alice", PASSWORD, ip="10.0.0.66").status_code == 302


def test_logout_needs_post_and_ends_the_session(client):
    client.force_login(UserFactory())
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(username="alice", email="alice@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("password_reset"), {"email": "alice@example.com"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert PASSWORD not in body
    link = next(line for line in body.splitlines() if "/password/reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Another-pass-77", "new_password2": "Another-pass-77"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-pass-77")


def test_password_change_requires_the_old_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "Another-pass-77",
            "new_password2": "Another-pass-77",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_login_form_is_csrf_protected():
    UserFactory(username="alice")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_role_permissions_are_the_users_permissions():
    from tests.factories import RoleFactory

    perm = Permission.objects.get(codename="view_customer")
    user = UserFactory(roles=[RoleFactory(permissions=[perm])])
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("crm.view_customer")
    assert not user.has_perm("crm.delete_customer")
    assert not UserFactory().has_perm("crm.view_customer")


def test_an_overlong_user_name_is_a_field_error_and_never_reaches_axes(client, db):
    from axes.models import AccessAttempt

    response = client.post(
        "/accounts/login/", {"username": "x" * 300, "password": "whatever"}
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not AccessAttempt.objects.exists()
