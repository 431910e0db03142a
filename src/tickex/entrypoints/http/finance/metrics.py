"""``/v1/organizer/metrics``: an organizer's live sales per event and ticket type, and their
money per currency from the ledger (the shared guards and the ``organizer`` dependency:
``http/organizer.py``)."""

from __future__ import annotations

from litestar import get

from tickex.application.finance.organizer_metrics import GetOrganizerMetrics
from tickex.domain.identity import ApiScope
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.finance import schemas
from tickex.entrypoints.http.organizer import Organizer, OrganizerController, organizer_route


class OrganizerMetricsController(OrganizerController):
    @organizer_route(
        get, "/metrics", "getOrganizerMetrics", ApiScope.METRICS_READ,
        "Live sales per event and ticket type, and money per currency", 404,
    )  # fmt: skip
    def get_metrics(self, tickex: App, organizer: Organizer) -> schemas.OrganizerMetricsOut:
        metrics = tickex.organizer_metrics(GetOrganizerMetrics(organizer_id=organizer))
        return schemas.organizer_metrics(metrics)
