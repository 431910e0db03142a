"""Sessions: what a successful login or refresh hands out, shared by those use cases.

An access token (short-lived, signed, not stored) and a refresh token (an opaque
``SecretToken``, shown once; only its digest is stored in a ``RefreshSession``). Every
refresh token belongs to a family: a login starts one, each refresh rotates within it, and
reuse of a rotated token revokes the whole family. The family id is the access token's
``session_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from tickex.application.command import Result
from tickex.application.services import NeedsIdentity
from tickex.domain.identity import RefreshSession, User
from tickex.ports.identity import SecretPurpose, SecretToken
from tickex.ports.unit_of_work import UnitOfWork

#: what a client presents as a token (``tkx_rt_`` + 43 characters); bounded, taken exactly
#: as sent (never stripped: a padded value longer than the bound is refused, as documented)
PresentedToken = Annotated[
    str, StringConstraints(min_length=1, max_length=512, strip_whitespace=False)
]


class TokenPair(Result):
    """An OAuth-style token response. Both tokens are secrets: never logged."""

    user_id: str
    access_token: str = Field(repr=False)
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int  # seconds of validity of the access token
    access_expires_at: datetime
    refresh_token: str = Field(repr=False)
    refresh_expires_at: datetime
    session_id: str  # the refresh family


def start_session(
    services: NeedsIdentity,
    uow: UnitOfWork,
    user: User,
    now: datetime,
    family_id: str | None = None,
) -> TokenPair:
    """Store a new refresh session for ``user`` (in a new family unless ``family_id``) and
    issue the access token that goes with it. Call inside the unit of work."""
    family = family_id or services.ids.new_id()
    secret = SecretToken.generate(SecretPurpose.REFRESH)
    session = RefreshSession(
        id=services.ids.new_id(),
        user_id=user.id,
        family_id=family,
        token_hash=secret.digest,
        created_at=now,
        expires_at=now + services.identity.refresh_token_ttl,
    )
    uow.sessions.add(session)
    access = services.identity.access_tokens.issue(user.id, roles=user.roles, session_id=family)
    return TokenPair(
        user_id=user.id,
        access_token=access.token,
        expires_in=access.expires_in,
        access_expires_at=access.claims.expires_at,
        refresh_token=secret.value,
        refresh_expires_at=session.expires_at,
        session_id=family,
    )


def refresh_digest(presented: str) -> str | None:
    """The digest to look a presented refresh token up by, or None when it does not even
    look like one (no lookup needed)."""
    if SecretToken.purpose_of(presented) is not SecretPurpose.REFRESH:
        return None
    return SecretToken(SecretPurpose.REFRESH, presented).digest
