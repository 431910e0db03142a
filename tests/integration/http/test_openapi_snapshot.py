"""The OpenAPI document is a contract with every client: it changes only on purpose.

The stored copy (``openapi.snapshot.json``) is compared whole with the document the app
serves. After a deliberate change to the API, refresh it and review the diff:

    TICKEX_UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest \
        tests/integration/http/test_openapi_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

from litestar.testing import TestClient

from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")


def served_document() -> str:
    with TestClient(create_app(TickEx.in_memory())) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return json.dumps(response.json(), indent=1, sort_keys=True) + "\n"


def test_the_openapi_document_is_the_stored_one() -> None:
    document = served_document()
    if os.environ.get("TICKEX_UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(document, encoding="utf-8")
    stored = SNAPSHOT.read_text(encoding="utf-8")
    if document != stored:
        diff = "".join(
            difflib.unified_diff(
                stored.splitlines(keepends=True),
                document.splitlines(keepends=True),
                "openapi.snapshot.json",
                "served",
                n=2,
            )
        )
        raise AssertionError(f"the OpenAPI document changed:\n{diff[:20_000]}")
