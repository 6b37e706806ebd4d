"""The API against its own served OpenAPI schema (schemathesis, bounded examples).

Every operation is called with generated data, as an administrator (every
route allowed) and as a sales (rows scoped, some routes refused): no answer is
a server error, and every answer's status, content type and body are the
schema's.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
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


@pytest.fixture
def in_process():
    """Call the WSGI handler as the test client does: keep the test's connection.

    A request's end closes the database connection (``close_old_connections``),
    which would end the test's transaction (on PostgreSQL); Django's test
    client disconnects it the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["admin", "sales_a"])
def caller(request, demo, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.API_RATE_LIMIT = "100000/minute"
    user = demo[request.param]
    _token, text = api_token_create(user=user, name="schema", days=30, by=user)
    return {"Authorization": f"Bearer {text}"}


def test_every_answer_is_the_schemas(caller, in_process):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", in_process, headers=caller
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
