"""MX Connect's stand-in (see `fin_infra.emulators.widgets`): what a widget URL from ``POST
/users/{u}/widget_urls`` opens, under ``WIDGET_PREFIX`` (``/md/connect``, as MX's widget host has it).

    GET  /md/connect/{token}          the widget: the login form, in the page's iframe (+ frame.js, frame.css)
    GET  /md/connect/session?token=   the sandbox institutions; with current_member_guid (update mode) its own
    POST /md/connect/login            {token, institution, username, password} -> MX's postMessage event

The form posts MX's events to the page (ui_message_version 4): ``mx/connect/loaded``, then
``mx/connect/memberConnected`` ``{user_guid, member_guid, session_guid}``, or ``mx/connect/memberStatusUpdate``
with the member's ``connection_status`` when the bank refused the login (the form shows MX's message and stays
open on that member, as MX's widget does, so the user can try again). Sandbox credentials: username
``mxuser``, any password; another username is DENIED.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators import widgets
from fin_infra.emulators.mx import data
from fin_infra.emulators.mx.errors import ConnectError, MXAPIError
from fin_infra.emulators.mx.models import MXBackend

WIDGET_PREFIX = "/md/connect"
HINT = f'Sandbox credentials: username "{data.SANDBOX_USERNAME}", any password (another username is refused).'
MAX_FIELD = 256
LISTED = [i for i in data.INSTITUTIONS.values() if not i.is_oauth]  # no OAuth window in the stand-in


def _error(status: int, code: str, message: str, event: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if event is not None:
        body["event"] = event
    return JSONResponse(body, status)


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def widget_routes(backend: MXBackend) -> list[Route]:
    """The routes of MX Connect's stand-in over ``backend``."""

    async def session(request: Request) -> Response:
        token = request.query_params.get("token", "")[:MAX_FIELD]
        found = backend.widget_session(token)
        if found is None:
            return _error(404, "expired", "This connection window expired or was already used. Start again.")
        fixed = None
        if found.current_member_guid is not None:
            try:
                member = backend.member(found.user_guid, found.current_member_guid)
            except MXAPIError:
                return _error(404, "not_found", "This connection no longer exists. Connect the bank again.")
            fixed = {"id": member.institution_code, "name": member.institution.name}
        listed = [fixed] if fixed else [{"id": i.code, "name": i.name} for i in LISTED]
        title = f"Log in again to {fixed['name']}" if fixed else "Connect a bank with MX"
        return JSONResponse({"title": title, "institutions": listed, "institution": fixed, "hint": HINT,
                             "mode": "update" if fixed else "create", "protocol": "mx", "exit": False})  # fmt: skip

    async def login(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "invalid_request", "send token, institution, username and password")
        token = _field(body, "token")
        if backend.widget_session(token) is None:
            return _error(404, "expired", "This connection window expired or was already used. Start again.")
        try:
            event = backend.connect(token, institution_code=_field(body, "institution") or "mxbank",
                                    username=_field(body, "username"), password=_field(body, "password"))  # fmt: skip
        except (ConnectError, MXAPIError) as exc:
            return _error(400, "invalid_request", str(exc))
        metadata = event["metadata"]
        message = {"mx": True, **event}
        if event["type"] == "mx/connect/memberConnected":
            return JSONResponse({"event": message})
        backend.reopen_widget(token, metadata["member_guid"])
        status = str(metadata.get("connection_status"))
        text = data.CONNECTION_STATUSES.get(status, (0, "The bank refused the login."))[1]
        return _error(401, status, text, message)

    async def page_or_asset(request: Request) -> Response:
        name = request.path_params["name"]
        return widgets.asset(name if name in widgets.NAMES else "frame.html")

    return [
        Route(f"{WIDGET_PREFIX}/session", session, methods=["GET"]),
        Route(f"{WIDGET_PREFIX}/login", login, methods=["POST"]),
        Route(WIDGET_PREFIX + "/{name}", page_or_asset, methods=["GET"]),
    ]


__all__ = ["WIDGET_PREFIX", "widget_routes"]
