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

from litestar import post
from litestar.params import JSONBody

from tickex.application.identity.google_sign_in import CompleteGoogleSignIn, StartGoogleSignIn
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.identity import schemas
from tickex.entrypoints.http.routes import AccountsController, operation


class GoogleSignInController(AccountsController):
    path = "/v1/auth/google"

    @operation(
        post, "/start", "startGoogleSignIn",
        "Start signing in with Google: the URL to send the browser to, and a flow token", 404,
        429, 503, body=True, status_code=200,
    )  # fmt: skip
    def start_google_sign_in(
        self, data: JSONBody[schemas.StartGoogleSignInInput], tickex: App
    ) -> schemas.GoogleSignInStartedOut:
        started = tickex.start_google_sign_in(StartGoogleSignIn(redirect_uri=data.redirect_uri))
        return schemas.google_sign_in_started(started)

    @operation(
        post, "/complete", "completeGoogleSignIn",
        "Google's code and state, and the flow token, for an access and a refresh token", 401,
        403, 404, 409, 429, 503, body=True, status_code=200,
    )  # fmt: skip
    def complete_google_sign_in(
        self, data: JSONBody[schemas.CompleteGoogleSignInInput], tickex: App
    ) -> schemas.TokenPairOut:
        pair = tickex.complete_google_sign_in(CompleteGoogleSignIn(**data.model_dump()))
        return schemas.token_pair(pair)
