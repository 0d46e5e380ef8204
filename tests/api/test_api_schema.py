"""schemathesis against the app's own OpenAPI schema, served by uvicorn: whatever it
generates (odd ids, strings, multipart bodies), the API never answers with a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api_helpers import upload

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 30


def test_no_server_error(serve, users, api):
    # A stored submission, so that generated ids sometimes find one.
    upload(api, users["alice"], {"mlp": b"x = 1\n"})
    base_url = serve()
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures = []
    for operation in operations:
        # Students upload (TAs may not); a TA reaches every other route's deepest path.
        uploads = operation.method.upper() == "POST" and operation.path == "/api/v1/submissions"
        headers = users.headers("alice" if uploads else "tess")

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(base_url=base_url, headers=headers,
                                   checks=[not_a_server_error])

        try:
            check()
        except Exception as failure:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert not failures, "\n\n".join(failures)
