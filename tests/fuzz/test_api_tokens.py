"""Fuzz the API tokens page's form and the API's lists' query strings: never a 500.

A post to the tokens page makes exactly one token (and shows it once) or
makes none and says why; a list of the API answers 200 whatever its query
string holds (unknown or bad filter values are ignored, as on the list
pages) or 404 for a bad cursor, never a server error.
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from api.forms import TokenForm, token_users
from api.models import ApiToken
from api.tokens import api_token_create
from tests.fuzz.strategies import hostile_text, post_data
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.fuzz.test_forms import count


def test_tokens_page_form(fuzz_db):
    admin = fuzz_db.users["admin"]
    form = TokenForm(users=token_users())
    base = {"name": "会计系统", "days": "90", "user": str(fuzz_db.users["sales_a"].pk)}

    @fuzz_settings(30)
    @given(data=post_data(form, base=base))
    @example(data=base)
    @example(data={**base, "name": "\x00" * 200, "days": "-1"})
    def run(data):
        with rolled_back():
            before = count(ApiToken)
            response = client_for(admin).post("/api/tokens/", data)
            assert response.status_code in (302, 400)
            made = count(ApiToken)[0] - before[0]
            assert made == (1 if response.status_code == 302 else 0)

    run()


LIST_PARAMS = st.dictionaries(
    st.sampled_from(
        [
            "source",
            "status",
            "pool",
            "consultant",
            "consult_course",
            "tags",
            "created_at",
            "created_at__since",
            "created_at__until",
            "last_followup_at",
            "q",
            "page_size",
            "cursor",
            "customer",
            "mine",
            "unassigned",
        ]
    ),
    hostile_text,
    max_size=5,
)


def test_api_list_query_strings(fuzz_db, settings):
    settings.API_RATE_LIMIT = "100000/minute"
    sales = fuzz_db.users["sales_a"]
    _token, text = api_token_create(user=sales, name="fuzz", days=30, by=sales)
    paths = ["/api/v1/customers/", "/api/v1/follow-ups/", "/api/v1/enrollments/"]

    @fuzz_settings(40)
    @given(path=st.sampled_from(paths), params=LIST_PARAMS)
    @example(path=paths[0], params={"created_at__since": "2020-13-45"})
    @example(path=paths[0], params={"page_size": "99999999999999999999"})
    @example(path=paths[1], params={"customer": "9" * 30})
    def run(path, params):
        client = client_for(None)
        response = client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {text}")
        assert response.status_code in (200, 404), response.content[:300]
        if response.status_code == 200:
            assert "results" in response.json()

    run()
