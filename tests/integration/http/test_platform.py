"""The application shell: problem+json, request ids, security headers, CORS, health,
readiness, metrics and access logs."""

from __future__ import annotations

import json
import logging
import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import (
    Shop,
    UnreadyStorage,
    assert_problem,
    open_shop,
    order_body,
)
from tests.integration.http.test_organizer import sign_up
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.domain.outbox import MessageKind, OutboxMessage
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.observability import CONTENT_SECURITY_POLICY
from tickex.entrypoints.http.problems import STATUS_BY_CODE, status_for
from tickex.entrypoints.logs import JsonFormatter
from tickex.facade import TickEx
from tickex.ports.unit_of_work import UnitOfWork


def test_an_unknown_route_is_a_not_found_problem(client: TestClient[Litestar]) -> None:
    body = assert_problem(client.get("/v2/nothing-here"), 404, "not_found")
    assert body["title"] == "Not found"


def test_a_wrong_method_is_a_problem_with_allow(client: TestClient[Litestar]) -> None:
    response = client.delete("/v1/events")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_domain_errors_map_through_one_table() -> None:
    assert status_for("sold_out") == 409
    assert status_for("total_changed") == 409
    assert status_for("invalid_transition") == 409
    assert status_for("concurrency_conflict") == 409
    assert status_for("payment_unavailable") == 503
    assert status_for("validation_failed") == 422
    assert status_for("currency_mismatch") == 422  # not listed: a broken business rule
    assert all(100 <= status < 600 for status in STATUS_BY_CODE.values())


def test_an_unexpected_error_is_an_internal_error_without_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenStorage(InMemoryStorage):
        def unit_of_work(self) -> UnitOfWork:  # type: ignore[override]
            raise RuntimeError("db password is hunter2")

    broken_app = create_app(TickEx.in_memory(storage=BrokenStorage()))
    with TestClient(broken_app) as broken, caplog.at_level(logging.ERROR, logger="tickex.http"):
        response = broken.get("/v1/events/nightjar-live")
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert body["detail"] == "something went wrong on our side"
    logged = [r for r in caplog.records if r.name == "tickex.http" and r.exc_info]
    assert len(logged) == 1
    assert logged[0].fields["request_id"] == body["request_id"]  # type: ignore[attr-defined]


def test_every_response_carries_a_request_id(client: TestClient[Litestar], shop: Shop) -> None:
    responses = [
        client.get("/healthz"), client.get("/v1/events"), client.get("/nope"),
        client.post("/v1/orders", json={}), client.get("/docs"),
        client.get("/static/docs/tickex-docs.js"), client.get("/schema/openapi.json"),
    ]  # fmt: skip
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_sane_incoming_request_id_is_kept(client: TestClient[Litestar]) -> None:
    for incoming in ("req-42", "a" * 128, "trace:1.2_3-4"):
        response = client.get("/nope", headers={"X-Request-ID": incoming})
        assert response.headers["x-request-id"] == incoming
        assert response.json()["request_id"] == incoming


def test_an_insane_incoming_request_id_is_replaced(client: TestClient[Litestar]) -> None:
    for incoming in ("a" * 129, "has space", "<script>", "new\\nline"):
        response = client.get("/healthz", headers={"X-Request-ID": incoming})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


SECURITY = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def test_security_headers_on_every_kind_of_response(
    client: TestClient[Litestar], shop: Shop
) -> None:
    placed = client.post("/v1/orders", json=order_body(shop)).json()
    responses = [
        client.get("/v1/events"), client.get("/nope"), client.post("/v1/orders", json={}),
        client.get("/docs"), client.get("/static/docs/swagger-ui.css"),
        client.get("/pay/" + placed["payment_url"].rsplit("/", 1)[1]), client.get("/metrics"),
    ]  # fmt: skip
    for response in responses:
        for name, value in SECURITY.items():
            assert response.headers[name] == value, (response.url, name)
        assert "strict-transport-security" not in response.headers
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY  # no inline scripts


def test_hsts_only_over_https(api: Litestar) -> None:
    with TestClient(api, base_url="https://testserver.local") as secure:
        assert (
            secure.get("/healthz")
            .headers["strict-transport-security"]
            .startswith("max-age=31536000")
        )
        assert "strict-transport-security" in secure.get("/nope").headers


