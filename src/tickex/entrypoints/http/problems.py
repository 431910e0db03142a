"""Errors as RFC 9457 problem details (``application/problem+json``).

One table maps every error the API can answer with to an HTTP status: domain errors by
their stable ``code``, request validation and routing errors by the codes this module
gives them. Nothing else in the HTTP layer picks a status for an error. Unexpected
exceptions become ``internal_error`` -- logged with their traceback, never sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import pydantic
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap
from pydantic import BaseModel, ConfigDict

from tickex.application.command import PATTERN_MESSAGES
from tickex.domain.errors import DomainError
from tickex.entrypoints.http.observability import problem_counted, request_context

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tickex:problem:"  # stable, absolute, and not pretending to be a web page

logger = logging.getLogger("tickex.http")

# -- the one mapping: error code -> HTTP status ------------------------------------------
DOMAIN_ERROR_STATUS = 422  # any DomainError not listed below: a broken business rule
STATUS_BY_CODE: Mapping[str, int] = {
    # request problems raised by the HTTP layer
    "malformed_request": 400,  # not parseable (broken JSON, wrong content type of a field)
    "not_found": 404,  # unknown route, unknown or foreign id (never tell the two apart)
    "method_not_allowed": 405,
    "request_too_large": 413,
    "unsupported_media_type": 415,
    "validation_failed": 422,  # parsed, but a field is missing, unknown or out of bounds
    "not_ready": 503,
    "internal_error": 500,
    "rate_limited": 429,  # the HTTP layer's rate limits (entrypoints/http/rate_limit.py)
    "rate_limit_unavailable": 503,  # only for a policy that fails closed
    # domain and application errors (tickex.domain.errors, use-case modules)
    "invalid_credentials": 401,  # wrong email or password (never says which)
    "invalid_token": 401,  # a bearer or refresh token refused, or none given
    "token_expired": 401,  # the access token expired: refresh and retry
    "account_disabled": 403,
    "oidc_rejected": 401,  # Google sign-in refused (state, flow token, code, id_token): restart
    "email_unverified": 401,  # the provider does not vouch for the email: never linked by it
    "oidc_unavailable": 503,  # the identity provider is down: try again
    "google_sign_in_disabled": 404,  # no Google client configured on this server
    "forbidden": 403,  # signed in, but without the role this needs
    "self_decision": 403,  # an admin about their own account (disable, approve): another admin
    "last_admin": 409,  # disabling it would leave no active admin
    "conflict": 409,
    "concurrency_conflict": 409,
    "invalid_transition": 409,
    "sold_out": 409,
    "promo_code_exhausted": 409,
    "total_changed": 409,
    "not_on_sale": 422,
    "order_limit_exceeded": 422,
    "promo_code_invalid": 422,
    "date_out_of_range": 422,  # a date too far in the past or future (application/date_bounds)
    "payment_unavailable": 503,
    "payment_refused": 502,  # the provider refused the checkout for good
    "payments_not_enabled": 409,  # the organizer's payment account cannot take charges yet
    "payment_onboarding_unavailable": 409,  # this payment provider needs no onboarding
    "webhook_rejected": 400,  # a payment webhook whose signature (or mode) does not verify
    "ledger_unbalanced": 500,  # an invariant broke: a bug, not the buyer's doing
    "idempotency_key_reused": 422,  # the key was used for another request
    "idempotency_request_in_flight": 409,  # the first request with the key still runs
}
TITLES: Mapping[str, str] = {
    "malformed_request": "The request could not be parsed",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "request_too_large": "Request too large",
    "unsupported_media_type": "Unsupported media type",
    "validation_failed": "The request is not valid",
    "not_ready": "Not ready",
    "rate_limited": "Too many requests",
    "rate_limit_unavailable": "Rate limiter unavailable",
    "internal_error": "Internal error",
    "invalid_credentials": "Wrong email or password",
    "invalid_token": "Not signed in",
    "token_expired": "Access token expired",
    "account_disabled": "Account disabled",
    "oidc_rejected": "Sign-in refused",
    "email_unverified": "Email not verified by the provider",
    "oidc_unavailable": "Identity provider unavailable",
    "google_sign_in_disabled": "Google sign-in is not available",
    "forbidden": "Forbidden",
    "self_decision": "Another admin has to decide this",
    "last_admin": "The last active admin",
    "conflict": "Conflict",
    "concurrency_conflict": "Changed concurrently, please retry",
    "invalid_transition": "Not allowed in the current state",
    "sold_out": "Sold out",
    "promo_code_exhausted": "Promo code used up",
    "total_changed": "The total has changed",
    "not_on_sale": "Not on sale",
    "order_limit_exceeded": "Order limit exceeded",
    "promo_code_invalid": "Invalid promo code",
    "date_out_of_range": "Date out of range",
    "payment_unavailable": "Payment provider unavailable",
    "payment_refused": "Payment provider refused",
    "payments_not_enabled": "Payments not enabled for this organizer",
    "payment_onboarding_unavailable": "No payment onboarding with this provider",
    "webhook_rejected": "Webhook rejected",
    "ledger_unbalanced": "Internal error",
    "idempotency_key_reused": "Idempotency key used for another request",
    "idempotency_request_in_flight": "A request with this idempotency key is in progress",
}
_CODE_BY_HTTP_STATUS: Mapping[int, str] = {
    400: "malformed_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
}
# domain error context that is safe and useful for clients (no internal ids of others)
_PUBLIC_CONTEXT = ("field", "ticket_type_id", "ticket_type_name", "total_minor", "currency")


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, DOMAIN_ERROR_STATUS)


# -- the document ---------------------------------------------------------------------
class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str  # dotted path into the body, or the parameter's name
    message: str
    source: str = "body"  # body | query | path | header


class Problem(BaseModel):
    """RFC 9457 problem details, extended with TickEx's stable ``code``."""

    model_config = ConfigDict(frozen=True)

    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str
    errors: list[FieldError] | None = None  # validation_failed only
    context: dict[str, str | int] | None = None  # e.g. total_minor for total_changed


