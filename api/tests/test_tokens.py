"""Personal API tokens: shown once, stored hashed, expiring, revocable, rate-limited."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.tokens import api_token_create

CUSTOMERS = "/api/v1/customers/"
TOKENS = "/api/tokens/"


def call(text: str, path=CUSTOMERS):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {text}")


def test_a_token_is_stored_hashed_and_works_until_revoked(demo):
    sales = demo["sales_a"]
    token, text = api_token_create(user=sales, name="广告平台", days=30, by=sales)
    assert text.startswith(f"kc_{token.key}_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert text.split("_", 2)[2] not in (stored.digest, stored.key)
    assert call(text).status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    token.revoked_at = timezone.now()
    token.save()
    refused = call(text)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kc_00000000_wrong",
        "Bearer nothing",
        "Bearer",
        "Bearer a b",
        "Bearer kc_" + "x" * 500,
        "Bearer kc_\xe4\xb8\xad_\xe6",  # not ASCII (a header arrives as latin-1)
    ],
)
def test_a_wrong_token_is_a_401_never_a_500(demo, header):
    response = Client().get(CUSTOMERS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_tampered_secret_or_an_expired_token_is_refused(demo):
    sales = demo["sales_a"]
    token, text = api_token_create(user=sales, name="t", days=30, by=sales)
    assert call(text[:-1] + ("A" if text[-1] != "A" else "B")).status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert call(text).status_code == 401


def test_a_disabled_users_token_stops_working(demo):
    sales = demo["sales_a"]
    _token, text = api_token_create(user=sales, name="t", days=30, by=sales)
    sales.is_active = False
    sales.save()
    assert call(text).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(demo, django_assert_num_queries):
    sales = demo["sales_a"]
    token, text = api_token_create(user=sales, name="t", days=30, by=sales)
    call(text)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    call(text)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_calls_past_the_rate_limit_get_429_per_token(demo, settings):
    settings.API_RATE_LIMIT = "3/minute"
    cache.clear()
    sales = demo["sales_a"]
    _one, first = api_token_create(user=sales, name="one", days=30, by=sales)
    _two, second = api_token_create(user=sales, name="two", days=30, by=sales)
    assert [call(first).status_code for _ in range(3)] == [200, 200, 200]
    limited = call(first)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert call(second).status_code == 200  # the other token counts apart
    cache.clear()


# -- the tokens page


def test_a_user_creates_a_token_sees_it_once_and_revokes_it(demo):
    client = Client()
    client.force_login(demo["sales_a"])
    page = client.get(TOKENS)
    assert page.status_code == 200
    response = client.post(TOKENS, {"name": "官网表单", "days": "90"}, follow=True)
    text = response.context["new_token"]
    assert text.startswith("kc_")
    assert text in response.content.decode()
    token = ApiToken.objects.get(user=demo["sales_a"], name="官网表单")
    assert token.created_by == demo["sales_a"]
    assert 89 <= (token.expires_at - timezone.now()).days <= 90
    # Shown once: the next visit lists it without its secret.
    again = client.get(TOKENS).content.decode()
    assert text not in again
    assert f"kc_{token.key}_…" in again
    assert call(text).status_code == 200
    client.post(f"{TOKENS}{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert call(text).status_code == 401


@pytest.mark.parametrize(
    "data", [{"name": "", "days": "90"}, {"name": "x", "days": "7"}, {"name": "  "}]
)
def test_a_bad_token_form_says_why_and_makes_nothing(demo, data):
    client = Client()
    client.force_login(demo["sales_a"])
    response = client.post(TOKENS, data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_user_sees_and_revokes_only_their_own_tokens(demo):
    theirs, _text = api_token_create(
        user=demo["sales_b"], name="B 的令牌", days=30, by=demo["sales_b"]
    )
    client = Client()
    client.force_login(demo["sales_a"])
    assert "B 的令牌" not in client.get(TOKENS).content.decode()
    assert client.post(f"{TOKENS}{theirs.pk}/revoke/").status_code == 404
    assert client.post(f"{TOKENS}abc/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_administrator_makes_a_token_for_an_integration_account(demo):
    admin, sales = demo["admin"], demo["sales_b"]
    client = Client()
    client.force_login(admin)
    response = client.post(
        TOKENS, {"name": "会计系统", "days": "365", "user": sales.pk}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="会计系统")
    assert token.user == sales
    assert token.created_by == admin
    assert "会计系统" in response.content.decode()


def test_someone_without_the_right_gets_403_on_the_page(demo):
    client = Client()
    client.force_login(demo["student"])
    assert client.get(TOKENS).status_code == 403
    assert client.post(TOKENS, {"name": "x", "days": "30"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_user_menu_offers_the_page_only_to_who_may_open_it(demo):
    client = Client()
    client.force_login(demo["sales_a"])
    assert TOKENS in client.get("/", follow=True).content.decode()
    client.force_login(demo["student"])
    assert TOKENS not in client.get("/", follow=True).content.decode()


def test_administrators_revoke_tokens_from_kingadmin(demo):
    token, text = api_token_create(
        user=demo["sales_a"], name="t", days=30, by=demo["sales_a"]
    )
    client = Client()
    client.force_login(demo["admin"])
    listing = client.get("/kingadmin/api/apitoken/")
    assert listing.status_code == 200
    assert token.digest not in listing.content.decode()
    change = client.get(f"/kingadmin/api/apitoken/{token.pk}/change/")
    assert change.status_code == 200
    assert token.digest not in change.content.decode()
    assert token.key in change.content.decode()
    client.post(
        "/kingadmin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert call(text).status_code == 401
