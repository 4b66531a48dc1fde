"""Plaid Link's stand-in on the emulator (see `fin_infra.emulators.widgets`), under ``/link/v2/stable/``:

    GET  /link/v2/stable/link-initialize.js    the script a page loads instead of Plaid's (Plaid.create)
    GET  /link/v2/stable/frame.html             the login form shown in Link's iframe (+ frame.js, frame.css)
    GET  /link/v2/stable/session?token=...      the sandbox institutions; in update mode the Item's own
    POST /link/v2/stable/login                  {token, institution, username, password} -> public_token

The credentials are the sandbox's (``user_good`` / ``pass_good``); a wrong password is Plaid's
``INVALID_CREDENTIALS``, shown in the form and handed to ``onExit`` when the user leaves. Completing Link in
update mode clears the Item's ``ITEM_LOGIN_REQUIRED``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators import widgets
from fin_infra.emulators.plaid.data import GOOD_PASSWORD, GOOD_USERNAME, INSTITUTIONS, OAUTH_INSTITUTIONS
from fin_infra.emulators.plaid.errors import PlaidAPIError
from fin_infra.emulators.plaid.models import PlaidBackend

BASE = "/link/v2/stable"
HINT = f"Sandbox credentials: username \"{GOOD_USERNAME}\", password \"{GOOD_PASSWORD}\"."
# OAuth banks need a redirect flow this stand-in doesn't play; the unhealthy ones are for API tests
LISTED = [i for i in INSTITUTIONS if i not in OAUTH_INSTITUTIONS and i not in ("ins_132361", "ins_133402")]
MAX_FIELD = 512


def _error(exc: PlaidAPIError) -> JSONResponse:
    return JSONResponse({"error": exc.body("")}, exc.status)


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def link_routes(backend: PlaidBackend) -> list[Route]:
    """The routes of Link's stand-in over ``backend``."""

    async def script(request: Request) -> Response:
        return widgets.asset("plaid-link.js")

    async def asset(request: Request) -> Response:
        return widgets.asset(request.path_params["name"])

    async def session(request: Request) -> Response:
        token = request.query_params.get("token", "")[:MAX_FIELD]
        with backend.lock:
            info = backend._link_tokens.get(token)
            if info is None or info["expiration"] < backend.now():
                return _error(PlaidAPIError.of("INVALID_LINK_TOKEN", "provided link token is invalid or expired"))
            fixed = None
            if info.get("access_token"):
                item = backend.items.get(info["access_token"])
                if item is None:
                    return _error(PlaidAPIError.of("INVALID_ACCESS_TOKEN", "could not find matching access token"))
                fixed = {"id": item.institution_id, "name": INSTITUTIONS[item.institution_id]}
        listed = [fixed] if fixed else [{"id": i, "name": INSTITUTIONS[i]} for i in LISTED]
        title = "Log in again to " + fixed["name"] if fixed else "Connect a bank with Plaid"
        return JSONResponse({"title": title, "institutions": listed, "institution": fixed, "hint": HINT,
                             "mode": "update" if fixed else "create"})

    async def login(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(PlaidAPIError.of("INVALID_BODY", "body could not be parsed as JSON"))
        token, institution = _field(body, "token"), _field(body, "institution")
        try:
            public_token = backend.complete_link(
                token, institution_id=institution or "ins_109508",
                username=_field(body, "username"), password=_field(body, "password"),
            )
        except PlaidAPIError as exc:
            return _error(exc)
        name = INSTITUTIONS.get(institution, "")
        metadata = {"institution": {"institution_id": institution, "name": name}, "accounts": [],
                    "link_session_id": public_token.rsplit("-", 1)[-1]}
        return JSONResponse({"public_token": public_token, "metadata": metadata})

    return [
        Route(f"{BASE}/link-initialize.js", script, methods=["GET"]),
        Route(f"{BASE}/session", session, methods=["GET"]),
        Route(f"{BASE}/login", login, methods=["POST"]),
        Route(f"{BASE}/{{name}}", asset, methods=["GET"]),
    ]
