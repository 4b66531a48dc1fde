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

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators.teller import data
from fin_infra.emulators.teller.errors import EnrollmentError
from fin_infra.emulators.teller.models import SANDBOX_PASSWORD, TellerBackend
from fin_infra.emulators.widgets.routes import MAX_FIELD, error, field, file_route, files_route, json_object, session

HINT = f"Sandbox credentials: username \"username\", password \"{SANDBOX_PASSWORD}\"."


def create_connect_app(backend: TellerBackend) -> Starlette:
    """Teller Connect's stand-in over ``backend`` (serve it with `EmulatorServer`, plain HTTP)."""

    def enrollment(enrollment_id: str) -> tuple[str, str] | None:
        """(institution id, token) of an enrollment, or None."""
        found = backend.enrollments.get(enrollment_id)
        token = next((t for t, e in backend.tokens.items() if e == enrollment_id), None)
        return (found.institution_id, token) if found is not None and token is not None else None

    async def start(request: Request) -> Response:
        if not request.query_params.get("application_id"):
            return error(400, "invalid_request", "applicationId is required")
        enrollment_id = request.query_params.get("enrollment_id", "")[:MAX_FIELD]
        if enrollment_id:
            known = enrollment(enrollment_id)
            if known is None:
                return error(404, "not_found", "This enrollment no longer exists. Connect the bank again.")
            own = {"id": known[0], "name": data.INSTITUTIONS[known[0]]}
            return session("Teller", HINT, [own], fixed=own)
        listed = [{"id": k, "name": v} for k, v in data.INSTITUTIONS.items()]
        asked = request.query_params.get("institution")
        return session("Teller", HINT, listed, chosen=next((i for i in listed if i["id"] == asked), None))

    async def login(request: Request) -> Response:
        body = await json_object(request)
        if body is None or not field(body, "application_id"):
            return error(400, "invalid_request", "send application_id, institution, username and password")
        username, password = field(body, "username"), field(body, "password")
        enrollment_id = field(body, "enrollment_id")
        if enrollment_id:
            known = enrollment(enrollment_id)
            if known is None:
                return error(404, "not_found", "This enrollment no longer exists. Connect the bank again.")
            if password != SANDBOX_PASSWORD:
                return error(401, "invalid_credentials", "The username or password is incorrect.")
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
                username or "username", password, institution=field(body, "institution") or "security_cu",
                environment=field(body, "environment") or "sandbox",
            )
        except EnrollmentError as exc:
            if "credentials" in str(exc):
                return error(401, "invalid_credentials", "The username or password is incorrect.")
            return error(400, "invalid_request", str(exc))
        return JSONResponse(result)

    return Starlette(routes=[
        file_route("/connect/connect.js", "teller-connect.js"),
        Route("/connect/session", start, methods=["GET"]),
        Route("/connect/login", login, methods=["POST"]),
        files_route("/connect/"),
    ])
