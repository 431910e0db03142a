"""Google sign-in over HTTP: ``/v1/auth/google`` (docs/adr/0009-google-sign-in.md).

1. ``startGoogleSignIn`` with the front end's callback URL (one of the configured
   ``TICKEX_GOOGLE_REDIRECT_URIS``) answers Google's ``authorization_url`` and an opaque
   ``flow_token``. The front end keeps the flow token in the tab (sessionStorage) and sends
   the browser to the URL.
2. Google sends the browser back to the callback page with ``code`` and ``state``.
3. ``completeGoogleSignIn`` with ``code``, ``state`` and the flow token answers the same
   token pair as ``login``.

No state is kept on the server between the steps, so any worker can answer either. A
callback that did not start in this tab has no matching flow token and is refused (login
CSRF). Both steps talk to Google (blocking HTTP): they run in worker threads. When no
Google client is configured, both answer 404 ``google_sign_in_disabled``. Nothing here
logs or echoes a code, a state or a token; every response is ``Cache-Control: no-store``.
"""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from tickex.application.identity.google_sign_in import CompleteGoogleSignIn, StartGoogleSignIn
from tickex.entrypoints.http import google_schemas, schemas
from tickex.entrypoints.http.auth import NO_STORE
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.guards import require_json
from tickex.entrypoints.http.problems import problem_responses


class GoogleSignInController(Controller):
    path = "/v1/auth/google"
    tags = ["accounts"]
    cache_control = NO_STORE

    @post(
        "/start",
        operation_id="startGoogleSignIn",
        summary="Start signing in with Google: the URL to send the browser to, and a flow token",
        status_code=200,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(404, 415, 422, 429, 503),
    )
    def start_google_sign_in(
        self, data: JSONBody[google_schemas.StartGoogleSignInInput], tickex: App
    ) -> google_schemas.GoogleSignInStartedOut:
        started = tickex.start_google_sign_in(StartGoogleSignIn(redirect_uri=data.redirect_uri))
        return google_schemas.google_sign_in_started(started)

    @post(
        "/complete",
        operation_id="completeGoogleSignIn",
        summary="Google's code and state, and the flow token, for an access and a refresh token",
        status_code=200,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422, 429, 503),
    )
    def complete_google_sign_in(
        self, data: JSONBody[google_schemas.CompleteGoogleSignInInput], tickex: App
    ) -> schemas.TokenPairOut:
        pair = tickex.complete_google_sign_in(
            CompleteGoogleSignIn(code=data.code, state=data.state, flow_token=data.flow_token)
        )
        return schemas.token_pair(pair)
