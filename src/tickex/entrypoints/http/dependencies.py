"""What controllers receive from Litestar's dependency injection (``Provide`` in
``create_app``): the ``TickEx`` application, the application's metrics and, on routes
behind the ``authenticated`` guard, the ``Principal``."""

from __future__ import annotations

from litestar.di import NamedDependency

from tickex.domain.identity import Principal
from tickex.entrypoints.http.observability import HttpMetrics
from tickex.facade import TickEx

App = NamedDependency[TickEx]  # parameter name: tickex
Metrics = NamedDependency[HttpMetrics]  # parameter name: metrics
CurrentPrincipal = NamedDependency[Principal]  # parameter name: principal
