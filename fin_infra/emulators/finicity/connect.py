"""Finicity Connect's stand-in (see `fin_infra.emulators.widgets`): the web SDK's script and the Connect page a
``/connect/v2/generate[/fix]`` link opens, on the emulator (no app key: a browser calls these).

    GET  /assets/sdk/finicity-connect.min.js   the script a page loads instead of Finicity's (finicityConnect.launch)
    GET  /connect/?customerId=...&signature=... the Connect page (the link): the login form (+ frame.js, frame.css)
    GET  /connect/session?...                  the sandbox institutions; in fix mode the login's own
    POST /connect/login                        {signature, customerId, institution, username, password}

Sandbox credentials: username ``demo``, password ``go`` (the other test users of `FinicityBackend.connect` too);
a refused login is shown in the form with Finicity's code and reported to the SDK's ``user`` callback as an
``AddAccounts`` event with ``success: false`` and ``errorCode``; the user may try again or leave (``cancel``).
Success: ``success({code: 200, reason: "complete"})`` after an ``AddAccounts`` user event naming the accounts.
In fix mode the login's aggregation status is cleared (``credentialsUpdated``). A link the emulator doesn't know
(or whose login is gone) ends with ``error({code: 14001, reason: "error"})``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators.finicity import data
from fin_infra.emulators.finicity.errors import ConnectError, FinicityAPIError
from fin_infra.emulators.finicity.models import SANDBOX_PASSWORD, ConnectSession, FinicityBackend
from fin_infra.emulators.widgets.routes import MAX_FIELD, field, file_route, files_route, json_object, session
from fin_infra.emulators.widgets.routes import error as form_error

SCRIPT_PATH = "/assets/sdk/finicity-connect.min.js"
CONNECT_PREFIX = "/connect/"
HINT = f'Sandbox credentials: username "demo", password "{SANDBOX_PASSWORD}".'


def is_connect_path(path: str) -> bool:
    """A path of the stand-in (served without the API's app key), not of the API under ``/connect/v2``."""
    return path == SCRIPT_PATH or (path.startswith(CONNECT_PREFIX) and not path.startswith("/connect/v2/"))


def _error(
    status: int, code: int | str, message: str, user: dict[str, Any] | None = None, *, fatal: bool = False
) -> JSONResponse:
    """The form's error answer; ``fatal`` (the session can't go on) ends Connect with the SDK's ``error``."""
    details: dict[str, Any] = {"display_message": message, **({"fatal": True} if fatal else {})}
    return form_error(status, str(code), message, details, user=user)


def connect_routes(backend: FinicityBackend) -> list[Route]:
    """The routes of Finicity Connect's stand-in over ``backend``."""

    def find(signature: str, customer_id: str) -> ConnectSession | None:
        found = backend.sessions.get(signature)
        return found if found is not None and found.customer_id == customer_id else None

    async def start(request: Request) -> Response:
        q = request.query_params
        found = find(q.get("signature", "")[:MAX_FIELD], q.get("customerId", "")[:MAX_FIELD])
        if found is None:
            return _error(404, 14001, "This Connect link is not valid. Start again.", fatal=True)
        fixed = None
        if found.fix_login_id is not None:
            try:
                login = backend.login(found.customer_id, found.fix_login_id)
            except FinicityAPIError:
                return _error(404, 14001, "This bank login no longer exists. Connect the bank again.", fatal=True)
            fixed = {"id": login.institution_id, "name": data.INSTITUTIONS.get(login.institution_id, "Your bank")}
        banks = [{"id": k, "name": v} for k, v in data.INSTITUTIONS.items()]
        return session("Finicity", HINT, banks, fixed=fixed, mode="fix", protocol="finicity")

    async def login(request: Request) -> Response:
        body = await json_object(request)
        if body is None:
            return _error(400, 14020, "send signature, customerId, institution, username and password")
        signature, customer_id = field(body, "signature"), field(body, "customerId")
        found = find(signature, customer_id)
        if found is None:
            return _error(404, 14001, "This Connect link is not valid. Start again.")
        username, password = field(body, "username"), field(body, "password")
        try:
            if found.fix_login_id is not None:
                if password != SANDBOX_PASSWORD:
                    raise ConnectError(103, "Invalid credentials.")
                event = await asyncio.to_thread(backend.fix, customer_id, found.fix_login_id, session=signature)
                accounts = [a.id for a in backend.login(customer_id, found.fix_login_id).accounts]
            else:
                event = await asyncio.to_thread(backend.connect, customer_id, username, password, session=signature,
                                                institution_id=field(body, "institution") or data.DEFAULT_INSTITUTION)
                accounts = [str(a["id"]) for a in event["payload"]["accounts"]]
        except ConnectError as exc:
            user = {"action": "AddAccounts", "success": False, "accounts": None, "errorCode": exc.code}
            return _error(401, exc.code, str(exc).split(": ", 1)[-1], user)
        user = {"action": "AddAccounts", "success": True, "accounts": accounts, "errorCode": None}
        return JSONResponse({"code": 200, "reason": "complete", "eventType": event["eventType"], "user": user})

    return [
        file_route(SCRIPT_PATH, "finicity-connect.js"),
        file_route(CONNECT_PREFIX, "frame.html"),
        Route(f"{CONNECT_PREFIX}session", start, methods=["GET"]),
        Route(f"{CONNECT_PREFIX}login", login, methods=["POST"]),
        files_route(CONNECT_PREFIX),
    ]


__all__ = ["CONNECT_PREFIX", "SCRIPT_PATH", "connect_routes", "is_connect_path"]
