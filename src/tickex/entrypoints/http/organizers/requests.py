"""Organizer role by request over HTTP.

``/v1/me/organizer-request``: the signed-in user asks for the organizer role and follows
their latest request. ``/v1/admin/organizer-requests``: admins list requests by status and
approve or reject them. Every route is behind the bearer guard; the admin routes also
behind the admin role (403 otherwise), and the use cases check the actor once more. The
user asking is always the signed-in one, never one named in a body.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import JSONBody, Parameter

from tickex.application.organizers.approve_organizer_request import ApproveOrganizerRequest
from tickex.application.organizers.get_organizer_request import GetOrganizerRequest
from tickex.application.organizers.list_organizer_requests import ListOrganizerRequests
from tickex.application.organizers.reject_organizer_request import RejectOrganizerRequest
from tickex.application.organizers.request_organizer_role import RequestOrganizerRole
from tickex.domain.identity import Role
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import BEARER, authenticated, require_role
from tickex.entrypoints.http.organizers import schemas
from tickex.entrypoints.http.routes import (
    AccountsController,
    AdminController,
    PageLimit,
    PageOffset,
    PathId,
    operation,
)


class MyOrganizerRequestController(AccountsController):
    path = "/v1/me/organizer-request"
    guards = [authenticated]
    security = BEARER

    @operation(
        post, "/", "requestOrganizerRole",
        "Ask the admins for the organizer role (one pending request at a time)", 401, 403, 409,
        body=True, status_code=201,
    )  # fmt: skip
    def request_organizer_role(
        self,
        data: JSONBody[schemas.RequestOrganizerRoleInput],
        tickex: App,
        principal: CurrentPrincipal,
    ) -> schemas.OrganizerRequestOut:
        request = tickex.request_organizer_role(
            RequestOrganizerRole(actor=principal, **data.model_dump())
        )
        return schemas.organizer_request(request)

    @operation(
        get, "/", "getOrganizerRequest",
        "The signed-in user's latest organizer request, pending or decided", 401, 403, 404,
    )  # fmt: skip
    def get_organizer_request(
        self, tickex: App, principal: CurrentPrincipal
    ) -> schemas.OrganizerRequestOut:
        request = tickex.get_organizer_request(GetOrganizerRequest(actor=principal))
        return schemas.organizer_request(request)


class AdminOrganizerRequestController(AdminController):
    path = "/v1/admin/organizer-requests"
    guards = [authenticated, require_role(Role.ADMIN)]
    security = BEARER

    @operation(
        get, "/", "listOrganizerRequests",
        "Organizer requests by status (pending by default), oldest first (admins only)", 401,
        403, 422,
    )  # fmt: skip
    def list_organizer_requests(
        self,
        tickex: App,
        principal: CurrentPrincipal,
        status: Annotated[
            schemas.StatusName, Parameter(description="pending (default), approved or rejected")
        ] = "pending",
        limit: PageLimit = 20,
        offset: PageOffset = 0,
    ) -> schemas.OrganizerRequestListOut:
        found = tickex.list_organizer_requests(
            ListOrganizerRequests(actor=principal, status=OrganizerRequestStatus(status),
                                  limit=limit, offset=offset)
        )  # fmt: skip
        return schemas.organizer_request_list(found)

    @operation(
        post, "/{request_id:str}/approve", "approveOrganizerRequest",
        "Approve a pending request: the user becomes an organizer at once (admins only)", 401,
        403, 404, 409, 422, status_code=200,
    )  # fmt: skip
    def approve_organizer_request(
        self, tickex: App, principal: CurrentPrincipal, request_id: PathId
    ) -> schemas.AdminOrganizerRequestOut:
        view = tickex.approve_organizer_request(
            ApproveOrganizerRequest(actor=principal, request_id=request_id)
        )
        return schemas.admin_organizer_request(view)

    @operation(
        post, "/{request_id:str}/reject", "rejectOrganizerRequest",
        "Reject a pending request with a reason the user is told (admins only)", 401, 403, 404,
        409, body=True, status_code=200,
    )  # fmt: skip
    def reject_organizer_request(
        self,
        data: JSONBody[schemas.RejectOrganizerRequestInput],
        tickex: App,
        principal: CurrentPrincipal,
        request_id: PathId,
    ) -> schemas.AdminOrganizerRequestOut:
        view = tickex.reject_organizer_request(
            RejectOrganizerRequest(actor=principal, request_id=request_id, reason=data.reason)
        )
        return schemas.admin_organizer_request(view)
