"""The OpenAPI document, the docs UI (self-hosted, nothing from a CDN) and docs/api.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.problems import STATUS_BY_CODE
from tickex.entrypoints.http.schemas import Input
from tickex.facade import TickEx

ROOT = Path(__file__).resolve().parents[3]
EXTERNAL = re.compile(r"(https?:)?//[A-Za-z0-9]")
CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
PUBLIC_OPERATIONS = {
    "listEvents", "getEvent", "placeOrder", "getOrder", "findOrder", "cancelOrder", "getHealth",
    "getReadiness", "register", "login", "refreshToken", "logout", "logoutEverywhere",
    "changePassword", "getMe", "disableUser",
    "createEvent", "listOrganizerEvents", "getOrganizerEvent", "updateEvent", "publishEvent",
    "cancelEvent", "createTicketType", "updateTicketType", "createQuota", "createPromoCode",
    "refundOrder", "getOrganizerMetrics", "startPaymentOnboarding", "getPaymentAccount",
    "issueStaffCredential", "listStaffCredentials", "revokeStaffCredential", "scanTicket",
    "createApiKey", "listApiKeys", "revokeApiKey",
    "requestEmailVerification", "verifyEmail", "requestPasswordReset", "resetPassword",
    "startGoogleSignIn", "completeGoogleSignIn",
    "requestOrganizerRole", "getOrganizerRequest", "listOrganizerRequests",
    "approveOrganizerRequest", "rejectOrganizerRequest",
    "listPaymentReviews", "resolvePaymentReview", "adminRefundOrder",
}  # fmt: skip
HIDDEN_OPERATIONS = {
    "showCheckout", "confirmLocalPayment", "receiveStripeWebhook", "showDocs", "getMetrics",
    "showVerifyEmailPage", "verifyEmailPage", "showResetPasswordPage", "resetPasswordPage",
}  # fmt: skip


@pytest.fixture
def openapi(client: TestClient[Litestar]) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()  # valid JSON
    return document


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in document["paths"].values() for op in item.values()]


def test_the_document_is_openapi_3_1_with_every_public_operation(
    openapi: dict[str, Any],
) -> None:
    assert openapi["openapi"].startswith("3.1")
    assert openapi["info"]["title"] == "TickEx API"
    ids = [op["operationId"] for op in operations(openapi)]
    assert len(ids) == len(set(ids))
    assert set(ids) == PUBLIC_OPERATIONS
    assert all(CAMEL.match(i) for i in ids), ids
    assert all(p.startswith(("/v1/", "/healthz", "/readyz")) for p in openapi["paths"])


def test_every_route_of_ours_names_its_operation(api: Litestar) -> None:
    named = {}
    for route in api.routes:
        for handler in getattr(route, "route_handlers", []):
            module = getattr(handler.fn, "ref", handler.fn).__module__
            if not module.startswith(("litestar.routes", "litestar.static", "litestar._openapi")):
                assert handler.operation_id, (route.path, handler)
                named[handler.operation_id] = route.path
    assert set(named) == PUBLIC_OPERATIONS | HIDDEN_OPERATIONS
    assert all(CAMEL.match(str(i)) for i in named)


def test_request_bodies_forbid_unknown_fields_and_errors_are_problems(
    openapi: dict[str, Any],
) -> None:
    schemas = openapi["components"]["schemas"]
    for name in ("PlaceOrderInput", "OrderItemInput", "CancelOrderInput", "RegisterInput",
                 "LoginInput", "RefreshTokenInput", "ChangePasswordInput",
                 "RequestOrganizerRoleInput", "RejectOrganizerRequestInput",
                 "ResolvePaymentReviewInput"):  # fmt: skip
        assert schemas[name]["additionalProperties"] is False
    assert schemas["PlaceOrderInput"]["properties"]["customer_email"]["maxLength"] == 254
    for op in operations(openapi):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], op
                ref = response["content"]["application/problem+json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Problem"


def test_the_rules_between_fields_are_in_the_document(openapi: dict[str, Any]) -> None:
    """The document has no keyword Litestar writes for them: the schema says them in words."""
    schemas = openapi["components"]["schemas"]
    described = {
        "PlaceOrderInput": ("exactly one of event_slug and event_id",),
        "RefundOrderInput": ("ticket_ids or an amount, not both", "the whole order"),
        "CreateEventInput": ("ends_at after starts_at",),
        "UpdateEventInput": ("ends_at after starts_at", "the event's own"),
    }
    for name, phrases in described.items():
        for phrase in phrases:
            assert phrase in schemas[name].get("description", ""), (name, phrase)


@pytest.mark.parametrize("path", ["/docs", "/schema", "/schema/swagger"])
def test_the_docs_ui_is_self_hosted(client: TestClient[Litestar], path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not EXTERNAL.search(page.text), EXTERNAL.search(page.text)
    assert "cdn" not in page.text.lower()
    assert "<script>" not in page.text  # no inline script: the CSP forbids them
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert set(assets) == {
        "/static/docs/favicon-32x32.png", "/static/docs/swagger-ui.css",
        "/static/docs/swagger-ui-bundle.js", "/static/docs/tickex-docs.js",
    }  # fmt: skip
    assert 'data-spec-url="/schema/openapi.json"' in page.text


def test_the_docs_assets_load(client: TestClient[Litestar]) -> None:
    expected = {
        "/static/docs/swagger-ui-bundle.js": ("javascript", "SwaggerUIBundle"),
        "/static/docs/tickex-docs.js": ("javascript", "SwaggerUIBundle({"),
        "/static/docs/swagger-ui.css": ("text/css", ".swagger-ui"),
        "/static/docs/favicon-32x32.png": ("image/png", "PNG"),
    }
    for path, (content_type, marker) in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert content_type in response.headers["content-type"]
        assert marker in response.content.decode("latin-1")
    assert client.get("/static/docs/../app.py").status_code == 404


def test_docs_api_md_lists_every_error_code_and_operation(openapi: dict[str, Any]) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for code, status in STATUS_BY_CODE.items():
        assert re.search(rf"^\| `{code}` \| {status} \|", text, re.MULTILINE), code
    for operation_id in PUBLIC_OPERATIONS | HIDDEN_OPERATIONS:
        assert f"`{operation_id}`" in text, operation_id


def test_every_operation_with_a_body_documents_the_size_limit(client: TestClient[Litestar]) -> None:
    document = client.get("/schema/openapi.json").json()
    with_body = [
        operation
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert len(with_body) >= 15
    for operation in with_body:
        too_large = operation["responses"]["413"]
        assert "application/problem+json" in too_large["content"], operation["operationId"]


def _branches(spec: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("oneOf", "anyOf"):
        if key in spec:
            return [branch for option in spec[key] for branch in _branches(option)]
    return [spec]


def test_every_field_of_every_request_body_is_bounded_in_the_document(
    openapi: dict[str, Any],
) -> None:
    """What the inputs enforce, the document says -- optional fields included (Litestar
    drops the bounds of an optional ``Field(...)``; annotated-types bounds survive)."""
    create_app(TickEx.in_memory())  # every controller module imported: every input known
    names, pending = set(), [Input]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        names.add(model.__name__)
    components = openapi["components"]["schemas"]
    unbounded, checked = [], 0
    for name in sorted(names & set(components)):
        for field_name, spec in components[name].get("properties", {}).items():
            for branch in _branches(spec):
                kind, checked = branch.get("type"), checked + 1
                if kind in ("integer", "number"):
                    bounded = "minimum" in branch and "maximum" in branch
                elif kind == "string":
                    bounded = any(k in branch for k in ("maxLength", "enum", "const", "format"))
                elif kind == "array":
                    bounded = "maxItems" in branch
                else:
                    bounded = True
                if not bounded:
                    unbounded.append(f"{name}.{field_name}: {branch}")
    assert checked > 100
    assert not unbounded, unbounded
