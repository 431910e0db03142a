"""Google sign-in: ``start_google_sign_in`` and ``complete_google_sign_in`` (OpenID
Connect authorization code flow with PKCE S256, ``state`` and ``nonce``; the id_token is
verified against the provider's JWKS by the ``OidcClient``). See docs/adr/0009-google-sign-in.md.

Nothing is stored between the two steps. The pending sign-in (state, nonce, PKCE
verifier, redirect URI, deadline) is sealed by the ``SecretBox`` into an opaque *flow
token* that the client keeps (sessionStorage) and sends back with the provider's ``code``
and ``state``: any worker process can open it, nobody can read or change it, and it
expires with the flow (10 minutes). The provider's code works once, so a completed flow
cannot be replayed.

Accounts link by Google subject first; else by the email the provider verified, when
Google is authoritative for it (Gmail, Google Workspace). An existing account with that
email is linked -- and if it never verified its address, whoever registered it did not
prove they own it: its password and every session end. An existing account of an address
Google is not authoritative for is not linked (log in with the password). Otherwise a new
customer account is opened, without a password. A disabled account is refused.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from tickex.application.command import Command, Result
from tickex.application.identity.mailed_token import enqueue_verification_email
from tickex.application.identity.session import TokenPair, start_session
from tickex.application.services import NeedsDelivery, NeedsIdentity, NeedsIdentityDelivery
from tickex.domain.errors import (
    AccountDisabled,
    ConcurrencyConflict,
    Conflict,
    DomainError,
    ValidationFailed,
)
from tickex.domain.identity import User
from tickex.ports.identity import (
    InvalidToken,
    OidcAuthorization,
    OidcClient,
    OidcIdentity,
    OidcRejected,
)
from tickex.ports.secret_box import SecretBox
from tickex.ports.unit_of_work import UnitOfWork

FLOW_PURPOSE = "tickex google sign-in flow v1"  # the flow token's associated data
#: addresses Google itself answers for (Gmail); Workspace accounts carry ``hd`` instead
GOOGLE_MAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200


class GoogleSignInDisabled(DomainError):
    """This server has no Google client configured (``TICKEX_GOOGLE_CLIENT_ID`` and
    ``TICKEX_GOOGLE_CLIENT_SECRET``)."""

    code: ClassVar[str] = "google_sign_in_disabled"


#: taken exactly as sent (never stripped): the provider and the flow compare them exactly
RedirectUri = Annotated[
    str, StringConstraints(min_length=1, max_length=2048, strip_whitespace=False)
]
AuthorizationCode = Annotated[
    str, StringConstraints(min_length=1, max_length=2048, strip_whitespace=False)
]
OAuthState = Annotated[str, StringConstraints(min_length=1, max_length=512, strip_whitespace=False)]
FlowToken = Annotated[str, StringConstraints(min_length=1, max_length=4096, strip_whitespace=False)]


class StartGoogleSignIn(Command):
    redirect_uri: RedirectUri  # one of ``IdentityPorts.google_redirect_uris``, exactly


class CompleteGoogleSignIn(Command):
    code: AuthorizationCode = Field(repr=False)
    state: OAuthState = Field(repr=False)
    flow_token: FlowToken = Field(repr=False)


class GoogleSignInStarted(Result):
    """Send the browser to ``authorization_url``; keep ``flow_token`` until the provider
    sends it back (``code`` and ``state``), then complete before ``expires_at``."""

    authorization_url: str = Field(repr=False)  # carries state and nonce
    flow_token: str = Field(repr=False)
    expires_at: datetime


def _google(services: NeedsIdentity) -> tuple[OidcClient, SecretBox]:
    if services.identity.oidc is None or services.identity.secret_box is None:
        raise GoogleSignInDisabled("Google sign-in is not configured on this server")
    return services.identity.oidc, services.identity.secret_box


def seal_flow(box: SecretBox, pending: OidcAuthorization) -> str:
    """The pending sign-in as a flow token (everything but the URL, which is not needed
    again)."""
    payload = {
        "state": pending.state,
        "nonce": pending.nonce,
        "code_verifier": pending.code_verifier,
        "redirect_uri": pending.redirect_uri,
        "expires_at": pending.expires_at.isoformat(),
    }
    return box.seal(json.dumps(payload, separators=(",", ":")).encode(), purpose=FLOW_PURPOSE)


def open_flow(box: SecretBox, token: str) -> OidcAuthorization:
    """The pending sign-in of a flow token; ``OidcRejected`` (reason ``flow``) for a token
    this server did not seal for Google sign-in."""
    try:
        payload = json.loads(box.open(token, purpose=FLOW_PURPOSE))
        expires_at = datetime.fromisoformat(payload["expires_at"])
        fields = [payload[name] for name in ("state", "nonce", "code_verifier", "redirect_uri")]
        if expires_at.tzinfo is None or not all(isinstance(v, str) and v for v in fields):
            raise ValueError("incomplete")
    except (InvalidToken, ValueError, TypeError, KeyError):
        raise OidcRejected("flow", "this sign-in is not valid; start again") from None
    state, nonce, verifier, redirect_uri = fields
    return OidcAuthorization(
        url="",
        redirect_uri=redirect_uri,
        expires_at=expires_at,
        state=state,
        nonce=nonce,
        code_verifier=verifier,
    )


def start_google_sign_in(
    services: NeedsIdentity, command: StartGoogleSignIn
) -> GoogleSignInStarted:
    oidc, box = _google(services)
    if command.redirect_uri not in services.identity.google_redirect_uris:
        raise ValidationFailed("this redirect_uri is not allowed", field="redirect_uri")
    pending = oidc.begin(command.redirect_uri)  # network (discovery, cached): no unit of work
    return GoogleSignInStarted(
        authorization_url=pending.url,
        flow_token=seal_flow(box, pending),
        expires_at=pending.expires_at,
    )


def complete_google_sign_in(
    services: NeedsIdentityDelivery, command: CompleteGoogleSignIn
) -> TokenPair:
    oidc, box = _google(services)
    pending = open_flow(box, command.flow_token)
    # state first, then the deadline, then the code exchange and the id_token: all before
    # any unit of work (two HTTP round trips must not hold a transaction open)
    identity = oidc.complete(pending, code=command.code, state=command.state)
    email = identity.email.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH:
        raise OidcRejected("claims", "the email address is too long")

    def work(uow: UnitOfWork) -> TokenPair:
        now = services.clock.now()
        user = uow.users.get_by_google_subject(identity.subject)
        if user is None:
            user = _link_or_open(services, uow, identity, email, now)
        elif not user.is_active:
            raise AccountDisabled("this account is disabled")
        return start_session(services, uow, user, now)

    return services.transaction(work)


def google_is_authoritative(identity: OidcIdentity, email: str) -> bool:
    """Google vouches for the mailbox itself -- a Gmail address, or a Google Workspace
    account (``hd``), whose domain the organisation controls -- rather than having checked
    once, when the Google account was made with an address elsewhere, that its owner could
    read it then (Google's guidance on linking accounts by email)."""
    return email.rpartition("@")[2] in GOOGLE_MAIL_DOMAINS or identity.hosted_domain is not None


def _link_or_open(
    services: NeedsDelivery, uow: UnitOfWork, identity: OidcIdentity, email: str, now: datetime
) -> User:
    user = uow.users.get_by_email(email)
    authoritative = google_is_authoritative(identity, email)
    if user is None:
        user = User(
            id=services.ids.new_id(),
            email=email,
            name=(identity.name or email.partition("@")[0] or email)[:MAX_NAME_LENGTH],
            created_at=now,
            email_verified=authoritative,  # else our own verification email proves it
            google_subject=identity.subject,
        )
        try:
            uow.users.add(user)
        except Conflict:  # a concurrent sign-in opened it: retry, and find it linked
            raise ConcurrencyConflict("the account was opened concurrently") from None
        if not authoritative:
            enqueue_verification_email(services, uow, user)
        return user
    if not authoritative:  # an old check of an address elsewhere must not take an account
        raise Conflict("an account with this email exists: log in with its password", field="email")
    if not user.is_active:
        raise AccountDisabled("this account is disabled")
    user.link_google(identity.subject)  # Conflict: linked to another Google account
    if not user.email_verified:
        user.reclaim_by_email_owner(_before_this_second(now))
        uow.sessions.revoke_user(user.id, now)
        if user.organizer_id is not None:  # keys the squatter made outlive their sessions
            for key in uow.api_keys.list_by_organizer(user.organizer_id):
                if key.is_active:
                    uow.api_keys.revoke(key.id, now)
    uow.users.save(user)
    return user


def _before_this_second(now: datetime) -> datetime:
    """Where to cut the sessions so that the access token issued now still works: access
    tokens carry whole seconds (``iat``, ADR 0007), so every token of an earlier second ends
    and only one issued in this very second could outlive the cut (its refresh session is
    revoked all the same)."""
    return now.replace(microsecond=0) - timedelta(microseconds=1)