def problem(
    request: Request[Any, Any, Any],
    code: str,
    detail: str,
    *,
    status: int | None = None,
    errors: Sequence[FieldError] | None = None,
    context: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    status = status or status_for(code)
    body = Problem(
        type=TYPE_PREFIX + code,
        title=TITLES.get(code, code.replace("_", " ").capitalize()),
        status=status,
        detail=detail,
        code=code,
        request_id=request_context(request.scope).request_id,
        errors=list(errors) if errors is not None else None,
        context=dict(context) if context else None,
    )
    problem_counted(request.scope, code)
    return Response(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


# -- handlers -------------------------------------------------------------------------
def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    context = {
        key: value
        for key, value in exc.context.items()
        if key in _PUBLIC_CONTEXT and isinstance(value, str | int)
    }
    return problem(request, exc.code, exc.detail, context=context, headers=_headers_for(exc))


def _headers_for(exc: DomainError) -> dict[str, str]:
    """``WWW-Authenticate`` on every 401 (RFC 9110, RFC 6750), ``Retry-After`` on 429."""
    status = status_for(exc.code)
    if status == 401:
        challenge = {
            "invalid_token": 'Bearer realm="tickex", error="invalid_token"',
            "token_expired": 'Bearer realm="tickex", error="invalid_token", '
            'error_description="the access token expired"',
        }.get(exc.code, 'Bearer realm="tickex"')
        return {"WWW-Authenticate": challenge}
    retry_after = exc.context.get("retry_after_seconds")
    if status == 429 and isinstance(retry_after, int):
        return {"Retry-After": str(retry_after)}
    return {}


def _field_errors(extra: object) -> list[FieldError]:
    errors = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, Mapping):
            source = item.get("source")  # a ParamType enum for parameters
            errors.append(
                FieldError(
                    field=str(item.get("key") or "(body)"),
                    message=human_message(str(item.get("message", "invalid"))),
                    source=str(getattr(source, "value", source) or "body"),
                )
            )
    return errors


# a value that does not match a pattern, as pydantic (bodies, commands) and msgspec (path,
# query and header parameters: the pattern quoted as Python writes it) word it
_PATTERN_MISMATCH = re.compile(
    r"^(?:String should match pattern|Expected `str` matching regex) '(.*)'$", re.DOTALL
)
_VALUE_ERROR = "Value error, "  # pydantic's prefix to a validator's own message
# msgspec's other words for a parameter (``Expected `int` >= 1``), and ours for them
_PARAMETER_TYPE = re.compile(r"^Expected `(\w+)`, got `\w+`$")
_PARAMETER_BOUND = re.compile(r"^Expected `(\w+)`( of length)? (>=|<=|>|<) (\d+)$")
_KINDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "text"}
_BOUNDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}


