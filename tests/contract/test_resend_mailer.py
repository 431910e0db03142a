"""``ResendMailer`` against a local fake of Resend's API (``tickex.testing.fake_resend``, a
real HTTP server on 127.0.0.1): the mailer contract, the request as Resend takes it, the
idempotency key, which failures the worker may retry, and a key that is never said."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.resend_mail import ResendMailer, idempotency_key
from tickex.ports.mail import Attachment, DeliveryError, EmailMessage
from tickex.testing.contracts import MailerContract
from tickex.testing.contracts.mail import Delivered
from tickex.testing.fake_resend import FakeResend

KEY = "re_test_Xq7v2pL9mN4kR8sT"
SENDER = "Nightjar <box@nightjar.example>"


@pytest.fixture
def resend() -> Iterator[FakeResend]:
    with FakeResend(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def mailer(resend: FakeResend) -> Iterator[ResendMailer]:
    client = ResendMailer(KEY, sender=SENDER, base_url=resend.base_url, timeout=5)
    yield client
    client.close()


class TestResendMailer(MailerContract):
    @pytest.fixture
    def mailer(self, resend: FakeResend) -> Iterator[ResendMailer]:
        client = ResendMailer(KEY, base_url=resend.base_url, timeout=5)
        yield client
        client.close()

    @pytest.fixture
    def delivered(self, resend: FakeResend) -> Delivered:
        return resend.delivered


def hello(key: str = "deliver:order-1", **fields: object) -> EmailMessage:
    values: dict[str, object] = {"to": "ana@example.com", "subject": "Your tickets ✓",
                                 "text": "Hello Ana", "idempotency_key": key, **fields}  # fmt: skip
    return EmailMessage(**values)  # type: ignore[arg-type]


def test_the_request_is_resends_wire_format(resend: FakeResend, mailer: ResendMailer) -> None:
    pdf = Attachment("ticket.pdf", "application/pdf", b"%PDF-1.7 \x00\xff fake")
    email_id = mailer.send(hello(html="<p>Hello Ána</p>", attachments=(pdf,),
                                 headers={"X-Order": "A5W2"}))  # fmt: skip
    (sent,) = resend.emails
    assert email_id == sent["id"]
    assert sent["from"] == SENDER
    assert sent["to"] == ["ana@example.com"]
    assert sent["subject"] == "Your tickets ✓"
    assert sent["text"] == "Hello Ana"
    assert sent["html"] == "<p>Hello Ána</p>"
    assert sent["headers"] == {"X-Order": "A5W2"}
    assert sent["attachments"][0]["content_type"] == "application/pdf"
    assert resend.attachments_of(sent) == [("ticket.pdf", pdf.data)]  # base64 on the wire
    assert resend.idempotency_keys == ["deliver:order-1"]


def test_an_image_the_html_shows_inline_carries_its_content_id(
    resend: FakeResend, mailer: ResendMailer
) -> None:
    qr = Attachment("ticket-A5W2-1.png", "image/png", b"\x89PNG fake", "ticket-A5W2-1@tickex")
    mailer.send(hello(html='<img src="cid:ticket-A5W2-1@tickex">', attachments=(qr,)))
    mailer.send(hello("deliver:order-2", attachments=(qr,)))  # no HTML: a plain attachment
    with_html, text_only = resend.emails
    assert with_html["attachments"][0]["content_id"] == "ticket-A5W2-1@tickex"
    assert "content_id" not in text_only["attachments"][0]
    assert resend.attachments_of(with_html) == [("ticket-A5W2-1.png", qr.data)]


def test_the_same_key_answers_the_same_id_and_sends_once(
    resend: FakeResend, mailer: ResendMailer
) -> None:
    first = mailer.send(hello("k:1"))
    assert mailer.send(hello("k:1")) == first
    assert mailer.send(hello("k:2")) != first
    assert len(resend.emails) == 2


def test_the_same_key_with_another_email_is_refused_for_good(
    resend: FakeResend, mailer: ResendMailer
) -> None:
    mailer.send(hello("k:1"))
    with pytest.raises(DeliveryError) as raised:
        mailer.send(hello("k:1", subject="Something else"))
    assert not raised.value.retryable
    assert "409" in str(raised.value)
    assert "invalid_idempotent_request" in str(raised.value)


def test_a_key_resend_would_refuse_is_sent_as_its_digest(
    resend: FakeResend, mailer: ResendMailer
) -> None:
    long_key = "deliver:" + "x" * 300
    first = mailer.send(hello(long_key))
    assert mailer.send(hello(long_key)) == first
    assert resend.idempotency_keys[0] == idempotency_key(long_key)
    assert len(idempotency_key(long_key)) <= 256
    assert idempotency_key("clé:1") != "clé:1"  # headers are ASCII
    assert len(resend.emails) == 1


@pytest.mark.parametrize(
    ("status", "name", "retryable"),
    [
        (429, "rate_limit_exceeded", True),
        (429, "daily_quota_exceeded", True),
        (500, "internal_server_error", True),
        (503, "application_error", True),
        (409, "concurrent_idempotent_requests", True),
        (400, "validation_error", False),
        (401, "missing_api_key", False),
        (403, "invalid_api_key", False),
        (403, "validation_error", False),  # testing domain: only to your own address
        (422, "invalid_from_address", False),
        (422, "validation_error", False),
        (451, "security_error", False),
    ],
)
def test_errors_decide_whether_the_worker_retries(
    resend: FakeResend, mailer: ResendMailer, status: int, name: str, retryable: bool
) -> None:
    resend.fail_next(status, name=name)
    with pytest.raises(DeliveryError) as raised:
        mailer.send(hello())
    assert raised.value.retryable is retryable
    assert str(status) in str(raised.value)
    assert name in str(raised.value)
    mailer.send(hello())  # the fake answers again
    assert len(resend.emails) == 1


def test_a_wrong_key_is_refused_for_good_and_never_said(
    resend: FakeResend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "re_wrong_Zz9yX8wV7uT6"
    mailer = ResendMailer(wrong, base_url=resend.base_url, timeout=5)
    with pytest.raises(DeliveryError) as raised:
        mailer.send(hello())
    assert not raised.value.retryable
    assert "403" in str(raised.value)
    assert wrong not in str(raised.value)
    assert wrong not in repr(mailer)
    assert wrong not in caplog.text
    assert not resend.emails


def test_the_key_is_never_logged_nor_in_errors(
    resend: FakeResend, mailer: ResendMailer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log requests at DEBUG
    mailer.send(hello("k:1"))
    resend.fail_next(422, message=f"your key {KEY} cannot send from this domain")
    with pytest.raises(DeliveryError) as raised:
        mailer.send(hello("k:2"))
    assert KEY not in str(raised.value)
    assert "***" in str(raised.value)
    assert KEY not in caplog.text
    assert KEY not in repr(mailer)


def test_a_missing_key_is_answered_401(resend: FakeResend) -> None:
    resend.fail_next(401)
    with pytest.raises(DeliveryError) as raised:
        ResendMailer("re_x", base_url=resend.base_url, timeout=5).send(hello())
    assert not raised.value.retryable


def test_a_slow_answer_times_out_and_is_retryable(resend: FakeResend) -> None:
    resend.delay = 2.0
    mailer = ResendMailer(KEY, base_url=resend.base_url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        mailer.send(hello())
    assert time.monotonic() - started < 1.5
    assert raised.value.retryable
    assert "in time" in str(raised.value)


def test_nobody_listening_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryError) as raised:
        ResendMailer(KEY, base_url=f"http://127.0.0.1:{port}", timeout=2).send(hello())
    assert raised.value.retryable


def test_a_wrong_base_url_is_not_retried(resend: FakeResend) -> None:
    mailer = ResendMailer(KEY, base_url=resend.base_url + "/nowhere", timeout=5)
    with pytest.raises(DeliveryError) as raised:
        mailer.send(hello())  # 404 not_found: a wrong base URL is not fixed by waiting
    assert not raised.value.retryable


def test_an_answer_past_the_size_cap_is_refused(resend: FakeResend, mailer: ResendMailer) -> None:
    resend.pad_answers = 200 * 1024
    with pytest.raises(DeliveryError) as raised:
        mailer.send(hello())
    assert raised.value.retryable  # the same key answers the same id, smaller, next time
    assert "larger than" in str(raised.value)


@pytest.mark.parametrize(
    "url", ["http://api.resend.com", "ftp://127.0.0.1", "http://10.0.0.1:8080", "api.resend.com"]
)
def test_the_base_url_is_https_or_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        ResendMailer(KEY, base_url=url)


# -- the worker with this mailer --------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "outcome"), [(None, (1, 0, 0)), (429, (0, 1, 0)), (422, (0, 0, 1))]
)
def test_the_worker_sends_retries_or_gives_up_by_resends_answer(
    resend: FakeResend, mailer: ResendMailer, status: int | None, outcome: tuple[int, int, int]
) -> None:
    from tickex.application.identity.register_user import RegisterUser
    from tickex.facade import TickEx

    if status is not None:
        resend.fail_next(status)
    app = TickEx.in_memory(mailer=mailer)
    app.register_user(RegisterUser(email="ana@example.com", password="correct horse 42",
                                   name="Ana"))  # fmt: skip
    run = app.process_outbox()
    assert (run.sent, run.retried, run.dead) == outcome
    assert resend.idempotency_keys[0]  # the outbox message's key
    if status is None:
        (sent,) = resend.emails
        assert "verify-email?token=" in sent["text"]
    if status == 429:
        clock = app.services.clock
        assert isinstance(clock, FixedClock)
        clock.advance(timedelta(minutes=5))
        assert app.process_outbox().sent == 1
        first, retry = resend.idempotency_keys
        assert first == retry  # the same key on every attempt
