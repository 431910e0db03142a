"""Contract suites for the identity ports (the idea of ``tickex.testing.contracts``).

Subclass ``PasswordHasherContract`` and provide a ``hasher`` fixture (cheap parameters:
the suite hashes a lot). Subclass ``AccessTokensContract`` and provide ``make_tokens``: a
factory ``make(issuer=ISSUER, audience=AUDIENCE, key="primary")`` of adapters on the
contract's ``clock`` fixture, where the same ``key`` name means the same key material.
``tests/unit/test_identity_primitives.py`` does both for the real adapters and the fakes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import timedelta

import pytest

from tickex.adapters.memory.clock import FixedClock
from tickex.domain.identity import Role
from tickex.ports.identity import (
    AccessTokens,
    InvalidToken,
    PasswordHasher,
    TokenExpired,
)
from tickex.testing.provided import provided

ISSUER = "https://tickex.test"
AUDIENCE = "tickex-api"

#: ``make_tokens(issuer=ISSUER, audience=AUDIENCE, key="primary")``: an adapter on the
#: contract's clock; the same ``key`` name means the same key material.
MakeTokens = Callable[..., AccessTokens]

MALFORMED_HASHES = (
    "",
    "x",
    "$",
    "$$$$",
    "$argon2id$v=19$m=19456,t=2,p=1$",
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$",
    "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHRzYWx0$aGFzaA",
    "$argon2id$v=19$m=99999999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
    "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt("password")
    "pbkdf2_sha256$600000$salt$aGFzaA==",
    "plain-text-password",
    "\x00\x00",
    "é" * 300,
)


class PasswordHasherContract:
    """Provide a ``hasher`` fixture (use cheap parameters: the contract hashes a lot)."""

    hasher = provided("hasher", ": the PasswordHasher under test")

    def test_a_hash_verifies_its_password(self, hasher: PasswordHasher) -> None:
        stored = hasher.hash("correct horse battery staple")
        assert hasher.verify(stored, "correct horse battery staple") is True

    def test_a_wrong_password_is_false(self, hasher: PasswordHasher) -> None:
        stored = hasher.hash("correct horse battery staple")
        for wrong in ("correct horse battery stapl", "Correct horse battery staple", "", " "):
            assert hasher.verify(stored, wrong) is False

    def test_the_hash_is_salted_and_never_contains_the_password(
        self, hasher: PasswordHasher
    ) -> None:
        first, second = hasher.hash("hunter2hunter2"), hasher.hash("hunter2hunter2")
        assert first != second
        assert "hunter2" not in first
        assert hasher.verify(first, "hunter2hunter2") and hasher.verify(second, "hunter2hunter2")

    def test_unicode_and_long_passwords_round_trip(self, hasher: PasswordHasher) -> None:
        for password in ("pässwörd 🔑 パスワード", "x" * 1024, "tab\tand\nnewline"):
            stored = hasher.hash(password)
            assert hasher.verify(stored, password)
            assert not hasher.verify(stored, password[:-1])

    def test_malformed_and_foreign_hashes_are_false_without_raising(
        self, hasher: PasswordHasher
    ) -> None:
        for bad in MALFORMED_HASHES:
            assert hasher.verify(bad, "password") is False
            assert hasher.verify(bad, "") is False

    def test_a_truncated_or_altered_hash_is_false(self, hasher: PasswordHasher) -> None:
        stored = hasher.hash("s3cret-pass")
        middle = len(stored) // 2
        altered = stored[:-3] + ("AAA" if stored[-3:] != "AAA" else "BBB")
        for bad in (stored[:-1], stored[:middle], altered, stored + "x"):
            assert hasher.verify(bad, "s3cret-pass") is False

    def test_a_fresh_hash_needs_no_rehash_but_garbage_does(self, hasher: PasswordHasher) -> None:
        assert hasher.needs_rehash(hasher.hash("whatever-it-is")) is False
        for bad in ("", "garbage", MALFORMED_HASHES[8]):
            assert hasher.needs_rehash(bad) is True


def _segment(payload: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def _flip(text: str, index: int) -> str:
    """Change one base64url character so that its high bits change too."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    char = text[index]
    replacement = alphabet[(alphabet.index(char) + 32) % 64] if char in alphabet else "A"
    return text[:index] + replacement + text[index + 1 :]


