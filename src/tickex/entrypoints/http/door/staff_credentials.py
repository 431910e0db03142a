"""``/v1/organizer/.../staff-credentials``: an organizer issues, lists and revokes the
door-scanner tokens of their events (the shared guards and the ``organizer`` dependency:
``http/organizer.py``)."""

from __future__ import annotations

from litestar import get, post
from litestar.params import JSONBody

from tickex.application.door.issue_staff_credential import IssueStaffCredential
from tickex.application.door.list_staff_credentials import ListStaffCredentials
from tickex.application.door.revoke_staff_credential import RevokeStaffCredential
from tickex.domain.identity import ApiScope
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.door import schemas
from tickex.entrypoints.http.organizer import Organizer, OrganizerController, organizer_route
from tickex.entrypoints.http.routes import PathId

CREDENTIALS = "/events/{event_id:str}/staff-credentials"


class StaffCredentialController(OrganizerController):
    @organizer_route(
        post, CREDENTIALS, "issueStaffCredential", ApiScope.STAFF_WRITE,
        "A door-scanner token for the event (the token is shown this once)", 404, body=True,
        status_code=201,
    )  # fmt: skip
    def issue_staff_credential(
        self, data: JSONBody[schemas.IssueStaffCredentialInput], tickex: App,
        organizer: Organizer, event_id: PathId,
    ) -> schemas.IssuedStaffCredentialOut:  # fmt: skip
        issued = tickex.issue_staff_credential(
            IssueStaffCredential(organizer_id=organizer, event_id=event_id, label=data.label)
        )
        return schemas.IssuedStaffCredentialOut(
            token=issued.token, credential=schemas.staff_credential(issued.credential)
        )

    @organizer_route(
        get, CREDENTIALS, "listStaffCredentials", ApiScope.STAFF_READ,
        "The event's door-scanner tokens (never the secrets), revoked ones included", 404, 422,
    )  # fmt: skip
    def list_staff_credentials(
        self, tickex: App, organizer: Organizer, event_id: PathId
    ) -> schemas.StaffCredentialListOut:
        credentials = tickex.list_staff_credentials(
            ListStaffCredentials(organizer_id=organizer, event_id=event_id)
        )
        return schemas.StaffCredentialListOut(
            items=[schemas.staff_credential(c) for c in credentials]
        )

    @organizer_route(
        post, "/staff-credentials/{credential_id:str}/revoke", "revokeStaffCredential",
        ApiScope.STAFF_WRITE, "Revoke a door-scanner token; it stops working at once", 404, 422,
        status_code=200,
    )  # fmt: skip
    def revoke_staff_credential(
        self, tickex: App, organizer: Organizer, credential_id: PathId
    ) -> schemas.StaffCredentialOut:
        revoked = tickex.revoke_staff_credential(
            RevokeStaffCredential(organizer_id=organizer, credential_id=credential_id)
        )
        return schemas.staff_credential(revoked)
