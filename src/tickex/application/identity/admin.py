"""What the admin-only use cases share: the check, at the use-case boundary, that the
actor is an admin's account (an API key or a staff device never is), and that an admin
does not decide about their own account (disable it, approve their own request): that
takes another admin."""

from __future__ import annotations

from tickex.domain.errors import Forbidden
from tickex.domain.identity import Principal, Role


class SelfDecision(Forbidden):
    """An admin's decision about their own account (code ``self_decision``, 403): another
    admin has to make it."""

    code = "self_decision"


def require_admin(actor: Principal, doing: str) -> str:
    """The admin's user id; ``Forbidden`` for anyone else."""
    if Role.ADMIN not in actor.roles or actor.user_id is None:
        raise Forbidden(f"only an admin may {doing}")
    return actor.user_id


def refuse_own_account(admin_id: str, user_id: str, doing: str) -> None:
    """``SelfDecision`` when the account ``doing`` is about is the admin's own."""
    if admin_id == user_id:
        raise SelfDecision(f"an admin may not {doing} their own account: ask another admin")
