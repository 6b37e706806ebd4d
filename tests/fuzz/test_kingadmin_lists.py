"""Fuzz every kingadmin list's query string: the list and its CSV export.

For every registered model, as the superuser and as a sales user, query
strings are built from the list's own parameter names (each filter's
parameters, date ``__since`` / ``__until``, ``q``, ``o``, ``p``,
``per_page``, ``format``) and from random names, with real values mixed with
hostile ones (huge integers, NUL and control characters, odd dates, lookups,
very long text), repeated parameters and raw garbage. Nothing may fail: the
list answers 200 (403 for a user who may not see it), and no condition or
sort ever reaches the password column.
"""

from datetime import date

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from kingadmin.changelist import (
    EXPORT_FORMAT_VAR,
    ORDER_VAR,
    PAGE_VAR,
    PER_PAGE_VAR,
    SEARCH_VAR,
)
from kingadmin.dateranges import Preset
from kingadmin.filters import (
    DateFieldListFilter,
    SimpleListFilter,
    _ValueFilter,
    build_filters,
)
from kingadmin.sites import site
from tests.fuzz.strategies import (
    hostile_text,
    query_string,
    random_names,
    raw_query_garbage,
)
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.sql_checks import assert_password_never_filters_or_sorts

MODELS = sorted(site._registry, key=lambda model: model._meta.label)
USERS = ("admin", "sales_a")


def model_id(model) -> str:
    return model._meta.label


def list_url(model, suffix: str = "") -> str:
    return f"/kingadmin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def real_parameters(model_admin, user) -> dict[str, list[str]]:
    """Return the list's parameter names, each with the values it offers."""
    request = RequestFactory().get("/")
    request.user = user
    params: dict[str, list[str]] = {}
    for spec in build_filters(request, model_admin):
        if isinstance(spec, DateFieldListFilter):
            params[spec.field_path] = list(Preset.values)
            days = [date(2026, 1, 1).isoformat(), date.today().isoformat()]
            params[spec.since_param] = days
            params[spec.until_param] = days
        elif isinstance(spec, _ValueFilter):
            params[spec.field_path] = [v for v, _label in spec.options_list]
        elif isinstance(spec, SimpleListFilter):
            params[spec.parameter_name] = [v for v, _label in spec.lookup_choices]
        else:
            for name in spec.expected_parameters():
                params[name] = [""]
    sortable = [c.name for c in model_admin.get_columns(request) if c.sortable]
    params[ORDER_VAR] = [*sortable, *(f"-{name}" for name in sortable)] or ["-pk"]
    params[SEARCH_VAR] = ["a", "李", "138", "Python"]
    params[PAGE_VAR] = ["1", "2", "400"]
    params[PER_PAGE_VAR] = [str(n) for n in model_admin.list_per_page_choices]
    params[EXPORT_FORMAT_VAR] = list(model_admin.export_formats)
    return params


def query_strings(params: dict[str, list[str]]):
    """Return a strategy of query strings mixing real and hostile parameters."""
    real = st.sampled_from(sorted(params)).flatmap(
        lambda name: st.tuples(
            st.just(name),
            st.one_of(st.sampled_from(params[name] or [""]), hostile_text),
        )
    )
    made_up = st.tuples(random_names, hostile_text)
    pair = st.one_of(real, real, made_up)
    return st.builds(query_string, st.lists(pair, max_size=8), raw_query_garbage)


def fuzz_list(world, model, username, *, export: bool) -> None:
    user = world.users[username]
    admin = site.get_model_admin(model)
    strategy = query_strings(real_parameters(admin, user))
    base = list_url(model, "export/?format=csv&" if export else "?")
    allowed = {200} if username == "admin" else {200, 403}
    if export:
        allowed |= {404}  # a repeated ``format`` naming no export format
    # A user refused the plain list needs fewer tries to show it stays refused.
    with rolled_back():
        refused = client_for(user).get(base).status_code == 403
    examples = 4 if refused else 12

    @fuzz_settings(examples)
    @given(query=strategy)
    def run(query):
        with rolled_back(), CaptureQueriesContext(connection) as captured:
            response = client_for(user).get(base + query)
            if response.streaming:
                # A repeated ``format`` may ask for Excel instead.
                body = b"".join(response.streaming_content)
                assert body.startswith((b"\xef\xbb\xbf", b"PK\x03\x04"))
            assert response.status_code in allowed, (response.status_code, query)
            if response.status_code == 200 and not export:
                assert response.context["cl"].model is model
        assert_password_never_filters_or_sorts(captured.captured_queries)

    run()


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("model", MODELS, ids=model_id)
def test_list_query_strings_never_fail(fuzz_db, model, username):
    fuzz_list(fuzz_db, model, username, export=False)


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("model", MODELS, ids=model_id)
def test_export_query_strings_never_fail(fuzz_db, model, username):
    fuzz_list(fuzz_db, model, username, export=True)
