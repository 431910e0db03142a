"""Logs as JSON lines, for every process the ``tickex`` command starts (the API server,
the worker): records of TickEx's loggers, with their ``fields`` attribute (request id,
route, status, ...) as top-level keys. Nothing here knows HTTP.

No secret is written, whoever logs it: the value of a field whose name says it holds one
(``password``, ``token``, ``secret``, ``authorization``, ``api_key``, ``hash``,
``cookie``, ... at any depth of ``fields``) is replaced by ``[redacted]``, and so is a
TickEx secret (``tkx_<tag>_...``) quoted in a message or a traceback. The adapters keep
their errors free of values in the first place (the SQL engine hides bound parameters and
the server's DETAIL; the Mongo adapter the documents and keys of its errors)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Any

from pydantic_core import to_json

REDACTED = "[redacted]"
#: a word of a field's name that says its value is a secret (singular, lowercase)
SECRET_WORDS = frozenset({
    "password", "passwd", "passphrase", "token", "secret", "authorization", "bearer",
    "cookie", "hash", "digest", "signature", "credential", "apikey",
})  # fmt: skip
SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("secret", "key"), ("idempotency", "key")}
)
#: a last word that names the thing, not its secret: ``api_key_id``, ``token_count``
_NAMES_NOT_SECRETS = frozenset({"id", "ids", "count", "prefix", "at"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
_PLAIN = frozenset({str, int, float, bool, type(None)})  # values with nothing inside
# ``SecretToken``'s shape (tickex.ports.identity): tkx_<tag>_ and 256 bits, base64url
_TICKEX_SECRET = re.compile(r"\btkx_[a-z]{2}_[A-Za-z0-9_-]{43,}")


@lru_cache(maxsize=1024)
def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` (snake_case, kebab-case or camelCase) holds a
    secret: one of its words is in ``SECRET_WORDS`` (or two in ``SECRET_PAIRS``), unless
    its last word names the thing rather than its secret (``api_key_id``)."""
    words = _WORD.findall(_CAMEL.sub("_", name).lower())
    if not words or words[-1] in _NAMES_NOT_SECRETS:
        return False
    singular = [w[:-2] if w.endswith("hes") else w.removesuffix("s") for w in words]
    return any(w in SECRET_WORDS for w in singular) or any(
        pair in SECRET_PAIRS for pair in pairwise(singular)
    )


@lru_cache(maxsize=256)
def _any_secret_name(names: tuple[object, ...]) -> bool:
    return any(isinstance(name, str) and is_secret_name(name) for name in names)


def redacted(value: Any) -> Any:
    """``value`` with the value of every secret field replaced, at any depth of mappings,
    lists and tuples (a copy when something is replaced; ``value`` itself never changes).
    The access log's flat fields with no secret are checked, not copied."""
    if type(value) is dict or isinstance(value, Mapping):  # (an ABC check costs more)
        if not _any_secret_name(tuple(value)) and _PLAIN.issuperset(map(type, value.values())):
            return value
        return {
            key: REDACTED if isinstance(key, str) and is_secret_name(key) else redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redacted(item) for item in value]
    return value


def without_secrets(text: str) -> str:
    """``text`` with every TickEx secret in it redacted."""
    return _TICKEX_SECRET.sub(REDACTED, text) if "tkx_" in text else text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's ``fields``
    (values JSON has no type for as their ``str``), secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": without_secrets(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            document.update(redacted(fields))
        if record.exc_info:
            document["exception"] = without_secrets(self.formatException(record.exc_info))
        # pydantic's encoder: a few times faster than json.dumps, and this runs per request
        return to_json(document, fallback=str).decode()


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


__all__ = ["REDACTED", "JsonFormatter", "configure_logging", "is_secret_name", "redacted"]
