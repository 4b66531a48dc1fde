"""The emulated MX Platform API (thin: check the request, call `MXBackend`, dress the result as MX's JSON).

    >>> app = create_app(MXBackend())

Every API request passes `_Gate` first: recorded, delayed by the injected latency, answered by an
injected fault, then checked as MX checks it (HTTP Basic ``client_id:api_key`` -> else 401; ``Accept:
application/vnd.mx.api.v1+json`` -> else 406; a POST/PUT without ``Content-Type: application/json`` -> 404).
``/_emulator/*`` are the emulator's own controls (no auth).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fin_infra._json import decimal_fragment
from fin_infra.emulators.faults import Fault, FaultGate, request_headers
from fin_infra.emulators.mx import data
from fin_infra.emulators.mx import responses as r
from fin_infra.emulators.mx.controls import control_routes
from fin_infra.emulators.mx.errors import MXAPIError
from fin_infra.emulators.mx.models import JOB_TYPES, MXBackend
from fin_infra.emulators.mx.widget import WIDGET_PREFIX, widget_routes

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
MEDIA_TYPE = "application/vnd.mx.api.v1+json"
CONTROL_PREFIX = "/_emulator"


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # orjson writes a Decimal as its own digits (1310.20), through fin-infra's fragment helper.
    body = orjson.dumps(content, default=decimal_fragment)
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _error(exc: MXAPIError, headers: dict[str, str] | None = None) -> Response:
    return _json(exc.body(), exc.status, headers)


def _page(request: Request) -> tuple[int, int]:
    """(page, records_per_page): default 25; over 1000 -> 25 (as documented); under 10 -> 10 (UNCONFIRMED)."""
    values = []
    for name, default in (("page", 1), ("records_per_page", 25)):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            values.append(default)
        elif not raw.isdigit() or int(raw) < 1:
            raise MXAPIError(400, f"{name} must be a positive integer")
        else:
            values.append(int(raw))
    page, per_page = values
    per_page = 25 if per_page > 1000 else max(10, per_page)
    return page, per_page


def _paged(request: Request, key: str, items: list[Any]) -> Response:
    page, per_page = _page(request)
    chunk = items[(page - 1) * per_page : page * per_page]
    return _json({key: chunk, "pagination": r.pagination(len(items), page=page, per_page=per_page)})


def _date(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise MXAPIError(400, f"{name} must be a date as YYYY-MM-DD") from None


async def _body(request: Request, key: str | None = None) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise MXAPIError(400, "The request body must be JSON.") from None
    if not isinstance(body, dict):
        raise MXAPIError(400, "The request body must be a JSON object.")
    if key is None:
        return body
    inner = body.get(key)
    if not isinstance(inner, dict):
        raise MXAPIError(400, f"The request body must be wrapped in {key!r}.")
    return inner


def create_app(backend: MXBackend) -> Starlette:
    """The ASGI app serving ``backend`` with MX's routes, plus ``/_emulator/*`` controls."""

    def p(request: Request, name: str) -> str:
        return str(request.path_params[name])

    def member_and_user(request: Request) -> tuple[Any, Any]:
        user = backend.user(p(request, "user_guid"))
        return backend.member(user.guid, p(request, "member_guid")), user

    # --- institutions and users ----------------------------------------------------------------------

    async def institutions(request: Request) -> Response:
        return _paged(request, "institutions", [r.institution_json(i) for i in data.INSTITUTIONS.values()])

    async def institution(request: Request) -> Response:
        found = data.INSTITUTIONS.get(p(request, "code"))
        if found is None:
            raise MXAPIError(404, "The institution was not found.")
        if request.url.path.endswith("/credentials"):
            return _paged(request, "credentials", r.credentials_json(found))
        return _json({"institution": r.institution_json(found)})

    async def users(request: Request) -> Response:
        if request.method == "POST":
            body = await _body(request, "user")
            user = backend.create_user(body.get("id"), body.get("email"), body.get("metadata"))
            return _json({"user": r.user_json(user)})
        found = backend.find_users(request.query_params.get("id"))
        return _paged(request, "users", [r.user_json(u) for u in found])

    async def user(request: Request) -> Response:
        if request.method == "DELETE":
            backend.delete_user(p(request, "user_guid"))
            return Response(status_code=204)
        return _json({"user": r.user_json(backend.user(p(request, "user_guid")))})

    async def widget_urls(request: Request) -> Response:
        body = await _body(request, "widget_url")
        if body.get("widget_type") != "connect_widget":
            raise MXAPIError(400, "widget_type is required (the emulator serves connect_widget)")
        user_found = backend.user(p(request, "user_guid"))
        session = backend.create_widget(user_found.guid, body.get("current_member_guid"),
                                        bool(body.get("include_identity")))  # fmt: skip
        url = f"{str(request.base_url).rstrip('/')}{WIDGET_PREFIX}/{session.token}"
        return _json({"widget_url": {"type": "connect_widget", "url": url, "user_id": user_found.id}})

    # --- members -------------------------------------------------------------------------------------

    def credentials(body: dict[str, Any], code: str) -> tuple[str, str]:
        given = {c.get("guid"): c.get("value") for c in body.get("credentials") or [] if isinstance(c, dict)}
        login, secret = (given.get(data.guid("CRD", code, f)) for f in ("LOGIN", "PASSWORD"))
        if not isinstance(login, str) or not isinstance(secret, str):
            raise MXAPIError(400, "credentials must hold the institution's LOGIN and PASSWORD credential guids")
        return login, secret

    async def members(request: Request) -> Response:
        user_found = backend.user(p(request, "user_guid"))
        if request.method == "POST":
            body = await _body(request, "member")
            code = body.get("institution_code")
            if not isinstance(code, str) or code not in data.INSTITUTIONS:
                raise MXAPIError(404 if isinstance(code, str) else 400, "institution_code is missing or unknown")
            login, secret = credentials(body, code)
            member = backend.create_member(user_found.guid, code, login, secret, member_id=body.get("id"))
            return _json({"member": r.member_json(member, user_found)}, 202)
        found = backend.members_of(user_found.guid)
        return _paged(request, "members", [r.member_json(m, user_found) for m in found])

    async def member(request: Request) -> Response:
        found, user_found = member_and_user(request)
        if request.method == "DELETE":
            backend.delete_member(user_found.guid, found.guid)
            return Response(status_code=204)
        if request.method == "PUT":
            body = await _body(request, "member")
            if "credentials" in body:
                login, secret = credentials(body, found.institution_code)
                found = backend.update_credentials(user_found.guid, found.guid, login, secret)
        return _json({"member": r.member_json(found, user_found)})

    async def member_status(request: Request) -> Response:
        found, _ = member_and_user(request)
        return _json({"member": r.status_json(found)})

    async def challenges(request: Request) -> Response:
        found, _ = member_and_user(request)
        return _paged(request, "challenges", r.challenges_json(found))

    async def resume(request: Request) -> Response:
        found, user_found = member_and_user(request)
        body = await _body(request, "member")
        answers = [str(c.get("value")) for c in body.get("challenges") or [] if isinstance(c, dict)]
        found = backend.resume(user_found.guid, found.guid, answers)
        return _json({"member": r.member_json(found, user_found)}, 202)

    async def job(request: Request) -> Response:
        kind = request.url.path.rsplit("/", 1)[-1]
        found, user_found = member_and_user(request)
        found = backend.start_job(user_found.guid, found.guid, kind)
        # 202 Accepted, as MX documents for jobs; verify is listed with 200 in the 20111101 document.
        return _json({"member": r.member_json(found, user_found)}, 200 if kind == "verify" else 202)

    # --- accounts, transactions, owners ----------------------------------------------------------------

    async def accounts(request: Request) -> Response:
        user_found = backend.user(p(request, "user_guid"))
        member_guid = request.path_params.get("member_guid")
        found = backend.accounts(user_found.guid, member_guid)
        return _paged(request, "accounts", [r.account_json(a, backend.members[a.member_guid], user_found)
                                            for a in found])  # fmt: skip

    async def account(request: Request) -> Response:
        user_found = backend.user(p(request, "user_guid"))
        found = backend.account(user_found.guid, p(request, "account_guid"), request.path_params.get("member_guid"))
        return _json({"account": r.account_json(found, backend.members[found.member_guid], user_found)})

    async def transactions(request: Request) -> Response:
        user_found = backend.user(p(request, "user_guid"))
        rows = backend.transactions(
            user_found.guid,
            member_guid=request.path_params.get("member_guid"),
            account_guid=request.path_params.get("account_guid"),
            from_date=_date(request, "from_date"),
            to_date=_date(request, "to_date"),
        )
        page, per_page = _page(request)
        chunk = rows[(page - 1) * per_page : page * per_page]
        body = [r.transaction_json(a, backend.members[a.member_guid], user_found, row) for a, row in chunk]
        return _json({"transactions": body, "pagination": r.pagination(len(rows), page=page, per_page=per_page)})

    async def account_owners(request: Request) -> Response:
        found, _ = member_and_user(request)
        owners = backend.owners(found.user_guid, found.guid)
        return _paged(request, "account_owners", [r.owner_json(a, found, o) for a, o in owners])

    async def account_numbers(request: Request) -> Response:
        found, _ = member_and_user(request)
        items = [r.account_number_json(a, found) for a in found.accounts] if found.verified else []
        return _paged(request, "account_numbers", items)

    async def on_mx_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MXAPIError)
        return _error(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(MXAPIError(exc.status_code if exc.status_code in (404, 405) else 400))

    u, m, a = "/users/{user_guid}", "/users/{user_guid}/members/{member_guid}", "/accounts/{account_guid}"
    routes = [
        Route("/institutions", institutions),
        Route("/institutions/{code}", institution),
        Route("/institutions/{code}/credentials", institution),
        Route("/users", users, methods=["GET", "POST"]),
        Route(u, user, methods=["GET", "DELETE"]),
        Route(f"{u}/widget_urls", widget_urls, methods=["POST"]),
        Route(f"{u}/members", members, methods=["GET", "POST"]),
        Route(m, member, methods=["GET", "PUT", "DELETE"]),
        Route(f"{m}/status", member_status),
        Route(f"{m}/challenges", challenges),
        Route(f"{m}/resume", resume, methods=["PUT"]),
        *(Route(f"{m}/{kind}", job, methods=["POST"]) for kind in JOB_TYPES),
        Route(f"{u}/accounts", accounts),
        Route(f"{u}{a}", account),
        Route(f"{m}/accounts", accounts),
        Route(f"{m}{a}", account),
        Route(f"{u}/transactions", transactions),
        Route(f"{u}{a}/transactions", transactions),
        Route(f"{m}/transactions", transactions),
        Route(f"{m}/account_owners", account_owners),
        Route(f"{m}/account_numbers", account_numbers),
        *widget_routes(backend),  # the Connect widget's stand-in (widget.py)
        *control_routes(backend, CONTROL_PREFIX),
    ]
    app = Starlette(routes=routes, exception_handlers={MXAPIError: on_mx_error, HTTPException: on_http_error})
    app.add_middleware(_Gate, backend=backend)
    return app


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


class _Gate(FaultGate[MXBackend]):
    """Records each API request, adds latency, plays injected faults, then checks auth and headers."""

    partial_body = b'{"accounts":[{"guid":"ACT-'
    media_type = MEDIA_TYPE

    def passes(self, path: str) -> bool:
        return path.startswith((CONTROL_PREFIX, WIDGET_PREFIX))

    def fault_error(self, fault: Fault, headers: dict[str, str] | None) -> Response:
        return _error(MXAPIError(fault.status, fault.message), headers)

    def refusal(self, scope: Scope) -> Response | None:
        problem = self._check(scope)
        return _error(problem) if problem is not None else None

    def _check(self, scope: Scope) -> MXAPIError | None:
        headers = request_headers(scope)
        given = _basic_credentials(headers.get("authorization", ""))
        expected = (self.backend.client_id, self.backend.api_key)
        pairs = zip(given or ("", ""), expected, strict=True)
        matches = [hmac.compare_digest(g.encode(), e.encode()) for g, e in pairs]
        if given is None or not all(matches):
            return MXAPIError(401)
        if MEDIA_TYPE not in headers.get("accept", ""):
            return MXAPIError(406)
        if scope["method"] in ("POST", "PUT") and not headers.get("content-type", "").startswith("application/json"):
            return MXAPIError(404, "POST and PUT requests need Content-Type: application/json.")
        return None


__all__ = ["CONTROL_PREFIX", "MEDIA_TYPE", "create_app"]
