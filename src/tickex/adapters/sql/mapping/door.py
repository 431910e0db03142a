"""Door rows: check-ins and the staff credentials of scanners."""

from __future__ import annotations

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import plain_object, plain_row
from tickex.domain.check_in import CheckIn
from tickex.domain.identity import StaffCredential

check_in_row = plain_row(s.check_ins)
check_in_from_row = plain_object(CheckIn)
staff_credential_row = plain_row(s.staff_credentials)
staff_credential_from_row = plain_object(StaffCredential)
