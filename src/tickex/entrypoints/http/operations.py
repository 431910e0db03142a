"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tickex.entrypoints.http.dependencies import App, Metrics
from tickex.entrypoints.http.problems import problem, problem_responses
from tickex.entrypoints.http.schemas import Output


class HealthOut(Output):
    status: Literal["ok", "ready"]


class OperationsController(Controller):
    path = "/"
    tags = ["operations"]

    @get("/healthz", operation_id="getHealth", summary="The process is up", sync_to_thread=False)
    def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get(
        "/readyz",
        operation_id="getReadiness",
        summary="Storage answers: the instance can take traffic",
        sync_to_thread=True,
        responses=problem_responses(503),
    )
    def readiness(self, request: Request[Any, Any, Any], tickex: App) -> Response[Any]:
        if not tickex.storage_ready():
            return problem(request, "not_ready", "storage does not answer")
        return Response(HealthOut(status="ready"))

    @get(
        "/metrics",
        operation_id="getMetrics",
        include_in_schema=False,
        sync_to_thread=True,  # the outbox backlog is read from storage
    )
    def metrics(self, metrics: Metrics) -> Response[bytes]:
        return Response(
            generate_latest(metrics.registry),
            media_type=CONTENT_TYPE_LATEST.removesuffix("; charset=utf-8"),  # Litestar adds it
            headers={"Cache-Control": "no-store"},
        )
