"""Swagger UI served from the installed ``swagger-ui-bundle-v2`` package: API docs that render offline.

FastAPI's stock ``/docs`` page loads Swagger UI's script and stylesheet from a CDN, so it is a blank page
without network access. `mount_swagger_ui` serves the page *and* its assets from this process; the banking
docs (``{prefix}/docs``) always use it, and an app opts its own ``/docs`` in with `serve_docs_offline`
(or ``add_banking(app, offline_docs=True)``):

    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> serve_docs_offline(app)      # /docs now works with no network
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

# the files of Swagger UI's distribution that the page loads; nothing else is served
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files in the installed ``swagger-ui-bundle-v2`` package."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ImportError(
            "the offline API docs need the swagger-ui-bundle-v2 package (a fin-infra dependency): "
            "pip install swagger-ui-bundle-v2"
        ) from exc
    return Path(str(swagger_ui_path))


def mount_swagger_ui(app: FastAPI, *, docs_url: str, openapi_url: str, title: str) -> None:
    """Serve Swagger UI for ``openapi_url`` at ``docs_url``, its assets under ``{docs_url}/assets/``."""
    folder = swagger_ui_dir()
    assets_url = f"{docs_url}/assets"
    oauth2_url = f"{docs_url}/oauth2-redirect"

    async def page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=title,
            swagger_js_url=f"{root}{assets_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets_url}/favicon-32x32.png",
            oauth2_redirect_url=root + oauth2_url,
        )

    loaded: dict[str, bytes] = {}

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(status_code=404)
        body = loaded.get(name)
        if body is None:  # read once (a few MB in all), then served from memory: no file I/O per request
            body = loaded[name] = (folder / name).read_bytes()
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        # the files change only with the installed package: let browsers keep them for a day
        return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_api_route(docs_url, page, include_in_schema=False, methods=["GET"])
    app.add_api_route(f"{assets_url}/{{name}}", asset, include_in_schema=False, methods=["GET"])
    app.add_api_route(oauth2_url, oauth2_redirect, include_in_schema=False, methods=["GET"])


def serve_docs_offline(app: FastAPI) -> None:
    """Replace the app's own Swagger UI page (``app.docs_url``, ``/docs`` by default) by one that loads
    Swagger UI from the installed package instead of a CDN. A no-op when the app has no docs page."""
    if not app.docs_url or not app.openapi_url:
        return
    docs_url, oauth2_url = app.docs_url, app.swagger_ui_oauth2_redirect_url
    stock: list[BaseRoute] = [
        r for r in app.router.routes if isinstance(r, Route) and r.path in (docs_url, oauth2_url)
    ]
    for route in stock:
        app.router.routes.remove(route)
    mount_swagger_ui(app, docs_url=docs_url, openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI")
