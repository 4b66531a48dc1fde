"""Teller Connect's stand-in (see `fin_infra.emulators.widgets`): a small plain-HTTP app next to the emulator's
API (Teller serves Connect from its own host too; the API's mutual-TLS server is no place for a browser page).

    GET  /connect/connect.js          the script a page loads instead of Teller's (TellerConnect.setup)
    GET  /connect/frame.html          the login form shown in Connect's iframe (+ frame.js, frame.css)
    GET  /connect/session?...         the sandbox institutions; with enrollment_id (update mode) its own
    POST /connect/login               {application_id, environment, institution, username, password,
                                       enrollment_id?} -> Connect's onSuccess enrollment

Sandbox credentials: any username Teller's sandbox knows (``username`` enrolls at once), password ``password``;
a wrong password is refused in the form. In update mode the enrollment is repaired and keeps its token.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators import widgets
from fin_infra.emulators.teller import data
from fin_infra.emulators.teller.errors import EnrollmentError
from fin_infra.emulators.teller.models import SANDBOX_PASSWORD, TellerBackend

HINT = f"Sandbox credentials: username \"username\", password \"{SANDBOX_PASSWORD}\"."
MAX_FIELD = 256


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def create_connect_app(backend: TellerBackend) -> Starlette:
    """Teller Connect's stand-in over ``backend`` (serve it with `EmulatorServer`, plain HTTP)."""

    def enrollment(enrollment_id: str) -> tuple[str, str] | None:
        """(institution id, token) of an enrollment, or None."""
        found = backend.enrollments.get(enrollment_id)
        token = next((t for t, e in backend.tokens.items() if e == enrollment_id), None)
        return (found.institution_id, token) if found is not None and token is not None else None

    async def script(request: Request) -> Response:
        return widgets.asset("teller-connect.js")

    async def asset(request: Request) -> Response:
        return widgets.asset(request.path_params["name"])

    async def session(request: Request) -> Response:
        if not request.query_params.get("application_id"):
            return _error(400, "invalid_request", "applicationId is required")
        enrollment_id = request.query_params.get("enrollment_id", "")[:MAX_FIELD]
        if enrollment_id:
            known = enrollment(enrollment_id)
            if known is None:
                return _error(404, "not_found", "This enrollment no longer exists. Connect the bank again.")
            own = {"id": known[0], "name": data.INSTITUTIONS[known[0]]}
            return JSONResponse({"title": f"Log in again to {own['name']}", "institutions": [own],
                                 "institution": own, "hint": HINT, "mode": "update"})
        listed = [{"id": k, "name": v} for k, v in data.INSTITUTIONS.items()]
        chosen = request.query_params.get("institution")
        fixed: dict[str, str] | None = next((i for i in listed if i["id"] == chosen), None)
        return JSONResponse({"title": "Connect a bank with Teller", "institutions": [fixed] if fixed else listed,
                             "institution": fixed, "hint": HINT, "mode": "create"})

    async def login(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict) or not _field(body, "application_id"):
            return _error(400, "invalid_request", "send application_id, institution, username and password")
        username, password = _field(body, "username"), _field(body, "password")
        enrollment_id = _field(body, "enrollment_id")
        if enrollment_id:
            known = enrollment(enrollment_id)
            if known is None:
                return _error(404, "not_found", "This enrollment no longer exists. Connect the bank again.")
            if password != SANDBOX_PASSWORD:
                return _error(401, "invalid_credentials", "The username or password is incorrect.")
            backend.reconnect(enrollment_id)
            found = backend.enrollments[enrollment_id]
            return JSONResponse({
                "accessToken": known[1],
                "user": {"id": found.user_id},
                "enrollment": {"id": enrollment_id, "institution": {"name": found.institution_name}},
                "signatures": [],
            })
        try:
            result = backend.enroll(
                username or "username", password, institution=_field(body, "institution") or "security_cu",
                environment=_field(body, "environment") or "sandbox",
            )
        except EnrollmentError as exc:
            if "credentials" in str(exc):
                return _error(401, "invalid_credentials", "The username or password is incorrect.")
            return _error(400, "invalid_request", str(exc))
        return JSONResponse(result)

    return Starlette(routes=[
        Route("/connect/connect.js", script, methods=["GET"]),
        Route("/connect/session", session, methods=["GET"]),
        Route("/connect/login", login, methods=["POST"]),
        Route("/connect/{name}", asset, methods=["GET"]),
    ])
