"""Transport schemas of Google sign-in (``/v1/auth/google``): strict inputs (unknown fields
refused, every string bounded and taken exactly as sent) and the started flow."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tickex.application.identity.google_sign_in import (
    AuthorizationCode,
    FlowToken,
    GoogleSignInStarted,
    OAuthState,
    RedirectUri,
)
from tickex.entrypoints.http.schemas import Input, Output


class StartGoogleSignInInput(Input):
    redirect_uri: RedirectUri = Field(
        description="where Google sends the browser back: exactly one of the configured "
        "TICKEX_GOOGLE_REDIRECT_URIS"
    )


class CompleteGoogleSignInInput(Input):
    code: AuthorizationCode = Field(description="the code Google sent back (works once)")
    state: OAuthState = Field(description="the state Google sent back, unchanged")
    flow_token: FlowToken = Field(description="the flow_token of startGoogleSignIn")


class GoogleSignInStartedOut(Output):
    authorization_url: str = Field(description="send the browser here (Google's consent)")
    flow_token: str = Field(
        description="opaque; keep it in this browser tab (sessionStorage) until the callback "
        "and send it to completeGoogleSignIn; never put it in a URL"
    )
    expires_at: datetime = Field(description="complete the sign-in before this")


def google_sign_in_started(started: GoogleSignInStarted) -> GoogleSignInStartedOut:
    return GoogleSignInStartedOut(
        authorization_url=started.authorization_url,
        flow_token=started.flow_token,
        expires_at=started.expires_at,
    )
