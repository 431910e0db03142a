"""What controllers receive from Litestar's dependency injection (``Provide`` in
``create_app``): the ``TickEx`` application and the application's metrics."""

from __future__ import annotations

from litestar.di import NamedDependency

from tickex.entrypoints.http.observability import HttpMetrics
from tickex.facade import TickEx

App = NamedDependency[TickEx]  # parameter name: tickex
Metrics = NamedDependency[HttpMetrics]  # parameter name: metrics
