"""The API docs UI, served from files vendored in this package (``static/``): many
deployments have no internet, and no page of ours may load anything from a CDN.

Swagger UI (the ``swagger-ui-dist`` npm package, Apache-2.0, see ``static/LICENSE``) runs
from ``swagger-ui-bundle.js`` and ``tickex-docs.js``: the page has no inline script, so the
Content-Security-Policy can forbid them.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.enums import MediaType
from litestar.openapi.plugins import SwaggerRenderPlugin

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static/docs"
SWAGGER_UI_VERSION = "5.35.0"  # static/swagger-ui-bundle.js and static/swagger-ui.css


class SelfHostedSwagger(SwaggerRenderPlugin):
    """Swagger UI from our own files, with no inline script and no OAuth redirect page."""

    def __init__(self, path: str = "/swagger") -> None:
        js_url = f"{STATIC_PATH}/swagger-ui-bundle.js"
        super().__init__(
            version=SWAGGER_UI_VERSION,
            js_url=js_url,
            css_url=f"{STATIC_PATH}/swagger-ui.css",
            standalone_preset_js_url=js_url,  # unused: our page has no standalone layout
            path=path,
            favicon=f'<link rel="icon" type="image/png" href="{STATIC_PATH}/favicon-32x32.png">',
        )
        self.init_js_url = f"{STATIC_PATH}/tickex-docs.js"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        e = html.escape
        title = e(str(openapi_schema.get("info", {}).get("title", "API")))
        spec_url = e(self.get_openapi_json_route(request))
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>{self.favicon}"
            f'<link rel="stylesheet" href="{e(self.css_url)}"></head>'
            '<body><div id="swagger-ui"></div>'
            f'<script src="{e(self.js_url)}"></script>'
            f'<script src="{e(self.init_js_url)}" data-spec-url="{spec_url}"></script>'
            "</body></html>"
        ).encode()

    def receive_router(self, router: Router) -> None:  # noqa: ARG002 - nothing to add
        return  # no OAuth2 redirect page until the API has OAuth


def docs_handler(plugin: SelfHostedSwagger) -> Any:
    """``GET /docs``: the same page as ``/schema/swagger``, at the address people type."""

    @get("/docs", operation_id="showDocs", media_type=MediaType.HTML, include_in_schema=False,
         sync_to_thread=False)  # fmt: skip
    def docs(request: Request[Any, Any, Any]) -> bytes:
        return plugin.render(request, request.app.openapi_schema.to_schema())

    return docs
