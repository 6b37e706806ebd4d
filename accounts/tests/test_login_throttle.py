"""The per-address throttle of failed logins and password-reset requests.

django-axes locks one user name from one address; these tests are about one
address trying many user names (a password spray) and asking for many reset
mails. The windows are aligned to the clock of ``crm.ratelimit``, which the
``clock`` fixture replaces, so "the window passes" needs no waiting.
"""

from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core import mail
from django.core.cache import cache
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
SPRAYER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
# A multiple of both windows (15 and 60 minutes), so tests start a known
# number of seconds into a window.
WINDOW_START = 1_800_000_000
THROTTLED = "Too many failed logins from your address"


class Clock:
    """Stands in for the ``time`` module of crm.ratelimit."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock():
    cache.clear()
    fake = Clock(WINDOW_START + 60)
    with mock.patch("crm.ratelimit.time", fake):
        yield fake
    cache.clear()


def login(username, password=PASSWORD, *, ip=SPRAYER, client=None):
    client = client or Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return client, response


def spray(usernames, *, ip=SPRAYER):
    """Try one wrong password on every user name; return the status codes."""
    return [login(name, "Summer2026!", ip=ip)[1].status_code for name in usernames]


@pytest.fixture
def accounts():
    return [UserFactory(username=f"staff{n:02}").username for n in range(30)]


def test_a_spray_over_many_user_names_is_throttled_after_the_limit(accounts):
    # The defaults: 20 failed logins per address in 15 minutes.
    statuses = spray(accounts)
    assert statuses == [200] * 20 + [429] * 10
    _, response = login(accounts[0], "Winter2026!")
    page = response.content.decode()
    assert response.status_code == 429
    assert THROTTLED in page
    # One minute into the 15-minute window: 14 minutes to go.
    assert "Please wait 14 minutes and try again." in page
    assert response["Retry-After"] == str(14 * 60)
    assert "no-cache" in response["Cache-Control"]
    # Only the first 20 reached a password check, each for another user name
    # and once: django-axes alone would not have noticed anything.
    attempts = AccessAttempt.objects.filter(ip_address=SPRAYER)
    assert sorted(attempts.values_list("username", flat=True)) == accounts[:20]
    assert {attempt.failures_since_start for attempt in attempts} == {1}


def test_a_user_at_another_address_still_logs_in(accounts, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    assert spray(accounts[:6]) == [200] * 5 + [429]
    client, response = login(accounts[0], ip=ELSEWHERE)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        User.objects.get(username=accounts[0]).pk
    )


def test_the_right_password_from_a_throttled_address_is_not_even_checked(
    accounts, settings
):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    spray(accounts[:5])
    with mock.patch(
        "django.contrib.auth.forms.authenticate", wraps=authenticate
    ) as checked:
        client, response = login(accounts[7])
        checked.assert_not_called()
        assert login(accounts[8], ip=ELSEWHERE)[1].status_code == 302
        checked.assert_called_once()
    assert response.status_code == 429
    assert THROTTLED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.get(username=accounts[7]).last_login is None


def test_the_login_page_shows_the_wait_while_the_address_is_throttled(
    accounts, settings
):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    spray(accounts[:3])
    blocked = Client().get(reverse("login"), REMOTE_ADDR=SPRAYER)
    assert blocked.status_code == 429
    assert "Please wait 14 minutes" in blocked.content.decode()
    assert 'name="password"' not in blocked.content.decode()
    other = Client().get(reverse("login"), REMOTE_ADDR=ELSEWHERE)
    assert other.status_code == 200
    assert 'name="password"' in other.content.decode()


def test_the_address_may_log_in_again_once_the_window_has_passed(
    accounts, settings, clock
):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    spray(accounts[:5])
    clock.now = WINDOW_START + 15 * 60 - 1
    _, response = login(accounts[0])
    assert response.status_code == 429
    assert "Please wait 1 minute and try again." in response.content.decode()
    clock.now = WINDOW_START + 15 * 60
    client, response = login(accounts[0])
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_successful_login_does_not_reset_the_address_count(accounts, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    assert spray(accounts[:4]) == [200] * 4
    # The sprayer guessed one password right: that does not buy more guesses.
    assert login(accounts[10])[1].status_code == 302
    assert spray(accounts[4:6]) == [200, 429]


def test_an_incomplete_form_checks_no_password_and_is_not_counted(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    UserFactory(username="alice")
    for _ in range(5):
        _, response = login("alice", "")
        assert response.status_code == 200
    assert login("alice")[1].status_code == 302


def test_the_axes_lockout_of_one_user_name_still_works_and_counts_once(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    UserFactory(username="alice")
    UserFactory(username="bob")
    # The third wrong password locks alice out, from this address only.
    assert [login("alice", "wrong")[1].status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    _, locked = login("alice")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed logins" in page
    assert THROTTLED not in page
    assert login("bob")[1].status_code == 302
    assert login("alice", ip=ELSEWHERE)[1].status_code == 302
    # 3 wrong passwords + 1 refused by axes = 4 failures of the address, one
    # each: two more are allowed, then the whole address waits.
    assert [login("bob", "wrong")[1].status_code for _ in range(3)] == [200, 200, 429]
    assert THROTTLED in login("bob")[1].content.decode()


def test_the_address_is_the_one_django_axes_uses(accounts, settings):
    # Behind a reverse proxy every request comes from the proxy's address;
    # axes tells the clients apart (here with a callable), and so must the
    # throttle, or one sprayer would shut everybody out.
    settings.AXES_CLIENT_IP_CALLABLE = lambda request: request.META["HTTP_X_CLIENT"]
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    proxied = {"REMOTE_ADDR": "10.0.0.2"}
    for name in accounts[:3]:
        Client().post(
            reverse("login"),
            {"username": name, "password": "wrong"},
            HTTP_X_CLIENT=SPRAYER,
            **proxied,
        )
    sprayer = Client().get(reverse("login"), HTTP_X_CLIENT=SPRAYER, **proxied)
    assert sprayer.status_code == 429
    response = Client().post(
        reverse("login"),
        {"username": accounts[0], "password": PASSWORD},
        HTTP_X_CLIENT=ELSEWHERE,
        **proxied,
    )
    assert response.status_code == 302


def reset(email, *, ip=SPRAYER):
    # The mail is a job started when the request's work commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post(
            reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip
        )


def test_password_reset_requests_are_limited_per_address(settings):
    # The default: 5 per address and hour.
    UserFactory(username="alice", email="alice@example.com")
    statuses = [reset("alice@example.com").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert len(mail.outbox) == 5
    refused = reset("someone@example.com")
    page = refused.content.decode()
    assert refused.status_code == 429
    assert "Too many password reset requests" in page
    assert "Please wait 59 minutes and try again." in page
    assert refused["Retry-After"] == str(59 * 60)
    assert len(mail.outbox) == 5
    blocked_form = Client().get(reverse("password_reset"), REMOTE_ADDR=SPRAYER)
    assert blocked_form.status_code == 429
    # Another address still gets its mail.
    assert reset("alice@example.com", ip=ELSEWHERE).status_code == 302
    assert len(mail.outbox) == 6


def test_password_reset_is_possible_again_after_the_hour(settings, clock):
    settings.PASSWORD_RESET_PER_ADDRESS = 1
    UserFactory(username="alice", email="alice@example.com")
    assert reset("alice@example.com").status_code == 302
    assert reset("alice@example.com").status_code == 429
    clock.now = WINDOW_START + 60 * 60
    assert reset("alice@example.com").status_code == 302
    assert len(mail.outbox) == 2
