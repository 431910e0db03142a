"""Stripe's wire format as the fake speaks it: the constants, the example objects it starts
from, its errors (``StripeFailure``) and the form encoding of requests with the readers of
their parameters."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

Json = dict[str, Any]

TEST_SECRET_KEY = "sk_test_fake_0123456789abcdef"
MIN_EXPIRY_SECONDS = 30 * 60  # Stripe: expires_at between 30 minutes ...
MAX_EXPIRY_SECONDS = 24 * 3600  # ... and 24 hours after the session is created
MAX_METADATA_KEYS = 50
MAX_BODY_BYTES = 1024 * 1024
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    402: "card_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    409: "idempotency_error",
    429: "invalid_request_error",
}
#: an account whose holder gave Stripe everything: it takes charges and is paid out
ONBOARDED: dict[str, Any] = {"charges_enabled": True, "payouts_enabled": True,
                             "details_submitted": True, "currently_due": (),
                             "disabled_reason": None}  # fmt: skip
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def fixtures() -> dict[str, Json]:
    """Stripe's own example objects the fake starts from, by object type."""
    text = resources.files("tickex.testing").joinpath("stripe_data/fixtures.json").read_text()
    loaded: dict[str, Json] = json.loads(text)["resources"]
    return loaded


class StripeFailure(Exception):
    """An API error as Stripe answers it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        saved: bool = False,  # a failure the idempotency layer keeps (not a bad request)
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.type = type or ERROR_TYPES.get(status, "api_error")
        self.saved = saved

    def body(self) -> Json:
        error: Json = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeFailure:
    return StripeFailure(404, f"No such {kind}: '{object_id}'", code="resource_missing",
                         param=param)  # fmt: skip


def invalid(param: str, message: str, code: str = "parameter_invalid_empty") -> StripeFailure:
    return StripeFailure(400, message, code=code, param=param)


# -- Stripe's form encoding ---------------------------------------------------------------
def decode_form(body: str) -> Json:
    """``a[b][0][c]=1&a[d]=x`` -> ``{"a": {"b": [{"c": "1"}], "d": "x"}}``: Stripe's
    bracket notation, with integer segments as list indexes. Values stay strings."""
    tree: Json = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head, *_SEGMENT.findall("[" + rest)] if rest else [head]
        node = tree
        for segment in path[:-1]:
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                raise invalid(key, f"Invalid object: {key}", "parameter_invalid_object")
            node = child
        node[path[-1]] = value
    result = _lists(tree)
    assert isinstance(result, dict)
    return result


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


def int_param(params: Json, name: str, *, minimum: int = 0, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise invalid(name, f"Missing required param: {name}.", "parameter_missing")
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d{1,15}", raw):
        raise invalid(name, f"Invalid integer: {raw}", "parameter_invalid_integer")
    value = int(raw)
    if value < minimum:
        raise invalid(name, f"This value must be greater than or equal to {minimum}.",
                      "parameter_invalid_integer")  # fmt: skip
    return value


def bool_param(params: Json, name: str) -> bool:
    raw = params.get(name, "false")
    if raw not in ("true", "false"):
        raise invalid(name, f"Invalid boolean: {raw}", "parameter_invalid_boolean")
    return bool(raw == "true")


def metadata_param(params: Json, name: str = "metadata") -> dict[str, str]:
    raw = params.get(name, {})
    if raw == "":
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_METADATA_KEYS:
        raise invalid(name, "Invalid metadata: at most 50 keys of strings.")
    for key, value in raw.items():
        if not isinstance(value, str) or len(key) > 40 or len(value) > 500:
            raise invalid(f"{name}[{key}]", "Metadata keys are at most 40 characters and "
                          "values at most 500 characters.")  # fmt: skip
    return dict(raw)
