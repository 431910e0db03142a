"""Door rows: check-ins and the staff credentials of scanners."""

from __future__ import annotations

from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow, from_row, to_row
from tickex.domain.check_in import CheckIn, CheckInResult, RejectionReason, ScanDirection
from tickex.domain.identity import StaffCredential


def check_in_row(c: CheckIn) -> dict[str, Any]:
    return to_row(s.check_ins, c)


def check_in_from_row(r: AnyRow) -> CheckIn:
    reason = None if r.reason is None else RejectionReason(r.reason)
    return from_row(
        CheckIn,
        r,
        direction=ScanDirection(r.direction),
        result=CheckInResult(r.result),
        reason=reason,
    )


def staff_credential_row(c: StaffCredential) -> dict[str, Any]:
    return to_row(s.staff_credentials, c)


def staff_credential_from_row(r: AnyRow) -> StaffCredential:
    return from_row(StaffCredential, r)
