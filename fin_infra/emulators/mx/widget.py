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

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators.mx import data
from fin_infra.emulators.mx.errors import ConnectError, MXAPIError
from fin_infra.emulators.mx.models import MXBackend
from fin_infra.emulators.widgets.routes import MAX_FIELD, error, field, files_route, json_object, session

WIDGET_PREFIX = "/md/connect"
HINT = f'Sandbox credentials: username "{data.SANDBOX_USERNAME}", any password (another username is refused).'
LISTED = [i for i in data.INSTITUTIONS.values() if not i.is_oauth]  # no OAuth window in the stand-in


def widget_routes(backend: MXBackend) -> list[Route]:
    """The routes of MX Connect's stand-in over ``backend``."""

    async def start(request: Request) -> Response:
        token = request.query_params.get("token", "")[:MAX_FIELD]
        found = backend.widget_session(token)
        if found is None:
            return error(404, "expired", "This connection window expired or was already used. Start again.")
        fixed = None
        if found.current_member_guid is not None:
            try:
                member = backend.member(found.user_guid, found.current_member_guid)
            except MXAPIError:
                return error(404, "not_found", "This connection no longer exists. Connect the bank again.")
            fixed = {"id": member.institution_code, "name": member.institution.name}
        banks = [{"id": i.code, "name": i.name} for i in LISTED]
        return session("MX", HINT, banks, fixed=fixed, protocol="mx", exit=False)

    async def login(request: Request) -> Response:
        body = await json_object(request)
        if body is None:
            return error(400, "invalid_request", "send token, institution, username and password")
        token = field(body, "token")
        if backend.widget_session(token) is None:
            return error(404, "expired", "This connection window expired or was already used. Start again.")
        try:
            event = backend.connect(token, institution_code=field(body, "institution") or "mxbank",
                                    username=field(body, "username"), password=field(body, "password"))  # fmt: skip
        except (ConnectError, MXAPIError) as exc:
            return error(400, "invalid_request", str(exc))
        metadata = event["metadata"]
        message = {"mx": True, **event}
        if event["type"] == "mx/connect/memberConnected":
            return JSONResponse({"event": message})
        backend.reopen_widget(token, metadata["member_guid"])
        status = str(metadata.get("connection_status"))
        text = data.CONNECTION_STATUSES.get(status, (0, "The bank refused the login."))[1]
        return error(401, status, text, event=message)

    return [
        Route(f"{WIDGET_PREFIX}/session", start, methods=["GET"]),
        Route(f"{WIDGET_PREFIX}/login", login, methods=["POST"]),
        files_route(WIDGET_PREFIX + "/", fallback="frame.html"),  # the widget URL's page: /md/connect/{token}
    ]


__all__ = ["WIDGET_PREFIX", "widget_routes"]
