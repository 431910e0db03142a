"""Identity primitives: the contract suites on the real adapters and the fakes, then what
is specific to argon2id, the EdDSA JWTs and the opaque secrets."""

from __future__ import annotations

import base64
import hashlib
import json
import string
import threading
import time
from datetime import timedelta

import argon2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from tickex.adapters.argon2_hasher import Argon2Parameters, Argon2PasswordHasher
from tickex.adapters.jwt_tokens import (
    JwtAccessTokens,
    key_id,
    public_key_from_text,
    raw_public_key,
)
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.identity import (
    InMemoryAccessTokens,
    InMemoryPasswordHasher,
    TokenVault,
)
from tickex.adapters.oidc import pkce_challenge
from tickex.domain.identity import Role
from tickex.ports.identity import (
    SECRET_BYTES,
    InvalidToken,
    SecretPurpose,
    SecretToken,
    TokenExpired,
    secret_digest,
    secret_matches,
)
from tickex.testing.identity_contracts import (
    AUDIENCE,
    ISSUER,
    AccessTokensContract,
    MakeTokens,
    PasswordHasherContract,
)

# -- the contracts ----------------------------------------------------------------------------


class TestArgon2PasswordHasher(PasswordHasherContract):
    @pytest.fixture
    def hasher(self) -> Argon2PasswordHasher:
        return Argon2PasswordHasher(Argon2Parameters.INSECURE_FAST)


class TestInMemoryPasswordHasher(PasswordHasherContract):
    @pytest.fixture
    def hasher(self) -> InMemoryPasswordHasher:
        return InMemoryPasswordHasher()


class TestJwtAccessTokens(AccessTokensContract):
    @pytest.fixture
    def make_tokens(self, clock: FixedClock) -> MakeTokens:
        keys: dict[str, Ed25519PrivateKey] = {}

        def make(
            issuer: str = ISSUER, audience: str = AUDIENCE, key: str = "primary"
        ) -> JwtAccessTokens:
            private = keys.setdefault(key, Ed25519PrivateKey.generate())
            return JwtAccessTokens(private, clock=clock, issuer=issuer, audience=audience)

        return make


class TestInMemoryAccessTokens(AccessTokensContract):
    @pytest.fixture
    def make_tokens(self, clock: FixedClock) -> MakeTokens:
        vaults: dict[str, TokenVault] = {}

        def make(
            issuer: str = ISSUER, audience: str = AUDIENCE, key: str = "primary"
        ) -> InMemoryAccessTokens:
            vault = vaults.setdefault(key, TokenVault())
            return InMemoryAccessTokens(clock=clock, issuer=issuer, audience=audience, vault=vault)

        return make


# -- argon2id ---------------------------------------------------------------------------------


def test_the_default_is_owasp_argon2id_and_it_is_slow_enough() -> None:
    hasher = Argon2PasswordHasher()
    started = time.perf_counter()
    stored = hasher.hash("correct horse battery staple")
    elapsed = time.perf_counter() - started
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(stored, "correct horse battery staple")
    assert not hasher.verify(stored, "correct horse battery stapler")
    assert hasher.needs_rehash(stored) is False
    assert elapsed > 0.001, "19 MiB x 2 passes cannot take under a millisecond"
    assert Argon2Parameters.OWASP.is_production_grade
    assert Argon2Parameters.RFC_9106_LOW_MEMORY.is_production_grade
    assert not Argon2Parameters.INSECURE_FAST.is_production_grade


def test_old_parameters_still_verify_but_ask_for_a_rehash() -> None:
    old = Argon2PasswordHasher(Argon2Parameters.INSECURE_FAST).hash("pw-from-2025")
    current = Argon2PasswordHasher(Argon2Parameters(memory_cost_kib=64, time_cost=2, parallelism=1))
    assert current.verify(old, "pw-from-2025")
    assert current.needs_rehash(old)
    assert not current.needs_rehash(current.hash("pw-from-2025"))


