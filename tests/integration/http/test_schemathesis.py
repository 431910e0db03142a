"""schemathesis against the OpenAPI document, through the ASGI app: no 5xx, and every
response matches the document (status code, content type, headers, body schema) -- for
generated valid requests and for invalid ones, which must be refused with a 4xx."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.integration.http.conftest import open_shop
from tickex.application.identity.issue_api_key import IssueApiKey
from tickex.application.identity.log_in import LogIn
from tickex.application.identity.register_user import RegisterUser
from tickex.domain.identity import ApiScope
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

schemathesis = pytest.importorskip("schemathesis")
checks = pytest.importorskip("schemathesis.checks")
openapi_checks = pytest.importorskip("schemathesis.specs.openapi.checks")

_tickex = TickEx.in_memory()
open_shop(_tickex)
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(_tickex))
_tickex.register_user(
    RegisterUser(email="fuzz@example.com", password="fuzzing password", name="Fuzz")
)
_BEARER = {
    "Authorization": "Bearer "
    + _tickex.log_in(LogIn(email="fuzz@example.com", password="fuzzing password")).access_token
}
# an organizer (with an event of its own, so that valid ids exist to fuzz against)
_organizer = TickEx(_tickex.services.with_ports(organizer_self_serve=True)).register_user(
    RegisterUser(email="fuzz-org@example.com", password="fuzzing password", name="Fuzz org",
                 as_organizer=True)
)  # fmt: skip
_ORGANIZER = {
    "Authorization": "Bearer "
    + _tickex.log_in(LogIn(email="fuzz-org@example.com", password="fuzzing password")).access_token
}
assert _organizer.organizer_id is not None
# and an API key of that organizer with every scope (it may not manage keys: 403)
_API_KEY = {
    "Authorization": "Bearer "
    + _tickex.issue_api_key(
        IssueApiKey(organizer_id=_organizer.organizer_id, name="Fuzz", scopes=frozenset(ApiScope))
    ).secret
}
organizer_routes = schema.include(tag_regex="organizer")
# the routes behind a bearer token, signed in (logoutEverywhere would end the session)
signed_in = schema.include(tag_regex="accounts|admin").exclude(operation_id="logoutEverywhere")

CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
]


def _call_and_validate(case: Any, headers: dict[str, str]) -> None:
    """Call and check against the document (a generated body over the size limit gets the
    413 that every body-taking operation documents). A 413 is the right rejection of an
    oversized body whether or not it also breaks the schema, so it is not held against the
    negative-data check (whose list of rejections does not name it); the status code and
    the problem body are still checked."""
    response = case.call(headers=headers)
    checks_ = CHECKS if response.status_code != 413 else [
        check for check in CHECKS if check is not openapi_checks.negative_data_rejection
    ]  # fmt: skip
    case.validate_response(response, checks=checks_)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_documented_promises(case: Any) -> None:
    _call_and_validate(case, {})


@signed_in.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_signed_in_routes_keep_their_promises(case: Any) -> None:
    _call_and_validate(case, _BEARER)


@organizer_routes.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_organizer_routes_keep_their_promises(case: Any) -> None:
    _call_and_validate(case, _ORGANIZER)


@organizer_routes.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_organizer_routes_keep_their_promises_with_an_api_key(case: Any) -> None:
    _call_and_validate(case, _API_KEY)
