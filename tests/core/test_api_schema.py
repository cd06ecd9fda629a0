"""The OpenAPI schema matches what the API does (issue 11, section 5): schemathesis generates requests
from the tenant's and the public site's schema (/api/schema/) and sends them, with an owner's token,
to a real daphne; no answer may be a 5xx, and every answer's status code, content type and body must
be the ones the schema declares. A small, fixed budget (5 derandomised examples per operation): about
35 s for the tenant's 92 operations on the development machine; no wall-clock assertion, so a slower
machine does not fail it."""

from __future__ import annotations

from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import TenantInfo, WebServer, create_tenant

EXAMPLES = 5  # per operation
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def owner_token(info: TenantInfo) -> str:
    from django.db import connection
    from rest_framework.authtoken.models import Token

    connection.set_schema(info.schema_name)
    key = str(Token.objects.get_or_create(user=info.owner)[0].key)
    connection.set_schema_to_public()
    return key


def run_schema(web: WebServer, host: str, headers: dict[str, str]) -> tuple[list[str], int]:
    base = f"http://127.0.0.1:{web.port}"
    session = requests.Session()
    session.headers.update({"Host": host, **headers})
    raw = session.get(f"{base}/api/schema/?format=json", timeout=10)
    assert raw.status_code == 200, raw.text[:300]
    schema = schemathesis.openapi.from_dict(raw.json())
    schema.config.base_url = base  # type: ignore[attr-defined]
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=base, session=session, timeout=10)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except BaseException as exc:  # collect every operation's failure, not only the first
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    return failures, calls


def test_the_tenant_api_does_what_its_schema_says(web_server: WebServer) -> None:
    info = create_tenant("schema")
    failures, calls = run_schema(
        web_server, f"{info.host}:{web_server.port}", {"Authorization": f"Token {owner_token(info)}"}
    )
    assert not failures, "\n\n".join(failures)
    assert calls > 50


def test_the_public_api_does_what_its_schema_says(web_server: WebServer) -> None:
    failures, calls = run_schema(web_server, f"localhost:{web_server.port}", {})
    assert not failures, "\n\n".join(failures)
    assert calls > 0