def test_an_argon2i_hash_verifies_but_needs_a_rehash_to_argon2id() -> None:
    legacy = argon2.PasswordHasher(
        time_cost=1, memory_cost=8, parallelism=1, type=argon2.Type.I
    ).hash("legacy")
    hasher = Argon2PasswordHasher(Argon2Parameters.INSECURE_FAST)
    assert legacy.startswith("$argon2i$")
    assert hasher.verify(legacy, "legacy")
    assert hasher.needs_rehash(legacy)


@pytest.mark.parametrize(
    ("memory", "time_cost", "parallelism"), [(4, 1, 1), (64, 0, 1), (64, 1, 0), (8, 1, 2)]
)
def test_impossible_argon2_parameters_are_refused(
    memory: int, time_cost: int, parallelism: int
) -> None:
    with pytest.raises(ValueError, match="must be"):
        Argon2Parameters(memory_cost_kib=memory, time_cost=time_cost, parallelism=parallelism)


def test_hashing_is_bounded_to_max_concurrency() -> None:
    hasher = Argon2PasswordHasher(Argon2Parameters.INSECURE_FAST, max_concurrency=2)
    inner = hasher._hasher
    running, peak, lock = 0, 0, threading.Lock()

    class Slow:
        def hash(self, password: str) -> str:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.02)
            with lock:
                running -= 1
            return inner.hash(password)

    hasher._hasher = Slow()  # type: ignore[assignment]
    threads = [threading.Thread(target=hasher.hash, args=("pw",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2


# -- EdDSA access tokens ------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def tokens(key: Ed25519PrivateKey, clock: FixedClock) -> JwtAccessTokens:
    return JwtAccessTokens(key, clock=clock, issuer=ISSUER, audience=AUDIENCE)


def _payload(clock: FixedClock, **changes: object) -> dict[str, object]:
    now = int(clock.now().timestamp())
    payload: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "exp": now + 900,
        "jti": "jti-1",
        "sid": "fam-1",
        "roles": ["customer"],
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def _reason(tokens: JwtAccessTokens, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        tokens.verify(token)
    return caught.value.reason


def test_the_token_is_an_rfc_9068_eddsa_jwt_with_our_claims(
    tokens: JwtAccessTokens, clock: FixedClock
) -> None:
    issued = tokens.issue("user-1", roles=[Role.ORGANIZER], session_id="fam-9")
    header = jwt.get_unverified_header(issued.token)
    assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": tokens.kid}
    body = jwt.decode(issued.token, options={"verify_signature": False})
    now = int(clock.now().timestamp())
    assert body == {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "exp": now + 900,
        "jti": issued.claims.token_id,
        "sid": "fam-9",
        "roles": ["organizer"],
    }
    assert issued.expires_in == 900


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused_for_its_algorithm(
    tokens: JwtAccessTokens, clock: FixedClock, alg: str
) -> None:
    def segment(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    head = segment({"alg": alg, "typ": "at+jwt", "kid": tokens.kid})
    assert _reason(tokens, f"{head}.{segment(_payload(clock))}.") == "algorithm"


def test_hs256_keyed_with_our_public_key_is_refused(
    tokens: JwtAccessTokens, key: Ed25519PrivateKey, clock: FixedClock
) -> None:
    """The classic key-confusion attack: HMAC with the (public) verification key."""
    secret = raw_public_key(key.public_key())
    forged = jwt.encode(
        _payload(clock), secret, algorithm="HS256", headers={"kid": tokens.kid, "typ": "at+jwt"}
    )
    assert _reason(tokens, forged) == "algorithm"


def test_an_rs256_token_with_our_kid_is_refused(tokens: JwtAccessTokens, clock: FixedClock) -> None:
    rsa_key = generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        _payload(clock), rsa_key, algorithm="RS256", headers={"kid": tokens.kid, "typ": "at+jwt"}
    )
    assert _reason(tokens, forged) == "algorithm"


def test_another_key_claiming_our_kid_fails_the_signature(
    tokens: JwtAccessTokens, clock: FixedClock
) -> None:
    forged = jwt.encode(
        _payload(clock),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": tokens.kid, "typ": "at+jwt"},
    )
    assert _reason(tokens, forged) == "signature"


def test_unknown_or_missing_kid_and_other_token_types_are_refused(
    tokens: JwtAccessTokens, key: Ed25519PrivateKey, clock: FixedClock
) -> None:
    payload = _payload(clock)
    no_kid = jwt.encode(payload, key, algorithm="EdDSA", headers={"typ": "at+jwt"})
    other_kid = jwt.encode(payload, key, algorithm="EdDSA", headers={"typ": "at+jwt", "kid": "k2"})
    id_token = jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": tokens.kid})
    assert _reason(tokens, no_kid) == "unknown_key"
    assert _reason(tokens, other_kid) == "unknown_key"
    assert _reason(tokens, id_token) == "malformed"  # typ JWT, not at+jwt
    assert _reason(tokens, "e" * 5000) == "malformed"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "another-api"}, "audience"),
        ({"aud": [AUDIENCE, "another-api"]}, "audience"),  # strict: exactly our audience
        ({"iss": "https://tickex.test.evil"}, "issuer"),
        ({"iss": "https://tickex.tes"}, "issuer"),
        ({"sid": None}, "claims"),
        ({"jti": None}, "claims"),
        ({"roles": None}, "claims"),
        ({"roles": "admin"}, "claims"),
        ({"roles": [1]}, "claims"),
        ({"roles": ["customer", "superuser"]}, "claims"),  # a role this version does not know
        ({"sub": ""}, "claims"),
        ({"iat": "yesterday"}, "claims"),
    ],
)
def test_each_claim_is_checked_with_its_reason(
    tokens: JwtAccessTokens,
    key: Ed25519PrivateKey,
    clock: FixedClock,
    changes: dict[str, object],
    reason: str,
) -> None:
    token = jwt.encode(
        _payload(clock, **changes),
        key,
        algorithm="EdDSA",
        headers={"kid": tokens.kid, "typ": "at+jwt"},
    )
    assert _reason(tokens, token) == reason


