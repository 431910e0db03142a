"""Transport schemas of the organizer's API keys (``/v1/organizer/api-keys``).

The input is strict like every ``Input``: unknown fields are refused, the name and the
list of scopes are bounded, and a scope outside ``ApiScope`` is a 422. Outputs never carry
a key's digest; the secret appears once, in the answer to ``createApiKey``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from tickex.application.identity.issue_api_key import IssuedApiKey
from tickex.application.identity.list_api_keys import ApiKeyView
from tickex.domain.identity import ApiScope
from tickex.entrypoints.http.schemas import Choice, Input, Output


class CreateApiKeyInput(Input):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: Annotated[list[Choice[ApiScope]], Field(min_length=1, max_length=len(ApiScope))]


class ApiKeyOut(Output):
    id: str
    name: str
    prefix: str  # the first characters of the secret, to tell keys apart
    scopes: list[ApiScope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedApiKeyOut(Output):
    secret: str  # shown once: only its digest is stored
    api_key: ApiKeyOut


class ApiKeyListOut(Output):
    items: list[ApiKeyOut]


def api_key(value: ApiKeyView) -> ApiKeyOut:
    return ApiKeyOut(
        id=value.id, name=value.name, prefix=value.prefix, scopes=list(value.scopes),
        created_at=value.created_at, last_used_at=value.last_used_at,
        revoked_at=value.revoked_at, active=value.is_active,
    )  # fmt: skip


def issued_api_key(value: IssuedApiKey) -> IssuedApiKeyOut:
    return IssuedApiKeyOut(secret=value.secret, api_key=api_key(ApiKeyView.of(value.key)))
