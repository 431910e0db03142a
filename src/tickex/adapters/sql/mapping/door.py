"""Door rows: check-ins and the staff credentials of scanners."""

from __future__ import annotations

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow, from_row, plain_object, plain_row
from tickex.domain.check_in import CheckIn, CheckInResult, RejectionReason, ScanDirection
from tickex.domain.identity import StaffCredential

check_in_row = plain_row(s.check_ins)


def check_in_from_row(r: AnyRow) -> CheckIn:
    reason = None if r.reason is None else RejectionReason(r.reason)
    return from_row(
        CheckIn,
        r,
        direction=ScanDirection(r.direction),
        result=CheckInResult(r.result),
        reason=reason,
    )


staff_credential_row = plain_row(s.staff_credentials)
staff_credential_from_row = plain_object(StaffCredential)