def test_expiry_has_a_thirty_second_leeway(tokens: JwtAccessTokens, clock: FixedClock) -> None:
    issued = tokens.issue("user-1", roles=[], session_id="fam-1")
    clock.set(issued.claims.expires_at + timedelta(seconds=29))
    assert tokens.verify(issued.token).subject == "user-1"
    clock.set(issued.claims.expires_at + timedelta(seconds=30))
    with pytest.raises(TokenExpired):
        tokens.verify(issued.token)


def test_a_correctly_signed_token_living_longer_than_the_configured_lifetime_is_refused(
    tokens: JwtAccessTokens, key: Ed25519PrivateKey, clock: FixedClock
) -> None:
    """A leaked signing key, or a token minted by a tool with its own lifetime, must not
    buy more than the configured 15 minutes (``exp - iat``), however far ``exp`` is."""
    now = int(clock.now().timestamp())

    def signed(iat: int, exp: int) -> str:
        return jwt.encode(
            _payload(clock, iat=iat, exp=exp),
            key,
            algorithm="EdDSA",
            headers={"kid": tokens.kid, "typ": "at+jwt"},
        )

    assert tokens.verify(signed(now, now + 900)).subject == "user-1"  # exactly the ttl
    assert _reason(tokens, signed(now, now + 901)) == "claims"
    assert _reason(tokens, signed(now, now + 86_400 * 365)) == "claims"
    assert _reason(tokens, signed(now - 3600, now + 60)) == "claims"  # an old iat, too
    assert tokens.max_lifetime == timedelta(seconds=930)


def test_key_rotation_by_kid(clock: FixedClock) -> None:
    old_key, new_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    before = JwtAccessTokens(old_key, clock=clock, issuer=ISSUER, audience=AUDIENCE)
    old_token = before.issue("user-1", roles=[], session_id="fam-1").token

    during = JwtAccessTokens(
        new_key, clock=clock, issuer=ISSUER, audience=AUDIENCE, previous_keys=[old_key.public_key()]
    )
    new_token = during.issue("user-1", roles=[], session_id="fam-1").token
    assert jwt.get_unverified_header(new_token)["kid"] == key_id(new_key.public_key())
    assert during.verify(old_token).subject == "user-1"
    assert during.verify(new_token).subject == "user-1"
    assert {k["kid"] for k in during.jwks()["keys"]} == {before.kid, during.kid}
    assert _reason(before, new_token) == "unknown_key"

    after = JwtAccessTokens(new_key, clock=clock, issuer=ISSUER, audience=AUDIENCE)
    assert _reason(after, old_token) == "unknown_key"
    assert after.verify(new_token).subject == "user-1"


