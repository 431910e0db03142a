"""Identity: users, their roles and the credentials they hold.

Secrets never live here in clear: every token (refresh session, email verification,
password reset, API key, staff device) is stored as a digest, and passwords as a hash
made by the ``PasswordHasher`` port. Ids, human codes and secrets stay three things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tickex.domain.clock import require_aware
from tickex.domain.errors import Conflict, InvalidTransition, ValidationFailed


class Role(StrEnum):
    CUSTOMER = "customer"  # every user
    ORGANIZER = "organizer"  # runs events (approved by an admin, or self-serve)
    ADMIN = "admin"  # the platform


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(slots=True)
class User:
    id: str
    email: str  # lower-cased; unique
    name: str
    created_at: datetime
    roles: frozenset[Role] = frozenset({Role.CUSTOMER})
    password_hash: str | None = None  # None: signs in with Google only
    email_verified: bool = False
    google_subject: str | None = None  # unique when set
    organizer_id: str | None = None  # the organizer this user acts for
    status: UserStatus = UserStatus.ACTIVE
    sessions_valid_after: datetime | None = None  # tokens issued before are dead
    version: int = 0

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        if "@" not in self.email:
            raise ValidationFailed("an email address is needed", field="email")
        if Role.CUSTOMER not in self.roles:
            self.roles = self.roles | {Role.CUSTOMER}
        self.created_at = require_aware(self.created_at, "created_at")

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def grant(self, role: Role, organizer_id: str | None = None) -> None:
        if role is Role.ORGANIZER:
            if organizer_id is None:
                raise ValidationFailed("an organizer role needs the organizer it acts for")
            self.organizer_id = organizer_id
        self.roles = self.roles | {role}

    def end_all_sessions(self, now: datetime) -> None:
        """Every token issued until now stops working (password change, disable)."""
        self.sessions_valid_after = require_aware(now, "now")

    def session_is_current(self, issued_at: datetime) -> bool:
        return self.sessions_valid_after is None or issued_at > self.sessions_valid_after

    def change_password(self, password_hash: str, now: datetime) -> None:
        self.password_hash = password_hash
        self.end_all_sessions(now)

    def verify_email(self) -> None:
        self.email_verified = True

    def link_google(self, subject: str) -> None:
        """Sign in with this Google account (its ``sub``) from now on; an account is linked
        to one Google account at most."""
        if not subject:
            raise ValidationFailed("a Google subject is needed", field="google_subject")
        if self.google_subject is not None and self.google_subject != subject:
            raise Conflict("this account is linked to another Google account")
        self.google_subject = subject

    def reclaim_by_email_owner(self, sessions_end_at: datetime) -> None:
        """The provider proved who owns the address, and this account never did: whoever
        registered it may not, so their password and every session end (tokens issued
        until ``sessions_end_at`` stop working) and the email counts as verified."""
        self.password_hash = None
        self.end_all_sessions(sessions_end_at)
        self.email_verified = True

    def disable(self, now: datetime) -> None:
        if self.status is UserStatus.DISABLED:
            raise InvalidTransition("the user is already disabled")
        self.status = UserStatus.DISABLED
        self.end_all_sessions(now)

    def enable(self) -> None:
        if self.status is UserStatus.ACTIVE:
            raise InvalidTransition("the user is already active")
        self.status = UserStatus.ACTIVE


@dataclass(slots=True)
class RefreshSession:
    """One refresh token of a rotating family: using it rotates it (once); using a rotated
    one again is a reuse, and the whole family is revoked."""

    id: str
    user_id: str
    family_id: str
    token_hash: str  # digest of the refresh token; unique
    created_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.rotated_at is None and self.revoked_at is None and now < self.expires_at


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


@dataclass(slots=True)
class OneTimeToken:
    """A single-use, expiring token sent by email (verification, password reset)."""

    id: str
    user_id: str
    purpose: TokenPurpose
    token_hash: str  # unique
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class ApiScope(StrEnum):
    """What an organizer's API key may do: a closed set; every organizer route needs
    exactly one of them. A key carries a non-empty subset; a user's own access token is
    limited by its roles only (``Principal.scopes is None``). Whatever gives money back
    needs ``orders:refund``: refunding an order, and cancelling an event (which refunds
    every paid order of it); ``events:write`` does neither."""

    EVENTS_READ = "events:read"  # list and read the organizer's events
    EVENTS_WRITE = "events:write"  # events, ticket types, quotas, promo codes; publish
    ORDERS_REFUND = "orders:refund"  # refund an order; cancel an event (refunds its orders)
    METRICS_READ = "metrics:read"  # sales, revenue and payouts
    STAFF_READ = "staff:read"  # list an event's door-scanner credentials
    STAFF_WRITE = "staff:write"  # issue and revoke door-scanner credentials


@dataclass(slots=True)
class ApiKey:
    """An organizer's key for the external API: shown once, stored as a digest, scoped,
    revocable, with the time it was last used."""

    id: str
    organizer_id: str
    name: str
    prefix: str  # the first characters, shown in lists to tell keys apart
    key_hash: str  # unique
    created_at: datetime
    scopes: tuple[str, ...] = ()
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def granted_scopes(self) -> frozenset[ApiScope]:
        """The stored scopes this version knows; one it does not know grants nothing."""
        known = {scope.value: scope for scope in ApiScope}
        return frozenset(known[s] for s in self.scopes if s in known)


@dataclass(slots=True)
class StaffCredential:
    """A device token for scanning tickets at one event's door; revocable."""

    id: str
    event_id: str
    organizer_id: str
    label: str  # "North gate tablet"
    token_hash: str  # unique
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting, as the use cases see it (from an access token, an API key or a staff
    credential); authorization is decided against it at the use-case boundary."""

    user_id: str | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    organizer_id: str | None = None
    event_id: str | None = None  # staff credentials act for one event only
    scopes: frozenset[ApiScope] | None = None  # None: every scope the roles allow
    api_key_id: str | None = None  # set when an organizer's API key is acting

    def allows(self, scope: ApiScope) -> bool:
        """An API key only within its scopes; a user's own token is not limited by them."""
        return self.scopes is None or scope in self.scopes