def human_message(message: str) -> str:
    """A validation message for people: a pattern said in words (the application's
    ``PATTERN_MESSAGES``), never as the regular expression, which the OpenAPI document
    carries for clients; a parameter's type and bounds in words, not msgspec's; a
    validator's message without pydantic's prefix."""
    mismatch = _PATTERN_MISMATCH.match(message)
    if mismatch is not None:
        quoted = mismatch.group(1)
        for pattern, words in PATTERN_MESSAGES.items():
            if quoted in (pattern, repr(pattern)[1:-1]):
                return words
        return "is not in the format the API document gives for this field"
    if typed := _PARAMETER_TYPE.match(message):
        return f"must be {_KINDS.get(typed.group(1), typed.group(1))}"
    if bound := _PARAMETER_BOUND.match(message):
        kind, length, operator, limit = bound.groups()
        if length:
            return f"must have {_BOUNDS[operator]} {limit} characters"
        return f"must be {_KINDS.get(kind, kind)}, {_BOUNDS[operator]} {limit}"
    return message.removeprefix(_VALUE_ERROR)


_MISSING = re.compile(r"^Missing required (\w+) parameter '([^']{1,100})'")


def _request_invalid(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    # exc.detail repeats the URL (with its query string: it may hold an email): never sent
    errors = _field_errors(exc.extra)
    missing = _MISSING.match(exc.detail)
    if not errors and missing:
        source, name = missing.groups()
        errors = [FieldError(field=name, message="Field required", source=source)]
    return problem(
        request, "validation_failed", "the request has invalid or unknown fields", errors=errors
    )


def pydantic_field_errors(exc: pydantic.ValidationError, source: str = "body") -> list[FieldError]:
    return [
        FieldError(
            field=".".join(str(p) for p in err["loc"]) or "(body)",
            message=human_message(err["msg"]),
            source=source,
        )
        for err in exc.errors(include_url=False, include_input=False)
    ]


def _command_invalid(
    request: Request[Any, Any, Any], exc: pydantic.ValidationError
) -> Response[Any]:
    """A command refused what the transport schema let through (cross-field rules)."""
    return problem(
        request,
        "validation_failed",
        "the request has invalid or unknown fields",
        errors=pydantic_field_errors(exc),
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code if 400 <= exc.status_code < 600 else 500
    code = _CODE_BY_HTTP_STATUS.get(status)
    if code is None:  # e.g. 429 -> too_many_requests (from future guards and middleware)
        code = "internal_error" if status >= 500 else _status_name(status)
    detail = {
        "not_found": "no such resource",
        "method_not_allowed": "this method is not allowed here",
        "internal_error": "something went wrong on our side",
    }.get(code, exc.detail if status < 500 else "something went wrong on our side")
    headers = {
        name: value
        for name, value in (exc.headers or {}).items()
        if name.lower() in ("allow", "retry-after", "www-authenticate")
    }
    return problem(request, code, detail, status=status, headers=headers)


def _status_name(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "client_error"


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    context = request_context(request.scope)
    logger.error(
        "unhandled error",
        exc_info=exc,
        extra={"fields": {"request_id": context.request_id, "method": request.method,
                        "route": request.scope.get("path_template") or "unmatched"}},
    )  # fmt: skip
    return problem(request, "internal_error", "something went wrong on our side")


def exception_handlers() -> ExceptionHandlersMap:
    return {
        DomainError: _domain_error,
        ValidationException: _request_invalid,
        pydantic.ValidationError: _command_invalid,
        HTTPException: _http_error,
        Exception: _unexpected,
    }


# -- OpenAPI --------------------------------------------------------------------------
def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem responses a route documents (400 replaces Litestar's default shape)."""
    described = {
        400: "the request could not be parsed",
        404: "not found",
        401: "not signed in: no, a wrong or an expired bearer token, or wrong credentials",
        403: "signed in, but not allowed (a role is missing, or the account is disabled)",
        409: "conflict: sold out, used up, changed total or state",
        415: "the body is not application/json",
        422: "validation failed or a business rule refused the request",
        429: "too many requests: try again after Retry-After seconds",
        500: "internal error",
        501: "not available with this storage engine",
        503: "a dependency (storage, payment or identity provider) is unavailable",
    }
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=described[status],
            generate_examples=False,
        )
        for status in sorted({400, 500, *statuses})
    }