class AccessTokensContract:
    """Provide ``make_tokens`` (see :data:`MakeTokens`); the contract owns the clock."""

    @pytest.fixture
    def clock(self) -> FixedClock:
        return FixedClock()

    make_tokens = provided("make_tokens", ": makes the AccessTokens under test (MakeTokens)")

    @pytest.fixture
    def tokens(self, make_tokens: MakeTokens) -> AccessTokens:
        return make_tokens()

    def _refused(self, tokens: AccessTokens, token: str, code: str = "invalid_token") -> None:
        with pytest.raises(InvalidToken) as caught:
            tokens.verify(token)
        assert caught.value.code == code, caught.value.reason

    def test_an_issued_token_verifies_to_its_claims(
        self, tokens: AccessTokens, clock: FixedClock
    ) -> None:
        issued = tokens.issue("user-1", roles=[Role.CUSTOMER, Role.ORGANIZER], session_id="fam-1")
        claims = tokens.verify(issued.token)
        assert claims == issued.claims
        assert claims.subject == "user-1"
        assert claims.roles == {Role.CUSTOMER, Role.ORGANIZER}
        assert claims.session_id == "fam-1"
        assert claims.issued_at == clock.now().replace(microsecond=0)
        assert claims.expires_at > claims.issued_at
        assert issued.expires_in == (claims.expires_at - claims.issued_at).total_seconds()

    def test_no_accepted_token_outlives_max_lifetime(
        self, tokens: AccessTokens, clock: FixedClock
    ) -> None:
        """``max_lifetime`` is how long the revoked sessions are remembered: a token must be
        refused once that long has passed since it was issued."""
        issued = tokens.issue("user-1", roles=[], session_id="fam-1")
        assert tokens.max_lifetime >= timedelta(seconds=issued.expires_in)
        clock.set(issued.claims.issued_at + tokens.max_lifetime)
        with pytest.raises(TokenExpired):
            tokens.verify(issued.token)

    def test_the_token_is_not_in_the_repr(self, tokens: AccessTokens) -> None:
        issued = tokens.issue("user-1", roles=[], session_id="fam-1")
        assert issued.token not in repr(issued)

    def test_every_token_has_its_own_id(self, tokens: AccessTokens) -> None:
        first = tokens.issue("user-1", roles=[], session_id="fam-1")
        second = tokens.issue("user-1", roles=[], session_id="fam-1")
        assert first.token != second.token
        assert first.claims.token_id != second.claims.token_id

    def test_a_token_is_valid_until_it_expires_then_refused_as_expired(
        self, tokens: AccessTokens, clock: FixedClock
    ) -> None:
        issued = tokens.issue("user-1", roles=[Role.CUSTOMER], session_id="fam-1")
        clock.set(issued.claims.expires_at - timedelta(seconds=1))
        assert tokens.verify(issued.token).subject == "user-1"
        clock.set(issued.claims.expires_at + timedelta(minutes=10))
        with pytest.raises(TokenExpired) as caught:
            tokens.verify(issued.token)
        assert caught.value.code == "token_expired"

    def test_a_token_from_the_future_is_refused(
        self, tokens: AccessTokens, clock: FixedClock
    ) -> None:
        issued = tokens.issue("user-1", roles=[], session_id="fam-1")
        clock.advance(-timedelta(hours=1))
        self._refused(tokens, issued.token)

    def test_a_tampered_token_is_refused(self, tokens: AccessTokens) -> None:
        token = tokens.issue("user-1", roles=[Role.CUSTOMER], session_id="fam-1").token
        positions = {len(token) // 3, len(token) // 2, (2 * len(token)) // 3, len(token) - 10}
        for index in sorted(positions):
            if token[index] != ".":
                self._refused(tokens, _flip(token, index))

    def test_garbage_is_refused_as_invalid_without_other_errors(self, tokens: AccessTokens) -> None:
        for bad in ("", "abc", "a.b.c", "...", "x" * 10_000, "é.é.é", "mem.", "eyJ.eyJ.AA"):
            self._refused(tokens, bad)

    def test_a_token_for_another_audience_is_refused(self, make_tokens: MakeTokens) -> None:
        foreign = make_tokens(audience="another-api").issue("u", roles=[], session_id="f")
        self._refused(make_tokens(), foreign.token)

    def test_a_token_from_another_issuer_is_refused(self, make_tokens: MakeTokens) -> None:
        foreign = make_tokens(issuer="https://evil.test").issue("u", roles=[], session_id="f")
        self._refused(make_tokens(), foreign.token)

    def test_a_token_signed_with_another_key_is_refused(self, make_tokens: MakeTokens) -> None:
        foreign = make_tokens(key="another").issue("u", roles=[Role.ADMIN], session_id="f")
        self._refused(make_tokens(), foreign.token)

    def test_an_unsigned_alg_none_token_is_refused(
        self, tokens: AccessTokens, clock: FixedClock
    ) -> None:
        issued = tokens.issue("user-1", roles=[Role.CUSTOMER], session_id="fam-1")
        now = int(clock.now().timestamp())
        body = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-1",
            "iat": now,
            "exp": now + 600,
            "jti": "j",
            "sid": "fam-1",
            "roles": ["admin"],
        }
        for header in ({"alg": "none", "typ": "at+jwt"}, {"alg": "none"}, {"alg": "None"}):
            self._refused(tokens, f"{_segment(header)}.{_segment(body)}.")
            if issued.token.count(".") == 2:  # a JWT adapter: reuse its real header's kid
                head = issued.token.split(".")[0]
                real = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                forged = {**real, **header}
                self._refused(tokens, f"{_segment(forged)}.{_segment(body)}.")
