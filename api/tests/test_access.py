"""Every API route x every demo role: allowed, refused (403) or not found (404).

Like the pages' access tests: a route no rule mentions is refused, a row
outside the caller's scope is a 404, a call without the right a 403. A new
API route fails ``test_every_api_route_is_in_the_table`` until it is added.
"""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from api.tests.conftest import Api
from api.tokens import api_token_create
from tests.factories import (
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    FollowUpFactory,
    PaymentFactory,
    UserFactory,
)
from timetable.models import ClassSession

ROLES = ("admin", "sales_a", "manager", "teacher", "student", "finance")
# Expected status per role, in the order of ROLES. Detail routes open a row
# nobody of the demo owns or teaches.
EXPECTED = {
    "api:customer-list": (200, 200, 200, 403, 403, 403),
    "api:customer-detail": (200, 404, 200, 403, 403, 403),
    "api:followup-list": (200, 200, 200, 403, 403, 403),
    "api:followup-detail": (200, 404, 200, 403, 403, 403),
    "api:enrollment-list": (200, 200, 200, 403, 403, 403),
    "api:enrollment-detail": (200, 404, 200, 403, 403, 403),
    "api:class-list": (200, 200, 200, 200, 403, 403),
    "api:class-detail": (200, 200, 200, 404, 403, 403),
    "api:session-list": (200, 403, 403, 200, 403, 403),
    "api:session-detail": (200, 403, 403, 404, 403, 403),
    "api:payment-list": (200, 200, 200, 403, 403, 403),
    "api:payment-detail": (200, 404, 200, 403, 403, 403),
    # An empty lead: refused for its content (400) when the call is allowed.
    "api:lead-capture": (400, 403, 400, 403, 403, 403),
    "api:schema": (200, 200, 200, 200, 403, 403),
    "api:docs": (200, 200, 200, 200, 403, 403),
    "api:tokens": (200, 200, 200, 200, 403, 403),
    # Revoking the administrator's token: only the token managers find it.
    "api:token_revoke": (302, 404, 404, 404, 403, 403),
}
POSTS = {"api:lead-capture", "api:token_revoke"}


def api_route_names() -> set[str]:
    names = set()
    for name in get_resolver().namespace_dict["api"][1].reverse_dict:
        if isinstance(name, str):
            names.add(f"api:{name}")
    return names


def test_every_api_route_is_in_the_table():
    routes = {name for name in api_route_names() if not name.endswith("-root")}
    assert routes == set(EXPECTED)


@pytest.fixture
def foreign(demo):
    """Rows no demo user owns, teaches or enrolled."""
    customer = CustomerFactory()
    enrollment = EnrollmentFactory(customer=customer, consultant=customer.consultant)
    class_list = ClassListFactory()
    starts = timezone.now() + timedelta(days=400)
    session = ClassSession.objects.create(
        class_list=class_list,
        number=1,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        teacher=UserFactory(),
    )
    admin_token, _text = api_token_create(
        user=demo["admin"], name="admin", days=30, by=demo["admin"]
    )
    return {
        "customer": customer.pk,
        "followup": FollowUpFactory(customer=customer).pk,
        "enrollment": enrollment.pk,
        "class": class_list.pk,
        "session": session.pk,
        "payment": PaymentFactory(enrollment=enrollment).pk,
        "token_revoke": admin_token.pk,
    }


def url_of(route: str, foreign: dict) -> str:
    name = route.split(":", 1)[1]
    if name.endswith("-detail"):
        return reverse(route, args=[foreign[name.removesuffix("-detail")]])
    if name == "token_revoke":
        return reverse(route, args=[foreign["token_revoke"]])
    return reverse(route)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_rules_give_on_each_route(demo, foreign, role):
    user = demo[role]
    _token, text = api_token_create(user=user, name="access", days=30, by=user)
    api = Api(user, text)
    session = Api(user, "")
    session.client.force_login(user)
    got = {}
    for route in EXPECTED:
        url = url_of(route, foreign)
        # The pages are the browser's (session); the API takes either.
        caller = (
            session if route in {"api:docs", "api:tokens", "api:token_revoke"} else api
        )
        response = caller.post(url, {}) if route in POSTS else caller.get(url)
        got[route] = response.status_code
    expected = {
        route: statuses[ROLES.index(role)] for route, statuses in EXPECTED.items()
    }
    assert got == expected
