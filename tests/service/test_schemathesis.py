"""Property-based tests of the whole API from its own OpenAPI document (schemathesis): for every
operation, generated requests (valid and invalid) with an admin key and with a customer key get no
5xx, and every response matches the documented schema, status codes and content types. At least
1,000 cases run in all (counted; the last test checks); bounded by ``MAX_EXAMPLES`` per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 100
COUNT = {"cases": 0}


@pytest.fixture(scope="module")
def service_app(tmp_path_factory):
    from service_helpers import Api

    a = Api(f"sqlite:///{tmp_path_factory.mktemp('st') / 'service.db'}", horizon="2d", ttc=True)  # the /v1/ops routes too
    acc, key = a.customer(1000.0, "fuzz")
    a.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 1}, headers=key)
    a.svc.limiter.per_s = a.svc.limiter.burst = 1e9  # fuzzing is not a rate-limit test
    a.keys = {"admin": a.admin, "customer": key}
    yield a
    a.close()


@pytest.fixture(scope="module")
def api_schema(service_app):
    return schemathesis.openapi.from_asgi("/openapi.json", service_app.app)


def _check(case, headers) -> None:
    COUNT["cases"] += 1
    if case.operation.path == "/v1/admin/clock/advance" and isinstance(case.body, dict):
        case.body = {"duration": "1min"}  # keep the twin's clock inside its horizon
    response = case.call(headers=dict(headers))
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    case.validate_response(response, checks=[response_schema_conformance, status_code_conformance, content_type_conformance])


def _operations(api_schema) -> list:
    ops = [r.ok() for r in api_schema.get_all_operations()]
    assert len(ops) >= 18, len(ops)
    return ops


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("role", ["admin", "customer"])
def test_api_conforms(api_schema, service_app, role, mode):
    """Every operation, MAX_EXAMPLES // 4 generated cases each for this role's key, valid requests
    (positive) or requests that break the schema (negative)."""
    headers = service_app.keys[role]
    gen = schemathesis.GenerationMode(mode)
    for op in _operations(api_schema):
        @given(case=op.as_strategy(generation_mode=gen))
        @settings(max_examples=MAX_EXAMPLES // 4, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            _check(case, headers)

        try:
            run()
        except Unsatisfiable:
            assert mode == "negative"  # an operation with nothing to break (no parameters, no body)


def test_at_least_a_thousand_cases_ran():
    print(f"schemathesis: {COUNT['cases']} generated cases")
    assert COUNT["cases"] >= 1000, COUNT
