"""The API against its own served OpenAPI schema (schemathesis, bounded examples).

Every operation is called with generated data, as an administrator (every
route allowed) and as a sales (rows scoped, some routes refused): no answer is
a server error, and every answer's status, content type and body are the
schema's.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import api_token_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(params=["admin", "sales_a"])
def caller(request, demo, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.API_RATE_LIMIT = "100000/minute"
    user = demo[request.param]
    _token, text = api_token_create(user=user, name="schema", days=30, by=user)
    return {"Authorization": f"Bearer {text}"}


def test_every_answer_is_the_schemas(caller):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", WSGIHandler(), headers=caller
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=caller, checks=CHECKS)

        run()
