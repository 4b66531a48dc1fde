"""The connect page and the account overview: ``add_banking(app, ..., connect_page=True)`` (connections mode).

    GET {prefix}/connect           the current user's connections: add one with the provider's widget, Reconnect
                                   (update mode) the ones that need a new login, remove one
    GET {prefix}/overview          accounts by institution with balances, the latest transactions (filters),
                                   a balance-history chart per account and for net worth
    GET {prefix}/pages/{file}      the pages' own scripts and styles, and uPlot (served from this process)

Plain HTML, CSS and JavaScript files (no build step, no inline script or style), served with a strict
Content-Security-Policy: scripts from this server and the providers' widget origins only; data only from this
server's JSON routes, which the pages call with the browser's cookies (``credentials: same-origin``) and, when
the host app gives one, the headers its own script returns (``ConnectPage(auth_script=...)``, see `ConnectPage`).

Production pages load the providers' own widget scripts (Plaid Link from Plaid's CDN, Teller Connect from
Teller's, Finicity Connect's web SDK from Finicity's); MX's widget has no script: the page embeds the widget URL
``/link`` returns in its own iframe and reads MX's ``mx/connect/*`` events (origin checked). A Plaid, MX or
Finicity provider pointed at another host (an emulator) loads that host's stand-in, and ``widget_scripts`` names
any other (``{"teller": emulator.connect_script_url}``). The CSP lists exactly those origins (scripts, frames).
"""

from __future__ import annotations

import html
import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from fin_infra.providers.base import BankingProvider

UPLOT_VERSION = "1.6.32"
PLAID_LINK_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
TELLER_CONNECT_SCRIPT = "https://cdn.teller.io/connect/connect.js"
FINICITY_CONNECT_SCRIPT = "https://connect2.finicity.com/assets/sdk/finicity-connect.min.js"
PLAID_HOSTS = ("https://sandbox.plaid.com", "https://production.plaid.com", "https://development.plaid.com")
FINICITY_API = "https://api.finicity.com"
# MX's API host -> the host its Connect widget URLs are on (the page frames it)
MX_WIDGET_HOSTS = {"https://int-api.mx.com": "https://int-widgets.moneydesktop.com",
                   "https://api.mx.com": "https://widgets.moneydesktop.com"}  # fmt: skip
# where the real widgets open their iframes (besides their script's own origin)
FRAME_ORIGINS = {"teller": ("https://teller.io",), "finicity": ("https://connect2.finicity.com",)}
SUPPORTED = ("plaid", "teller", "mx", "finicity")
STATIC = {
    "pages.css": "static/pages.css",
    "api.js": "static/api.js",
    "connect.js": "static/connect.js",
    "overview.js": "static/overview.js",
    "uPlot.iife.min.js": "vendor/uplot/uPlot.iife.min.js",
    "uPlot.min.css": "vendor/uplot/uPlot.min.css",
    "uPlot-LICENSE.txt": "vendor/uplot/LICENSE",
}


@dataclass(frozen=True)
class ConnectPage:
    """Options of the connect and overview pages (``add_banking(..., connect_page=ConnectPage(...))``).

    ``widget_scripts``: provider name -> the URL of its widget script, instead of the default (the
    provider's CDN; the stand-in on the emulator when the Plaid or Finicity provider talks to one). MX has no
    script: its widget URL's host follows the MX provider's (production, integration, or the emulator).
    ``auth_script``: a script of the host app (a URL on the app, e.g. ``/static/banking-auth.js``) loaded before
    the pages' own; it may set ``window.finInfraAuth = {headers: () => ({Authorization: "Bearer ..."})}`` (the
    function may return a Promise) and the pages send those headers on every call. Without it they rely on
    the app's cookies. ``title``: the pages' heading.
    """

    widget_scripts: Mapping[str, str] = field(default_factory=dict)
    auth_script: str | None = None
    title: str = "Your banks"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _setting(provider: BankingProvider, name: str) -> str:
    return str(getattr(getattr(provider, "settings", None), name, "") or "").rstrip("/")


def widget_script(provider: BankingProvider, options: ConnectPage) -> str | None:
    """The widget script the page loads for ``provider`` (None: no script; MX's widget is a URL it frames)."""
    name = provider.name
    if name in options.widget_scripts:
        return options.widget_scripts[name]
    if name == "plaid":
        host = _setting(provider, "host")
        if host and host not in PLAID_HOSTS:  # an emulator or a proxy: Link's stand-in lives there
            return f"{host}/link/v2/stable/link-initialize.js"
        return PLAID_LINK_SCRIPT
    if name == "teller":
        return TELLER_CONNECT_SCRIPT
    if name == "finicity":
        host = _setting(provider, "base_url")
        if host and host != FINICITY_API:  # the emulator: Connect's stand-in SDK lives there
            return f"{host}/assets/sdk/finicity-connect.min.js"
        return FINICITY_CONNECT_SCRIPT
    return None


