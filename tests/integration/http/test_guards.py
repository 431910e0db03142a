"""Guards are plain functions: tested on a request built by hand, without an app."""

from __future__ import annotations

import pytest
from litestar import post
from litestar.exceptions import HTTPException
from litestar.testing import RequestFactory

from tickex.entrypoints.http.guards import require_json


@post("/x", sync_to_thread=False)
def handler() -> None:
    return None


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          " APPLICATION/JSON "])  # fmt: skip
def test_json_passes(content_type: str) -> None:
    request = RequestFactory().post("/x", headers={"Content-Type": content_type})
    require_json(request, handler)


@pytest.mark.parametrize("content_type", ["text/plain", "application/jsonp",
                                          "multipart/form-data", ""])  # fmt: skip
def test_anything_else_is_unsupported(content_type: str) -> None:
    request = RequestFactory().post("/x", headers={"Content-Type": content_type})
    with pytest.raises(HTTPException) as refused:
        require_json(request, handler)
    assert refused.value.status_code == 415
