"""What the admin-only use cases share: the check, at the use-case boundary, that the
actor is an admin's account (an API key or a staff device never is)."""

from __future__ import annotations

from tickex.domain.errors import Forbidden
from tickex.domain.identity import Principal, Role


def require_admin(actor: Principal, doing: str) -> str:
    """The admin's user id; ``Forbidden`` for anyone else."""
    if Role.ADMIN not in actor.roles or actor.user_id is None:
        raise Forbidden(f"only an admin may {doing}")
    return actor.user_id
