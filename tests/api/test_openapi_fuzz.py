"""Property-based calls over the whole OpenAPI document (schemathesis): whatever it sends, with a
token holding every role, no answer is a server error or breaks the document's own schema.

Each operation gets a bounded number of generated examples, so the run stays under a minute.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pushadmin.accounts.models import Membership, Role
from tests.api.api_client import openapi_document, token_for
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_no_generated_call_gets_a_server_error_or_an_answer_outside_the_schema(cast: Cast, live_server: Any) -> None:
    for role in (Role.REVIEWER, Role.AUDITOR, Role.ADMIN):
        Membership.objects.create(user=cast.marketer, workspace=cast.workspace, role=role)
    make_campaign(cast.workspace, cast.marketer)  # ids 1… exist, so some calls reach real objects
    secret = token_for(cast.marketer, cast.workspace, Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN)
    schema = schemathesis.openapi.from_dict(openapi_document(live_server.url))
    headers = {"Authorization": f"Bearer {secret}"}
    began, tried, answered = time.monotonic(), 0, Counter[int]()

    with override_settings(PUSHADMIN_API_CALLS_PER_MINUTE=100_000):
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path == "/api/v1/templates/{template_id}/create-on-mpaas":
                continue  # calls mPaaS for real; the journey test drives it against the sandbox

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Any) -> None:
                response = case.call(base_url=live_server.url, headers=headers)
                answered[response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=headers)

            call()
            tried += 1
    assert tried >= 20
    # The token got through (2xx), and bad input was refused as such (422), not only 401s and 404s.
    assert answered[200] and answered[422], answered
    assert time.monotonic() - began < 120
    assert httpx.get(f"{live_server.url}/api/v1/docs", trust_env=False).status_code == 200
