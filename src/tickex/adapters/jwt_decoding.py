"""What the access-token verifier and the OIDC client share: a JWT decoded by PyJWT with
the time claims left to the caller (checked against the Clock port), and every failure
told as the stable reason word of the caller's error (``InvalidToken``, ``OidcRejected``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jwt

# Which PyJWT failure is which reason (none of them subclasses another); any other failure
# is ``malformed``, a missing claim is ``claims``.
REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.InvalidSignatureError, "signature"),
    (jwt.InvalidAudienceError, "audience"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.InvalidAlgorithmError, "algorithm"),
)


def decode_jwt(
    token: str,
    key: Any,
    *,
    algorithm: str,
    audience: str,
    issuer: str | Sequence[str],
    require: Iterable[str],
    refuse: Callable[[str, str], Exception],
    strict_aud: bool = False,
    reasons: Sequence[tuple[type[jwt.PyJWTError], str]] = REASONS,
) -> dict[str, Any]:
    """The verified claims of ``token``; raises ``refuse(reason, detail)``."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            options={
                "require": list(require),
                "verify_exp": False,  # checked by the caller against the Clock port
                "verify_nbf": False,
                "verify_iat": False,
                "strict_aud": strict_aud,
            },
        )
    except jwt.MissingRequiredClaimError as exc:
        raise refuse("claims", f"missing claim {exc.claim}") from None
    except jwt.PyJWTError as exc:
        reason = next((word for kind, word in reasons if isinstance(exc, kind)), "malformed")
        raise refuse(reason, "") from None
    return claims
