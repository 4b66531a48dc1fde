"""The emulated Finicity HTTP API (thin: check headers, parse, call `FinicityBackend`, dress as Finicity's JSON).

    >>> app = create_app(FinicityBackend())
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from fin_infra.emulators.faults import Fault, FaultGate, request_headers
from fin_infra.emulators.finicity.connect import connect_routes, is_connect_path
from fin_infra.emulators.finicity.data import person
from fin_infra.emulators.finicity.errors import ConnectError, FinicityAPIError
from fin_infra.emulators.finicity.models import FinicityBackend
from fin_infra.emulators.finicity.responses import live_balance_json, owner_json, transaction_json

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
CONTROL_PREFIX = "/_emulator"
AUTH_PATH = "/aggregation/v2/partners/authentication"
C1 = "/aggregation/v1/customers/{customer_id}"


def _json(content: Any, status: int = 200) -> Response:
    return Response(json.dumps(content, separators=(",", ":")), status_code=status, media_type="application/json",
                    headers={"x-request-id": secrets.token_hex(10)})  # fmt: skip


def _error(exc: FinicityAPIError, headers: dict[str, str] | None = None) -> Response:
    if exc.plain:
        return PlainTextResponse(exc.message, exc.status, headers=headers)
    response = _json(exc.body(), exc.status)
    response.headers.update(headers or {})
    return response


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise FinicityAPIError(400, "14020", "Bad request: the body must be JSON.") from None
    if not isinstance(body, dict):
        raise FinicityAPIError(400, "14020", "Bad request: the body must be a JSON object.")
    return body


def _int(request: Request, name: str, default: int | None = None, *, low: int = 0, high: int = 2**62) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise FinicityAPIError(400, "10005", f"Missing parameter ({name})")
        return default
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise FinicityAPIError(400, "14020", f"Bad request: {name} must be an integer from {low} to {high}.")
    return int(raw)


def create_app(backend: FinicityBackend) -> Starlette:
    """The ASGI app serving ``backend`` with Finicity's routes, plus ``/_emulator/*`` controls."""

    def cid(request: Request) -> str:
        return str(request.path_params["customer_id"])

    async def authenticate(request: Request) -> Response:
        body = await _body(request)
        if "partnerId" not in body or "partnerSecret" not in body:
            raise FinicityAPIError(400, "10005", "Missing parameter (partnerId, partnerSecret)")
        return _json({"token": backend.authenticate(body["partnerId"], body["partnerSecret"])})

    async def create_customer(request: Request) -> Response:
        body = await _body(request)
        kind = "testing" if request.url.path.endswith("/testing") else "active"
        customer = backend.create_customer(body.get("username"), kind)  # type: ignore[arg-type]
        return _json({"id": customer.id, "username": customer.username, "createdDate": customer.created}, 201)

    async def customers(request: Request) -> Response:
        found = backend.find_customers(request.query_params.get("username"))
        rows = [{"id": c.id, "username": c.username, "type": c.kind, "createdDate": str(c.created)} for c in found]
        return _json({"found": len(rows), "displaying": len(rows), "moreAvailable": False, "customers": rows})

    async def customer(request: Request) -> Response:
        found = backend.customer(cid(request))
        if request.method == "DELETE":
            backend.delete_customer(found.id)
            return Response(status_code=204)
        return _json({"id": found.id, "username": found.username, "type": found.kind,
                      "createdDate": str(found.created)})  # fmt: skip

    async def accounts(request: Request) -> Response:
        login_id = request.path_params.get("login_id")
        if request.method == "POST":  # refresh: aggregate now
            for login in {a.login.id: a.login for a in backend.accounts(cid(request), login_id)}.values():
                if login.status_code == 0:
                    login.success_date = int(backend.clock())
        rows = backend.accounts(cid(request), login_id)
        return _json({"accounts": [backend.account_body(a) for a in rows]})

    async def account(request: Request) -> Response:
        found = backend.account(cid(request), request.path_params["account_id"])
        if request.method == "DELETE":
            backend.delete_account(cid(request), found.id)
            return Response(status_code=204)
        return _json(backend.account_body(found))

    async def login(request: Request) -> Response:
        backend.delete_login(cid(request), request.path_params["login_id"])
        return Response(status_code=204)

    async def live_balance(request: Request) -> Response:
        found = backend.account(cid(request), request.path_params["account_id"])
        _, cleared, pending = backend.rows(found)
        return _json(live_balance_json(found, cleared, pending, int(backend.clock())))

    async def transactions(request: Request) -> Response:
        from_date, to_date = _int(request, "fromDate"), _int(request, "toDate")
        start = _int(request, "start", 1, low=1)
        limit = _int(request, "limit", 25, low=1, high=1000)
        sort = request.query_params.get("sort", "desc")
        if sort not in ("asc", "desc"):
            raise FinicityAPIError(400, "14020", "Bad request: sort must be asc or desc.")
        pending = request.query_params.get("includePending", "false").lower() == "true"
        rows = backend.transactions(cid(request), request.path_params.get("account_id"), from_date, to_date,
                                    include_pending=pending, sort=sort)  # fmt: skip
        page = rows[start - 1 : start - 1 + limit]
        return _json({
            "found": len(rows), "displaying": len(page), "moreAvailable": str(start - 1 + limit < len(rows)).lower(),
            "fromDate": str(from_date), "toDate": str(to_date), "sort": sort,
            "transactions": [transaction_json(a, r) for a, r in page],
        })  # fmt: skip

    async def owner(request: Request) -> Response:
        found = backend.account(cid(request), request.path_params["account_id"])
        return _json({"holders": [owner_json(person(found.login.customer_id))]})

    async def generate(request: Request) -> Response:
        body = await _body(request)
        return _json({"link": backend.generate_link(body, fix=request.url.path.endswith("/fix"))})

    async def control_connect(request: Request) -> Response:
        body = await _body(request)
        session = body.get("signature") or request.query_params.get("signature")
        customer_id = str(body.get("customerId") or request.query_params.get("customerId") or "")
        try:
            if body.get("institutionLoginId"):
                event = await asyncio.to_thread(backend.fix, customer_id, str(body["institutionLoginId"]),
                                                session=session)  # fmt: skip
            else:
                event = await asyncio.to_thread(
                    backend.connect, customer_id, str(body.get("username", "demo")), str(body.get("password", "go")),
                    institution_id=str(body.get("institutionId", "101732")), accounts=int(body.get("accounts", 3)),
                    mfa_answer=body.get("mfaAnswer"), session=session,
                )  # fmt: skip
        except ConnectError as exc:
            return _json({"code": str(exc.code), "message": str(exc)}, 422)
        return _json(event, 201)

    async def control_faults(request: Request) -> Response:
        body = await _body(request)
        planned = backend.faults.apply(body)
        if body.get("expire_tokens"):
            backend.expire_tokens()
        return _json(planned)

    async def control_aggregation(request: Request) -> Response:
        body = await _body(request)
        try:
            backend.set_aggregation_status(str(body.get("institutionLoginId")), int(body.get("code", 0)))
        except KeyError:
            raise FinicityAPIError(404, "14001", "Resource not found.") from None
        return Response(status_code=204)

    async def control_reset(request: Request) -> Response:
        backend.reset()
        return Response(status_code=204)

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FinicityAPIError)
        return _error(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = 404 if exc.status_code == 404 else 400
        return _error(FinicityAPIError(status, None, "Resource not found." if status == 404 else "Bad request."))

    routes = [
        Route(AUTH_PATH, authenticate, methods=["POST"]),
        Route("/aggregation/v2/customers/testing", create_customer, methods=["POST"]),
        Route("/aggregation/v2/customers/active", create_customer, methods=["POST"]),
        Route("/aggregation/v1/customers", customers),
        Route(C1, customer, methods=["GET", "DELETE"]),
        Route(f"{C1}/accounts", accounts, methods=["GET", "POST"]),
        Route(f"{C1}/institutionLogins/{{login_id}}", login, methods=["DELETE"]),
        Route(f"{C1}/institutionLogins/{{login_id}}/accounts", accounts, methods=["GET", "POST"]),
        Route("/aggregation/v2/customers/{customer_id}/accounts/{account_id}", account),
        Route(f"{C1}/accounts/{{account_id}}", account, methods=["DELETE"]),
        Route(f"{C1}/accounts/{{account_id}}/availableBalance/live", live_balance),
        Route(f"{C1}/accounts/{{account_id}}/availableBalance", live_balance),
        Route("/aggregation/v3/customers/{customer_id}/transactions", transactions),
        Route("/aggregation/v4/customers/{customer_id}/accounts/{account_id}/transactions", transactions),
        Route("/aggregation/v3/customers/{customer_id}/accounts/{account_id}/owner", owner),
        Route("/connect/v2/generate", generate, methods=["POST"]),
        Route("/connect/v2/generate/fix", generate, methods=["POST"]),
        *connect_routes(backend),  # Connect's stand-in: the SDK script and the page a link opens (connect.py)
        Route(f"{CONTROL_PREFIX}/connect", control_connect, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/faults", control_faults, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/aggregation", control_aggregation, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/reset", control_reset, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={FinicityAPIError: on_api_error, HTTPException: on_http_error})
    app.add_middleware(_Gate, backend=backend)
    return app


class _Gate(FaultGate[FinicityBackend]):
    """Records each API request, adds latency, plays injected faults, and checks the app key and token."""

    partial_body = b'{"accounts":[{"id":"50'

    def passes(self, path: str) -> bool:
        return path.startswith(CONTROL_PREFIX) or is_connect_path(path)

    def fault_error(self, fault: Fault, headers: dict[str, str] | None) -> Response:
        return _error(FinicityAPIError(fault.status, fault.code, fault.message), headers)

    def refusal(self, scope: Scope) -> Response | None:
        headers = request_headers(scope)
        try:
            key = headers.get("finicity-app-key")
            if not key:
                raise FinicityAPIError(401, "10026", "Missing parameter (Finicity-App-Key)")
            if key != self.backend.app_key:
                raise FinicityAPIError(401, None, "Invalid (Finicity-App-Key)", plain=True)
            if scope.get("path", "") != AUTH_PATH:
                self.backend.check_token(headers.get("finicity-app-token"))
        except FinicityAPIError as exc:
            return _error(exc)
        return None
