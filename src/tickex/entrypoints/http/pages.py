"""The few HTML pages TickEx serves itself (the local checkout, the account links of its
emails): self-contained documents (no external file, no script, inline style only, which
the content security policy allows), never cached, every value escaped by the caller with
``html.escape``."""

from __future__ import annotations

import html

from litestar import Response
from litestar.enums import MediaType

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "color:#1a1a1a}h1{font-size:1.4rem}.amount{font-size:2rem;font-weight:600;margin:1rem 0}"
    "button{font-size:1.1rem;padding:.6rem 1.6rem;border:0;border-radius:.4rem;"
    "background:#0b6e4f;color:#fff;cursor:pointer}.note{color:#555;font-size:.9rem}"
    "label{display:block;margin:.8rem 0 .2rem}input{font-size:1rem;padding:.4rem;width:100%;"
    "box-sizing:border-box}.error{color:#a4001d}"
)


def page(title: str, body: str, status: int = 200) -> Response[str]:
    """A whole HTML document around ``body`` (already escaped)."""
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return Response(
        document, status_code=status, media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip
