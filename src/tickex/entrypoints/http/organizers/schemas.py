"""Transport schemas of the organizer-request routes (``/v1/me/organizer-request`` and
``/v1/admin/organizer-requests``) and of the organizer's payment account
(``/v1/organizer/payment-account``).

The bodies are strict (unknown fields refused, lengths bounded, no coercion): a body that
carries ``status``, ``organizer_id`` or ``user_id`` is refused before any use case runs.
What the user sees of their request leaves out the admin who decided; admins also see who
asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from tickex.application.command import MULTILINE, Name
from tickex.application.organizers.list_organizer_requests import OrganizerRequestList
from tickex.application.organizers.organizer_request_view import OrganizerRequestView
from tickex.application.organizers.payment_account import OnboardingStarted, PaymentAccountView
from tickex.domain.organizer_request import MAX_NOTE, MAX_REASON, OrganizerRequest
from tickex.entrypoints.http.schemas import Input, Output, next_offset

StatusName = Literal["pending", "approved", "rejected"]


class RequestOrganizerRoleInput(Input):
    organizer_name: Name | None = Field(
        default=None, description="the organizer's name (default: the account's name)"
    )
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE), MULTILINE] | None = Field(
        default=None, description="what the admins should know: the events you run"
    )


class RejectOrganizerRequestInput(Input):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON), MULTILINE] = (
        Field(description="told to the user (by email and on their request)")
    )


class OrganizerRequestOut(Output):
    id: str
    status: StatusName
    organizer_name: str
    note: str | None
    created_at: datetime
    decided_at: datetime | None
    reason: str | None = Field(description="why it was rejected")
    organizer_id: str | None = Field(description="the organizer created on approval")


class AdminOrganizerRequestOut(OrganizerRequestOut):
    user_id: str
    applicant_email: str
    applicant_name: str
    decided_by: str | None = Field(description="the admin's user id")


class OrganizerRequestListOut(Output):
    items: list[AdminOrganizerRequestOut]
    limit: int
    offset: int
    next_offset: int | None


def _fields(value: OrganizerRequest) -> dict[str, object]:
    return {
        "id": value.id, "status": value.status.value, "organizer_name": value.organizer_name,
        "note": value.note, "created_at": value.created_at, "decided_at": value.decided_at,
        "reason": value.reason, "organizer_id": value.organizer_id,
    }  # fmt: skip


def organizer_request(value: OrganizerRequest) -> OrganizerRequestOut:
    return OrganizerRequestOut.model_validate(_fields(value))


def admin_organizer_request(view: OrganizerRequestView) -> AdminOrganizerRequestOut:
    request = view.request
    return AdminOrganizerRequestOut.model_validate(
        _fields(request) | {
            "user_id": request.user_id, "applicant_email": view.applicant_email,
            "applicant_name": view.applicant_name, "decided_by": request.decided_by,
        }
    )  # fmt: skip


def organizer_request_list(found: OrganizerRequestList) -> OrganizerRequestListOut:
    return OrganizerRequestListOut(
        items=[admin_organizer_request(view) for view in found.items],
        limit=found.limit,
        offset=found.offset,
        next_offset=next_offset(found.offset, found.limit, found.has_more),
    )


# -- the organizer's payment account (``/v1/organizer/payment-account``) --------------------
class PaymentAccountOut(Output):
    provider: str = Field(description="the payment provider: stripe, or local")
    required: bool = Field(description="whether this provider needs the organizer's account "
                           "before paid tickets can be sold")  # fmt: skip
    account_id: str | None = Field(description="the connected account at the provider")
    charges_enabled: bool = Field(description="paid events can be published and sold")
    payouts_enabled: bool = Field(description="the provider pays the account out")
    requirements_due: list[str] = Field(description="what the provider needs now")
    disabled_reason: str | None = Field(description="why charges or payouts are off")
    as_of: datetime | None = Field(description="when the provider reported this state")


class PaymentOnboardingOut(Output):
    account: PaymentAccountOut
    url: str = Field(description="the provider's onboarding page (single use)")
    expires_at: datetime


def payment_account(view: PaymentAccountView) -> PaymentAccountOut:
    return PaymentAccountOut(
        provider=view.provider, required=view.required, account_id=view.account_id,
        charges_enabled=view.charges_enabled, payouts_enabled=view.payouts_enabled,
        requirements_due=list(view.requirements_due), disabled_reason=view.disabled_reason,
        as_of=view.as_of,
    )  # fmt: skip


def payment_onboarding(started: OnboardingStarted) -> PaymentOnboardingOut:
    return PaymentOnboardingOut(
        account=payment_account(started.account), url=started.url, expires_at=started.expires_at
    )
