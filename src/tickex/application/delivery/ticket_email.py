"""The ticket email of a paid order, as the worker sends it (``process_outbox``): a text
part with each ticket's signed token (for mail programs that hide images), an HTML part
showing each ticket's QR code inline, and the codes as PNG attachments -- the first
``MAX_QR_CODES_PER_EMAIL``; the order page has them all. Revoked tickets are left out."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import partial
from html import escape

from tickex.application.services import NeedsDelivery
from tickex.domain.errors import NotFound
from tickex.domain.event import Event
from tickex.domain.order import Order
from tickex.domain.outbox import OutboxMessage
from tickex.domain.ticket import TicketStatus
from tickex.ports.mail import Attachment, EmailMessage
from tickex.ports.signer import TicketClaims
from tickex.ports.unit_of_work import UnitOfWork

# QR codes attached to one ticket email. A ticket adds about 2 KB to the message (its PNG
# as base64, its token in the text and the HTML): 50 make about 100 KB, far below any
# provider's limit (10 MB and up); the order page (GET /v1/orders/{id}?email=) has them all
MAX_QR_CODES_PER_EMAIL = 50
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class _TicketLine:
    number: int  # 1, 2, ... over the order's valid tickets: ticket-<code>-<number>.png
    type_name: str
    attendee: str
    token: str


def ticket_email(services: NeedsDelivery, order_id: str, message: OutboxMessage) -> EmailMessage:
    """The tickets of a paid order: a text part (each ticket's signed token as a line, for
    mail programs that hide images), an HTML part showing each ticket's QR code inline, and
    the codes as PNG attachments -- the first ``MAX_QR_CODES_PER_EMAIL`` of them; the order
    page has them all. Revoked tickets are left out."""

    def load(uow: UnitOfWork) -> tuple[Order, Event, list[_TicketLine]]:
        order = uow.orders.get(order_id)
        if order is None:
            raise NotFound(f"order {order_id} is gone")  # permanent: a domain error
        event = uow.events.get(order.event_id)
        assert event is not None
        names = {tt.id: tt.name for tt in uow.ticket_types.list_by_event(event.id)}
        valid = [
            ticket
            for ticket in uow.tickets.list_by_order(order.id)
            if ticket.status is not TicketStatus.REVOKED
        ]
        lines = [
            _TicketLine(
                number=number,
                type_name=names.get(ticket.ticket_type_id, "Ticket"),
                attendee=ticket.attendee_name,
                token=services.signer.sign(TicketClaims(event.id, ticket.secret)),
            )
            for number, ticket in enumerate(valid, start=1)
        ]
        return order, event, lines

    order, event, tickets = services.read(load)  # the images are drawn outside the unit
    label = _FILE_UNSAFE.sub("-", order.code)
    images = {
        line.number: Attachment(
            filename=f"ticket-{label}-{line.number}.png",
            content_type="image/png",
            data=services.delivery.qr.png(line.token),
            content_id=f"ticket-{label}-{line.number}@tickex",
        )
        for line in tickets[:MAX_QR_CODES_PER_EMAIL]
    }
    order_page = services.delivery.links.order_page(order.id, order.customer_email)
    when = f"{event.starts_at:%Y-%m-%d %H:%M} UTC, {event.venue.name}, {event.venue.address}"
    summary = f"Order {order.code}, total {order.total}"
    if len(images) < len(tickets):
        note = (
            f"This order has {len(tickets)} tickets: the QR codes of the first {len(images)} "
            f"are attached; every ticket and its code is on your order page: {order_page}"
        )
    elif images:
        note = "Show each ticket's QR code at the door (attached, one file per ticket)."
    else:
        note = "This order has no valid tickets."
    lines = [f"Your tickets for {event.title}", when, summary, "", note, ""]
    for line in tickets:
        attendee = f" ({line.attendee})" if line.attendee else ""
        lines += [f"- Ticket {line.number}: {line.type_name}{attendee}", f"  code: {line.token}"]
    return EmailMessage(
        to=order.customer_email,
        subject=f"Your tickets for {event.title} (order {order.code})",
        text="\n".join(lines),
        html=_ticket_html(event.title, [when, summary], tickets, images, order_page),
        attachments=tuple(images.values()),
        idempotency_key=message.idempotency_key,
    )


def _ticket_html(
    title: str,
    facts: list[str],
    tickets: list[_TicketLine],
    images: dict[int, Attachment],
    order_page: str,
) -> str:
    """Every value is escaped; each QR code is shown at half its pixel size, from the
    attachment it is (``cid:``), with the token under it in small print."""
    e = partial(escape, quote=True)
    if len(images) < len(tickets):
        note = (
            f"This order has {len(tickets)} tickets: the QR codes of the first {len(images)} "
            f'are below; every ticket and its code is on <a href="{e(order_page)}">your order '
            "page</a>."
        )
    elif images:
        note = "Show each ticket&#39;s QR code at the door, on your phone or printed."
    else:
        note = "This order has no valid tickets."
    parts = [
        '<!DOCTYPE html><html><body style="font-family:sans-serif;color:#111">',
        f"<h1>Your tickets for {e(title)}</h1>",
        f"<p>{'<br>'.join(e(fact) for fact in facts)}</p>",
        f"<p>{note}</p>",
    ]
    for line in tickets:
        parts.append('<div style="margin:24px 0">')
        parts.append(f"<h2>Ticket {line.number}: {e(line.type_name)}</h2>")
        if line.attendee:
            parts.append(f"<p>{e(line.attendee)}</p>")
        image = images.get(line.number)
        if image is not None:
            size = _png_size(image.data)
            dimensions = f' width="{size[0] // 2}" height="{size[1] // 2}"' if size else ""
            parts.append(
                f'<img src="cid:{e(image.content_id)}" alt="QR code of ticket {line.number}"'
                f'{dimensions} style="display:block;image-rendering:pixelated">'
            )
        parts.append(
            f'<p style="font-family:monospace;font-size:12px;word-break:break-all">'
            f"{e(line.token)}</p></div>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header (its first chunk, IHDR, at a fixed place)."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
