"""Logs as JSON lines, for every process the ``tickex`` command starts (the API server,
the worker): records of TickEx's loggers, with their ``fields`` attribute (request id,
route, status, ...) as top-level keys. Nothing here knows HTTP."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            document.update(fields)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for TickEx's loggers (idempotent)."""
    logger = logging.getLogger("tickex")
    if not any(getattr(h, "_tickex_json", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._tickex_json = True  # type: ignore[attr-defined]  # marks our own handler
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


__all__ = ["JsonFormatter", "configure_logging"]
