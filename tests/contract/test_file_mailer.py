"""``FileMailer``, the embedded default: the mailer contract, and what a person reading the
folder relies on (complete messages, written once per idempotency key, never half)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest

from tickex.adapters.file_mail import FileMailer
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.memory.mail import InMemoryMailer
from tickex.adapters.mime import render_mime
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import VenueInput
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.door.check_in import CheckInTicket
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.sales.confirm_payment import ConfirmPayment
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.bootstrap import build_mailer
from tickex.facade import TickEx
from tickex.ports.mail import Attachment, DeliveryError, EmailMessage
from tickex.settings import Settings
from tickex.testing.contracts import MailerContract
from tickex.testing.contracts.mail import Delivered, from_mime
from tickex.testing.qr_reader import decode_qr


class TestFileMailer(MailerContract):
    @pytest.fixture
    def mailer(self, tmp_path: Path) -> FileMailer:
        return FileMailer(tmp_path / "mail", FixedClock())

    @pytest.fixture
    def delivered(self, tmp_path: Path) -> Delivered:
        return lambda: [from_mime(m) for m in read_all(tmp_path / "mail")]


def read_all(directory: Path) -> list[MimeMessage]:
    messages = []
    for path in sorted(directory.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, MimeMessage)
        messages.append(parsed)
    return messages


def test_each_email_is_a_complete_message_a_mail_program_reads(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, FixedClock(), sender="Nightjar <box@nightjar.example>")
    pdf = Attachment("ticket.pdf", "application/pdf", b"%PDF-1.7 fake")
    message_id = mailer.send(
        EmailMessage(to="ana@example.com", subject="Your tickets ✓ (order A5W2)",
                     text="Hello Ana,\nhttps://127.0.0.1:8000/account/verify-email?token=x",
                     html="<p>Hello Ana</p>", attachments=(pdf,),
                     idempotency_key="deliver:order-1")
    )  # fmt: skip
    (parsed,) = read_all(tmp_path)
    (raw,) = [path.read_bytes() for path in tmp_path.glob("*.eml")]
    assert b"https://127.0.0.1:8000/account/verify-email?token=x" in raw  # whole, to copy
    assert parsed["To"] == "ana@example.com"
    assert parsed["From"] == "Nightjar <box@nightjar.example>"
    assert parsed["Subject"] == "Your tickets ✓ (order A5W2)"
    assert parsed["Message-ID"] == message_id
    assert parsed["Date"]
    body = parsed.get_body(("plain",))
    assert body is not None
    assert "account/verify-email?token=x" in body.get_content()
    html = parsed.get_body(("html",))
    assert html is not None
    assert "<p>Hello Ana</p>" in html.get_content()
    (attached,) = list(parsed.iter_attachments())
    assert attached.get_filename() == "ticket.pdf"
    assert attached.get_content() == b"%PDF-1.7 fake"


def test_images_with_a_content_id_are_shown_inline_by_the_html(tmp_path: Path) -> None:
    first = Attachment("ticket-A5W2-1.png", "image/png", b"\x89PNG one", "ticket-A5W2-1@tickex")
    second = Attachment("ticket-A5W2-2.png", "image/png", b"\x89PNG two", "ticket-A5W2-2@tickex")
    pdf = Attachment("terms.pdf", "application/pdf", b"%PDF-1.7 fake")
    FileMailer(tmp_path, FixedClock()).send(
        EmailMessage(to="ana@example.com", subject="Your tickets", text="code: t1\ncode: t2",
                     html='<img src="cid:ticket-A5W2-1@tickex"><img src="cid:ticket-A5W2-2@t'
                          'ickex">',
                     attachments=(first, pdf, second), idempotency_key="deliver:order-1")
    )  # fmt: skip
    (parsed,) = read_all(tmp_path)
    assert parsed.get_content_type() == "multipart/mixed"
    alternative = next(parsed.iter_parts())
    plain, related = alternative.iter_parts()
    assert "code: t1" in plain.get_content()
    assert (related.get_content_type(), related.get_param("type")) == (
        "multipart/related", "text/html"
    )  # fmt: skip
    html, *images = related.iter_parts()
    assert 'src="cid:ticket-A5W2-1@tickex"' in html.get_content()
    assert [(i["Content-ID"], i.get_content_disposition(), i.get_filename(), i.get_content())
            for i in images] == [
        ("<ticket-A5W2-1@tickex>", "inline", "ticket-A5W2-1.png", b"\x89PNG one"),
        ("<ticket-A5W2-2@tickex>", "inline", "ticket-A5W2-2.png", b"\x89PNG two"),
    ]  # fmt: skip
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["terms.pdf"]


def test_without_html_an_image_with_a_content_id_is_a_plain_attachment(tmp_path: Path) -> None:
    image = Attachment("ticket-A5W2-1.png", "image/png", b"\x89PNG one", "ticket-A5W2-1@tickex")
    FileMailer(tmp_path, FixedClock()).send(
        EmailMessage(to="ana@example.com", subject="Your tickets", text="code: t1",
                     attachments=(image,))
    )  # fmt: skip
    (parsed,) = read_all(tmp_path)
    (attached,) = parsed.iter_attachments()
    assert (attached.get_filename(), attached.get_content()) == ("ticket-A5W2-1.png", image.data)


@pytest.mark.parametrize("content_id", ["<a@b>", "a b", "x" * 128, "qr-é"])
def test_a_content_id_that_cannot_be_a_header_is_refused(tmp_path: Path, content_id: str) -> None:
    image = Attachment("qr.png", "image/png", b"\x89PNG", content_id)
    message = EmailMessage(to="a@example.com", subject="s", text="t", html="<p>t</p>",
                           attachments=(image,))  # fmt: skip
    with pytest.raises(ValueError, match="Content-ID"):
        render_mime(message, sender="s@example.com", message_id="<m@x>", date=FixedClock().now())


def test_the_same_idempotency_key_is_written_once(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, FixedClock())
    message = EmailMessage(to="ana@example.com", subject="Hi", text="x", idempotency_key="k:1")
    first = mailer.send(message)
    assert mailer.send(message) == first
    other = mailer.send(EmailMessage(to="ana@example.com", subject="Hi", text="x",
                                     idempotency_key="k:2"))  # fmt: skip
    assert other != first
    assert len(read_all(tmp_path)) == 2
    assert not [p for p in tmp_path.iterdir() if not p.name.endswith(".eml")]  # no leftovers


def test_emails_without_a_key_are_all_kept(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, FixedClock())
    for _ in range(3):
        mailer.send(EmailMessage(to="ana@example.com", subject="Hi", text="x"))
    assert len(read_all(tmp_path)) == 3


def test_a_path_that_is_a_file_is_a_retryable_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "mail"
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryError) as raised:
        FileMailer(blocker, FixedClock()).send(EmailMessage(to="a@example.com", subject="s",
                                                            text="t"))  # fmt: skip
    assert raised.value.retryable


def test_files_are_the_default_outside_tests_and_memory_in_tests(tmp_path: Path) -> None:
    clock = FixedClock()
    development = Settings.load(environment="development", mail_dir=str(tmp_path / "m"))
    mailer = build_mailer(development, clock)
    assert isinstance(mailer, FileMailer)
    assert mailer.directory == tmp_path / "m"
    assert isinstance(build_mailer(Settings.load(environment="test"), clock), InMemoryMailer)
    chosen = Settings.load(environment="test", mailer="file", mail_dir=str(tmp_path))
    assert isinstance(build_mailer(chosen, clock), FileMailer)


def test_the_ticket_email_on_disk_carries_qr_codes_the_door_admits(tmp_path: Path) -> None:
    """End to end with the embedded default: order, payment, the worker writes the .eml;
    the file parsed back holds a PNG per ticket, inline beside the HTML, that decodes to a
    token the door admits."""
    clock = FixedClock()
    app = TickEx.in_memory(clock=clock, mailer=FileMailer(tmp_path, clock))
    org = app.create_organizer(CreateOrganizer(name="Nightjar", email="hi@nightjar.example"))
    starts = clock.now() + timedelta(days=30)
    event = app.create_event(
        CreateEvent(
            organizer_id=org.id,
            title="Nightjar Live",
            slug="nightjar-live",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            venue=VenueInput(name="Hall", address="1 Quay St"),
        )
    )
    ga = app.create_ticket_type(
        CreateTicketType(
            organizer_id=org.id, event_id=event.id, name="GA", price_minor=2500, quantity_total=9
        )
    )
    app.publish_event(PublishEvent(organizer_id=org.id, event_id=event.id))
    order = app.place_order(
        PlaceOrder(
            event_id=event.id,
            customer_email="ana@example.com",
            items=[OrderItem(ticket_type_id=ga.id, quantity=2)],
        )
    )
    app.confirm_payment(ConfirmPayment(
        provider="local", provider_event_id="evt_1", order_id=order.order_id,
        amount_minor=order.totals.total.amount_minor, currency="EUR"))  # fmt: skip
    assert app.process_outbox().sent == 1

    (parsed,) = read_all(tmp_path)
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().count("code: ") == 2
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert [p.get_filename() for p in images] == [
        f"ticket-{order.order_code}-1.png", f"ticket-{order.order_code}-2.png"
    ]  # fmt: skip
    for n, image in enumerate(images):
        content_id = image["Content-ID"].strip("<>")
        assert f'src="cid:{content_id}"' in html.get_content()
        [token] = decode_qr(image.get_content())
        scan = app.check_in(CheckInTicket(event_id=event.id, token=token, nonce=f"nonce-eml-{n}"))
        assert scan.decision.accepted
