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

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators.plaid.data import GOOD_PASSWORD, GOOD_USERNAME, INSTITUTIONS, OAUTH_INSTITUTIONS
from fin_infra.emulators.plaid.errors import PlaidAPIError
from fin_infra.emulators.plaid.models import PlaidBackend
from fin_infra.emulators.widgets.routes import field, file_route, files_route, json_object, session

BASE = "/link/v2/stable"
HINT = f"Sandbox credentials: username \"{GOOD_USERNAME}\", password \"{GOOD_PASSWORD}\"."
# OAuth banks need a redirect flow this stand-in doesn't play; the unhealthy ones are for API tests
LISTED = [i for i in INSTITUTIONS if i not in OAUTH_INSTITUTIONS and i not in ("ins_132361", "ins_133402")]
MAX_FIELD = 512


def _error(exc: PlaidAPIError) -> JSONResponse:
    return JSONResponse({"error": exc.body("")}, exc.status)


def link_routes(backend: PlaidBackend) -> list[Route]:
    """The routes of Link's stand-in over ``backend``."""

    async def start(request: Request) -> Response:
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
        return session("Plaid", HINT, [{"id": i, "name": INSTITUTIONS[i]} for i in LISTED], fixed=fixed)

    async def login(request: Request) -> Response:
        body = await json_object(request)
        if body is None:
            return _error(PlaidAPIError.of("INVALID_BODY", "body could not be parsed as JSON"))
        token, institution = field(body, "token", MAX_FIELD), field(body, "institution", MAX_FIELD)
        try:
            public_token = backend.complete_link(
                token, institution_id=institution or "ins_109508",
                username=field(body, "username", MAX_FIELD), password=field(body, "password", MAX_FIELD),
            )
        except PlaidAPIError as exc:
            return _error(exc)
        name = INSTITUTIONS.get(institution, "")
        metadata = {"institution": {"institution_id": institution, "name": name}, "accounts": [],
                    "link_session_id": public_token.rsplit("-", 1)[-1]}
        return JSONResponse({"public_token": public_token, "metadata": metadata})

    return [
        file_route(f"{BASE}/link-initialize.js", "plaid-link.js"),
        Route(f"{BASE}/session", start, methods=["GET"]),
        Route(f"{BASE}/login", login, methods=["POST"]),
        files_route(f"{BASE}/"),
    ]