def test_cors_allows_only_configured_origins(tickex: TickEx) -> None:
    app = create_app(tickex, cors_origins=["https://shop.example"])
    with TestClient(app) as client:
        allowed = client.get("/healthz", headers={"Origin": "https://shop.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options("/v1/orders", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})  # fmt: skip
        assert preflight.status_code == 204
        assert "POST" in preflight.headers["access-control-allow-methods"]


def test_options_allows_every_method_of_the_path(tickex: TickEx) -> None:
    """The ``Allow`` of an ``OPTIONS`` answer names each documented method of the path
    (Litestar's own answer named only the first handlers of a path)."""
    organizer = sign_up(tickex, "allow@nightjar.example")
    with TestClient(create_app(tickex)) as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
        checked = {}
        for path, item in paths.items():
            methods = {m.upper() for m in item if m in ("get", "post", "put", "patch", "delete")}
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            answer = client.options(concrete, headers=organizer.headers)
            if answer.status_code == 204:
                checked[path] = answer.headers["allow"]
                assert answer.headers["allow"] == ", ".join(sorted({*methods, "OPTIONS"})), path
    assert checked["/v1/organizer/events"] == "GET, OPTIONS, POST"
    assert len(checked) >= len(paths) // 2  # the organizer's, the public and the buyer's


def test_no_cors_without_origins(client: TestClient[Litestar]) -> None:
    response = client.get("/healthz", headers={"Origin": "https://shop.example"})
    assert "access-control-allow-origin" not in response.headers


def test_health_and_readiness(client: TestClient[Litestar]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_not_ready_when_storage_does_not_answer() -> None:
    app = TickEx.in_memory(storage=UnreadyStorage())
    with TestClient(create_app(app)) as client:
        assert_problem(client.get("/readyz"), 503, "not_ready")
        assert client.get("/healthz").status_code == 200  # the process itself is fine


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(r"^" + pattern + "$", text, re.MULTILINE)
    assert found, f"{name} {labels} not in metrics"
    return float(found.group(1))


def test_metrics_count_requests_orders_rejections_and_the_outbox(
    client: TestClient[Litestar], shop: Shop, tickex: TickEx
) -> None:
    vip = {"items": [{"ticket_type_id": shop.vip, "quantity": 1}]}
    placed = client.post("/v1/orders", json=order_body(shop, **vip)).json()
    client.post("/v1/orders", json=order_body(shop, customer_email="ben@example.com", **vip))
    client.post("/pay/" + placed["payment_url"].rsplit("/", 1)[1])
    client.get("/nope")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert _sample(text, "tickex_orders_placed_total") == 1
    assert _sample(text, "tickex_sold_out_rejections_total") == 1
    assert _sample(text, "tickex_http_problems_total", code="sold_out") == 1
    assert _sample(text, "tickex_http_requests_total", method="POST", route="/v1/orders",
                   status="201") == 1  # fmt: skip
    assert _sample(text, "tickex_http_requests_total", method="POST", route="/v1/orders",
                   status="409") == 1  # fmt: skip
    assert _sample(text, "tickex_http_requests_total", method="GET", route="unmatched",
                   status="404") == 1  # fmt: skip
    assert _sample(text, "tickex_http_request_duration_seconds_count", method="POST",
                   route="/v1/orders") == 2  # fmt: skip
    pending = tickex.services.transaction(lambda uow: uow.outbox.pending_count())
    assert pending > 0  # the paid order's tickets wait for delivery
    assert _sample(text, "tickex_outbox_pending") == pending
    assert _sample(text, "tickex_outbox_dead") == 0
    tickex.process_outbox()
    assert _sample(client.get("/metrics").text, "tickex_outbox_pending") == 0


def test_each_application_has_its_own_metrics(tickex: TickEx) -> None:
    open_shop(tickex)
    with TestClient(create_app(tickex)) as first, TestClient(create_app(tickex)) as second:
        first.get("/healthz")
        first.get("/healthz")
        second.get("/healthz")
        labels = {"method": "GET", "route": "/healthz", "status": "200"}
        assert _sample(first.get("/metrics").text, "tickex_http_requests_total", **labels) == 2
        assert _sample(second.get("/metrics").text, "tickex_http_requests_total", **labels) == 1


def test_access_logs_are_structured_and_hold_no_personal_data(
    client: TestClient[Litestar], shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tickex.http.access"):
        placed = client.post("/v1/orders", json=order_body(shop),
                             headers={"X-Request-ID": "trace-1"}).json()  # fmt: skip
        client.get(f"/v1/orders/{placed['order_id']}", params={"email": "ana@example.com"})
        client.get("/nope")
    records = [r for r in caplog.records if r.name == "tickex.http.access"]
    assert len(records) == 3
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    first = lines[0]
    assert first["request_id"] == "trace-1"
    assert first["method"] == "POST"
    assert first["route"] == "/v1/orders"
    assert first["status"] == 201
    assert isinstance(first["latency_ms"], float)
    assert first["level"] == "info"
    assert lines[1]["route"] == "/v1/orders/{order_id}"  # the template, not the URL
    assert lines[2]["route"] == "unmatched"
    assert lines[2]["status"] == 404
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "ana@example.com" not in everything
    assert "Ana" not in everything
    assert placed["order_code"] not in everything


def test_other_http_errors_are_problems_named_after_their_status(tickex: TickEx) -> None:
    from litestar import get
    from litestar.exceptions import HTTPException

    from tickex.entrypoints.http.problems import exception_handlers

    @get("/limited", sync_to_thread=False)
    def limited() -> None:
        raise HTTPException(status_code=429, detail="slow down", headers={"Retry-After": "3"})

    @get("/teapot", sync_to_thread=False)
    def teapot() -> None:
        raise HTTPException(status_code=502, detail="upstream said: password=hunter2")

    app = Litestar([limited, teapot], exception_handlers=exception_handlers())
    with TestClient(app) as client:
        response = client.get("/limited")
        assert response.status_code == 429
        assert response.json()["code"] == "too_many_requests"
        assert response.json()["detail"] == "slow down"
        assert response.headers["retry-after"] == "3"
        upstream = client.get("/teapot")
        assert upstream.status_code == 502
        assert upstream.json()["code"] == "internal_error"
        assert "hunter2" not in upstream.text


def test_dead_outbox_messages_show_in_the_metrics(tickex: TickEx, shop: Shop) -> None:
    now = tickex.services.clock.now()
    message = OutboxMessage(id="m-dead", kind=MessageKind.NOTIFY_CUSTOMER, payload={},
                            idempotency_key="k-dead", created_at=now, available_at=now)  # fmt: skip
    message.gave_up(now, "550")
    tickex.services.transaction(lambda uow: uow.outbox.add(message))
    with TestClient(create_app(tickex)) as client:
        assert _sample(client.get("/metrics").text, "tickex_outbox_dead") == 1