def widget_frame(provider: BankingProvider) -> str | None:
    """The origin of the widget URL the page frames itself (MX Connect), or None."""
    if provider.name != "mx":
        return None
    host = _setting(provider, "base_url")
    return MX_WIDGET_HOSTS.get(host) or (_origin(host) if host else MX_WIDGET_HOSTS["https://int-api.mx.com"])


@cache
def _read(path: str) -> bytes:
    return resources.files(__package__).joinpath(path).read_bytes()


def content_security_policy(
    scripts: Mapping[str, str], auth_script: str | None, frames: Mapping[str, str] | None = None
) -> str:
    """The pages' CSP: scripts from this server, the widget scripts' and the auth script's origins; frames from
    the widget scripts' origins (plus where the real widgets open theirs) and ``frames`` (MX's widget host)."""
    script_origins = {_origin(u) for u in scripts.values() if u.startswith(("http://", "https://"))}
    if auth_script and auth_script.startswith(("http://", "https://")):
        script_origins.add(_origin(auth_script))
    frame_origins = {_origin(u) for u in scripts.values() if u.startswith(("http://", "https://"))}
    frame_origins.update(_origin(u) for u in (frames or {}).values())
    for name in scripts:
        if scripts[name] in (TELLER_CONNECT_SCRIPT, FINICITY_CONNECT_SCRIPT):
            frame_origins.update(FRAME_ORIGINS.get(name, ()))
    script_src = " ".join(["'self'", *sorted(script_origins)])
    frame_src = " ".join(sorted(frame_origins)) or "'none'"
    return (
        f"default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; frame-src {frame_src}; font-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self'"
    )


def mount_pages(
    app: FastAPI, *, prefix: str, providers: Mapping[str, BankingProvider], options: ConnectPage
) -> None:
    """Serve the connect and overview pages for the connections-mode routes under ``prefix``."""
    scripts = {name: url for name, p in providers.items() if (url := widget_script(p, options)) is not None}
    frames = {name: origin for name, p in providers.items() if (origin := widget_frame(p)) is not None}
    csp = content_security_policy(scripts, options.auth_script, frames)
    assets = f"{prefix}/pages"
    widgets: list[dict[str, str | None]] = [
        {"provider": name, "script": scripts.get(name), "frame": frames.get(name)}
        for name in providers
        if name in SUPPORTED and (name in scripts or name in frames)
    ]
    if "sandbox" in providers:  # the offline sandbox has no widget: its link carries a ready public token
        widgets.append({"provider": "sandbox", "script": None})

    def render(template: str, request: Request) -> Response:
        root = request.scope.get("root_path", "")
        config = {"api": root + prefix, "widgets": widgets, "links": {
            "connect": root + prefix + "/connect", "overview": root + prefix + "/overview"}}
        auth = ""
        if options.auth_script:
            auth = f'<script src="{html.escape(options.auth_script)}"></script>\n'
        page = (
            _read(f"static/{template}").decode()
            .replace("{{title}}", html.escape(options.title))
            .replace("{{assets}}", html.escape(root + assets))
            .replace("{{config}}", html.escape(json.dumps(config)))
            .replace("{{auth_script}}", auth)
        )
        return Response(page, media_type="text/html; charset=utf-8", headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Frame-Options": "SAMEORIGIN",
        })

    async def connect_page(request: Request) -> Response:
        return render("connect.html", request)

    async def overview_page(request: Request) -> Response:
        return render("overview.html", request)

    async def asset(request: Request) -> Response:
        path = STATIC.get(request.path_params["name"])
        if path is None:
            return Response(status_code=404)
        media_type = mimetypes.guess_type(path)[0] or "text/plain"
        if media_type.startswith("text/") or media_type.endswith("javascript"):
            media_type += "; charset=utf-8"
        return Response(_read(path), media_type=media_type, headers={
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    app.add_api_route(f"{prefix}/connect", connect_page, include_in_schema=False, methods=["GET"])
    app.add_api_route(f"{prefix}/overview", overview_page, include_in_schema=False, methods=["GET"])
    app.add_api_route(f"{assets}/{{name}}", asset, include_in_schema=False, methods=["GET"])


def page_options(value: bool | ConnectPage | Any) -> ConnectPage | None:
    """``connect_page=`` as options (None: no pages)."""
    if value is True:
        return ConnectPage()
    if value is False or value is None:
        return None
    if isinstance(value, ConnectPage):
        return value
    raise TypeError("connect_page must be True, False or a ConnectPage(...)")


__all__ = ["ConnectPage", "content_security_policy", "mount_pages", "page_options", "widget_frame", "widget_script"]
