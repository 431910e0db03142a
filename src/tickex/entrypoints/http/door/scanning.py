"""``POST /v1/scan``: a door scanner checks a ticket in.

The scanner presents its staff credential (``Authorization: Bearer tkx_sc_...``, issued by
the organizer for one event); the ``staff_authenticated`` guard runs the
``authenticate_staff`` use case. The event scanned for is the credential's, never one named
in the body. A revoked or unknown credential is 401 ``invalid_token``. Every scan answers
200 with the decision: a refusal at the door (already checked in, another event's ticket,
a forged code) is a result, not an error.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody

from tickex.application.door.authenticate_staff import AuthenticateStaff
from tickex.application.door.check_in import CheckInTicket
from tickex.domain.check_in import ScanDirection
from tickex.domain.errors import Forbidden
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.door import schemas
from tickex.entrypoints.http.guards import BEARER, NO_STORE, PRINCIPAL_STATE_KEY, bearer_token
from tickex.entrypoints.http.routes import operation
from tickex.facade import TickEx


async def staff_authenticated(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: a valid, unrevoked staff credential (401 ``invalid_token`` otherwise)."""
    tickex: TickEx = connection.app.state["tickex"]
    command = AuthenticateStaff(token=bearer_token(connection))
    connection.state[PRINCIPAL_STATE_KEY] = await anyio.to_thread.run_sync(
        tickex.authenticate_staff, command
    )


class ScanController(Controller):
    path = "/v1/scan"
    tags = ["door"]
    cache_control = NO_STORE
    security = BEARER

    @operation(
        post, "/", "scanTicket",
        "Check a ticket in (or out) at the door of the staff credential's event",
        401, 403, 404, 409, body=True, guards=[staff_authenticated], status_code=200,
    )  # fmt: skip
    def scan_ticket(
        self, data: JSONBody[schemas.ScanInput], tickex: App, principal: CurrentPrincipal
    ) -> schemas.ScanOut:
        if principal.event_id is None:  # not a staff credential: a bug of ours
            raise Forbidden("this needs a staff credential")
        result = tickex.check_in(
            CheckInTicket(
                event_id=principal.event_id, token=data.token, nonce=data.nonce, gate=data.gate,
                device=data.device, direction=ScanDirection(data.direction),
                scanned_at=data.scanned_at,
            )
        )  # fmt: skip
        return schemas.scan(result)
