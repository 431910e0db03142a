"""The pages behind the account emails' links (``/account/...``), followed from the real
emails the worker sends: opening a link changes nothing; the form's POST does, once."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

from tests.integration.http.test_recovery import (
    NEW_PASSWORD,
    PASSWORD,
    Client,
    advance,
    bearer,
    login,
    register,
    request_reset,
    sent,
)
from tickex.facade import TickEx


def link_of(tickex: TickEx, path: str) -> str:
    """The path and query of the link to ``path`` in the last email sent."""
    message = sent(tickex)[-1]
    home = re.escape(tickex.services.delivery.links.home())
    found = re.search(rf"{home}({re.escape(path)}\?\S+)", message.text)
    assert found, message.text
    return found.group(1)


def form_token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def test_opening_the_verification_link_verifies_nothing_until_confirmed(
    client: Client, tickex: TickEx
) -> None:
    account = register(client)
    tokens = login(client).json()
    link = link_of(tickex, "/account/verify-email")
    for _ in range(2):  # a mail scanner, then the person
        shown = client.get(link)
        assert shown.status_code == 200
        assert shown.headers["content-type"].startswith("text/html")
        assert shown.headers["cache-control"] == "no-store"
        assert 'action="/account/verify-email"' in shown.text
    assert client.get("/v1/me", headers=bearer(tokens)).json()["email_verified"] is False

    token = form_token(shown.text)
    assert link.endswith(token)
    confirmed = client.post("/account/verify-email", data={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert "confirmed" in confirmed.text
    assert "ana@example.com" in confirmed.text
    assert client.get("/v1/me", headers=bearer(tokens)).json()["email_verified"] is True
    assert account["id"] == client.get("/v1/me", headers=bearer(tokens)).json()["id"]

    again = client.post("/account/verify-email", data={"token": token})
    assert again.status_code == 400
    assert "not valid" in again.text


def test_a_reset_link_opens_a_form_that_changes_the_password_once(
    client: Client, tickex: TickEx
) -> None:
    register(client)
    tokens = login(client).json()
    request_reset(client, "ana@example.com")
    link = link_of(tickex, "/account/reset-password")
    shown = client.get(link)
    assert shown.status_code == 200
    assert 'autocomplete="new-password"' in shown.text
    token = form_token(shown.text)
    advance(tickex, timedelta(seconds=1))

    mismatch = {"token": token, "new_password": NEW_PASSWORD, "confirm_password": "other one!!!"}
    refused = client.post("/account/reset-password", data=mismatch)
    assert refused.status_code == 422
    assert "not the same" in refused.text
    assert form_token(refused.text) == token  # the form comes back, ready for another try
    short = {"token": token, "new_password": "short", "confirm_password": "short"}
    assert client.post("/account/reset-password", data=short).status_code == 422
    tabbed = {"token": token, "new_password": "with a\ttab inside",
              "confirm_password": "with a\ttab inside"}  # fmt: skip
    refused = client.post("/account/reset-password", data=tabbed)
    assert (refused.status_code, form_token(refused.text)) == (422, token)
    assert "control characters" in refused.text
    assert login(client).status_code == 200  # nothing changed so far

    body = {"token": token, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    changed = client.post("/account/reset-password", data=body)
    assert changed.status_code == 200, changed.text
    assert "Password changed" in changed.text
    assert client.get("/v1/me", headers=bearer(tokens)).status_code == 401  # sessions ended
    advance(tickex, timedelta(seconds=1))
    assert login(client, PASSWORD).status_code == 401
    assert login(client, NEW_PASSWORD).status_code == 200
    assert client.post("/account/reset-password", data=body).status_code == 400  # used


def test_links_without_a_token_of_their_kind_are_refused(client: Client, tickex: TickEx) -> None:
    register(client)
    verify = form_token(client.get(link_of(tickex, "/account/verify-email")).text)
    for path in ("/account/verify-email", "/account/reset-password"):
        assert client.get(path).status_code == 400
        assert client.get(f"{path}?token=garbage").status_code == 400
        assert client.get(f"{path}?token={'x' * 600}").status_code == 400
    # a verification token is no reset token, and the other way round
    assert client.get(f"/account/reset-password?token={verify}").status_code == 400
    body = {"token": verify, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert client.post("/account/reset-password", data=body).status_code == 400
    assert client.post("/account/verify-email", data={}).status_code == 400
    assert login(client).status_code == 200


def test_the_pages_escape_what_they_show_and_stay_out_of_the_api_document(
    client: Client,
) -> None:
    evil = "tkx_ve_" + "A" * 43 + '"><script>alert(1)</script>'
    shown = client.get("/account/verify-email", params={"token": evil})
    assert "<script>" not in shown.text
    document = client.get("/schema/openapi.json").json()
    assert not [path for path in document["paths"] if path.startswith("/account")]


def test_the_emails_link_to_the_pages(client: Client, tickex: TickEx) -> None:
    register(client)
    link = urlsplit(
        tickex.services.delivery.links.home() + link_of(tickex, "/account/verify-email")
    )
    assert link.path == "/account/verify-email"
    assert client.get(f"{link.path}?{link.query}").status_code == 200