def test_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037, appendix A.2 and A.3
    public = public_key_from_text("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    assert key_id(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    with pytest.raises(ValueError, match="32-byte"):
        public_key_from_text("c2hvcnQ")


def test_the_same_seed_gives_the_same_keys(clock: FixedClock) -> None:
    seed = bytes(range(32))
    first = JwtAccessTokens.from_seed(seed, clock=clock, issuer=ISSUER, audience=AUDIENCE)
    second = JwtAccessTokens.from_seed(seed, clock=clock, issuer=ISSUER, audience=AUDIENCE)
    assert first.kid == second.kid
    assert second.verify(first.issue("u", roles=[], session_id="f").token).subject == "u"


@pytest.mark.parametrize(
    "changes",
    [
        {"issuer": ""},
        {"ttl": timedelta(0)},
        {"ttl": timedelta(days=2)},
        {"leeway": timedelta(minutes=10)},
    ],
)
def test_unsafe_configuration_is_refused(clock: FixedClock, changes: dict[str, object]) -> None:
    config: dict[str, object] = {"clock": clock, "issuer": ISSUER, "audience": AUDIENCE}
    with pytest.raises(ValueError, match=r"required|between"):
        JwtAccessTokens(Ed25519PrivateKey.generate(), **{**config, **changes})  # type: ignore[arg-type]


# -- opaque secrets ---------------------------------------------------------------------------


def test_secret_tokens_are_256_bit_url_safe_and_tagged_by_purpose() -> None:
    alphabet = set(string.ascii_letters + string.digits + "-_")
    seen = set()
    for purpose in SecretPurpose:
        token = SecretToken.generate(purpose)
        prefix = f"tkx_{purpose.value}_"
        assert token.value.startswith(prefix)
        body = token.value.removeprefix(prefix)
        assert len(base64.urlsafe_b64decode(body + "=")) == SECRET_BYTES == 32
        assert set(token.value) <= alphabet
        assert SecretToken.purpose_of(token.value) is purpose
        seen.add(token.value)
    assert len(seen) == len(SecretPurpose)


def test_only_the_digest_is_stored_and_it_is_sha256_of_the_whole_value() -> None:
    token = SecretToken.generate(SecretPurpose.RESET_PASSWORD, random_bytes=lambda n: b"\x01" * n)
    assert token.value == "tkx_rp_" + base64.urlsafe_b64encode(b"\x01" * 32).decode().rstrip("=")
    assert (
        token.digest
        == hashlib.sha256(token.value.encode()).hexdigest()
        == secret_digest(token.value)
    )
    assert token.value not in repr(token)
    assert secret_matches(token.value, token.digest)
    assert not secret_matches(token.value[:-1], token.digest)
    assert not secret_matches(token.value + "A", token.digest)
    assert not secret_matches("x" * 10_000, token.digest)
    other = SecretToken.generate(SecretPurpose.REFRESH, random_bytes=lambda n: b"\x01" * n)
    assert other.digest != token.digest  # the same randomness for another purpose differs


def test_the_display_prefix_tells_keys_apart_and_reveals_little() -> None:
    keys = [SecretToken.generate(SecretPurpose.API_KEY) for _ in range(50)]
    prefixes = {key.display_prefix for key in keys}
    assert len(prefixes) == 50
    assert all(p.startswith("tkx_ak_") and len(p) == 15 for p in prefixes)
    assert all(len(key.value) - len(key.display_prefix) >= 35 for key in keys)


def test_purpose_of_rejects_foreign_shapes() -> None:
    for bad in ("", "tkx", "tkx_rt_", "tkx_zz_" + "A" * 43, "abc_rt_" + "A" * 43, "tkx_rt_short"):
        assert SecretToken.purpose_of(bad) is None


def test_too_little_randomness_is_refused() -> None:
    with pytest.raises(ValueError, match="32 random bytes"):
        SecretToken.generate(SecretPurpose.API_KEY, random_bytes=lambda n: b"\x00" * 16)


def test_pkce_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
