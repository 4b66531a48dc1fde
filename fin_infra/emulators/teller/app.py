"""The emulated Teller HTTP API (thin: parse, call `TellerBackend`, dress the result as Teller's JSON).

    >>> app = create_app(TellerBackend())
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fin_infra.emulators.teller import data
from fin_infra.emulators.teller.errors import EnrollmentError, TellerAPIError
from fin_infra.emulators.teller.models import Account, Enrollment, TellerBackend

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
CONTROL_PREFIX = "/_emulator"


def _request_id() -> str:
    return secrets.token_hex(10)


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(content, separators=(",", ":")),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers={"x-request-id": _request_id(), **(headers or {})},
    )


def _error(exc: TellerAPIError, headers: dict[str, str] | None = None) -> Response:
    return _json(exc.body(), exc.status, headers)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _status(enrollment: Enrollment) -> dict[str, str]:
    return {"teller-enrollment-status": "disconnected" if enrollment.disconnected else "healthy"}


def _account_json(base: str, account: Account, enrollment: Enrollment) -> dict[str, Any]:
    url = f"{base}/accounts/{account.id}"
    links = {"self": url, "balances": f"{url}/balances", "transactions": f"{url}/transactions"}
    if account.template.type == "depository":
        links["details"] = f"{url}/details"
    return {
        "id": account.id,
        "enrollment_id": account.enrollment_id,
        "name": account.name,
        "type": account.template.type,
        "subtype": account.template.subtype,
        "status": account.status,
        "currency": "USD",
        "last_four": account.last_four,
        "institution": {"id": enrollment.institution_id, "name": enrollment.institution_name},
        "links": {k: v for k, v in links.items() if account.status == "open" or k == "self"},
    }


def _transaction_json(base: str, account: Account, row: data.Row) -> dict[str, Any]:
    url = f"{base}/accounts/{account.id}"
    return {
        "id": row.id,
        "account_id": account.id,
        "amount": _money(row.amount),
        "date": row.date.isoformat(),
        "description": row.description,
        "status": "pending" if row.pending else "posted",
        "type": row.type,
        "running_balance": _money(row.running_balance),
        "details": {
            "processing_status": "pending" if row.pending else "complete",
            "category": row.category,
            "counterparty": {"name": row.counterparty, "type": row.counterparty_type},
        },
        "links": {"self": f"{url}/transactions/{row.id}", "account": url},
    }


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise TellerAPIError(400, "bad_request", f"{name} must be a positive integer")
    return int(value)


def _date_param(request: Request, name: str) -> dt.date | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise TellerAPIError(400, "bad_request", f"{name} must be a date as YYYY-MM-DD") from None


def create_app(backend: TellerBackend) -> Starlette:
    """The ASGI app serving ``backend`` with Teller's routes, plus ``/_emulator/*`` controls."""

    async def root(request: Request) -> Response:
        return _json({"links": {"accounts": f"{_base(request)}/accounts"}})

    async def institutions(request: Request) -> Response:
        products = ["verify", "balance", "transactions", "identity"]
        return _json([{"id": k, "name": v, "products": products} for k, v in data.INSTITUTIONS.items()])

    async def accounts(request: Request) -> Response:
        token = _token(request)
        enrollment = backend.enrollment_for(token)
        if request.method == "DELETE":
            backend.remove(token)
            return Response(status_code=204)
        base = _base(request)
        return _json([_account_json(base, a, enrollment) for a in backend.accounts(token)], headers=_status(enrollment))

    async def account(request: Request) -> Response:
        token, account_id = _token(request), request.path_params["account_id"]
        enrollment = backend.enrollment_for(token)
        if request.method == "DELETE":
            backend.remove(token, account_id)
            return Response(status_code=204)
        found = backend.account(token, account_id)
        if found.status == "closed":
            raise TellerAPIError(410, "account.closed", "The account is closed.")
        return _json(_account_json(_base(request), found, enrollment), headers=_status(enrollment))

    async def balances(request: Request) -> Response:
        token, account_id = _token(request), request.path_params["account_id"]
        enrollment = backend.enrollment_for(token)
        found, ledger, available = backend.balances(token, account_id)
        url = f"{_base(request)}/accounts/{found.id}"
        body = {
            "account_id": found.id,
            "ledger": _money(ledger),
            "available": _money(available),
            "links": {"self": f"{url}/balances", "account": url},
        }
        return _json(body, headers=_status(enrollment))

    async def details(request: Request) -> Response:
        token, account_id = _token(request), request.path_params["account_id"]
        enrollment = backend.enrollment_for(token)
        found, number, routing = backend.details(token, account_id)
        url = f"{_base(request)}/accounts/{found.id}"
        body = {
            "account_id": found.id,
            "account_number": number,
            "routing_numbers": {"ach": routing, "wire": None},
            "links": {"self": f"{url}/details", "account": url},
        }
        return _json(body, headers=_status(enrollment))

    async def transactions(request: Request) -> Response:
        token, account_id = _token(request), request.path_params["account_id"]
        enrollment = backend.enrollment_for(token)
        found, rows = backend.transactions(
            token,
            account_id,
            count=_int_param(request, "count"),
            from_id=request.query_params.get("from_id"),
            start_date=_date_param(request, "start_date"),
            end_date=_date_param(request, "end_date"),
        )
        base = _base(request)
        return _json([_transaction_json(base, found, r) for r in rows], headers=_status(enrollment))

    async def transaction(request: Request) -> Response:
        token = _token(request)
        enrollment = backend.enrollment_for(token)
        found, row = backend.transaction(token, request.path_params["account_id"], request.path_params["txn_id"])
        return _json(_transaction_json(_base(request), found, row), headers=_status(enrollment))

    async def identity(request: Request) -> Response:
        token = _token(request)
        enrollment, who = backend.identity(token)
        owner = {
            "type": "person",
            "names": [{"type": "name", "data": who.name}],
            "addresses": [
                {
                    "primary": True,
                    "data": {"street": who.street, "city": who.city, "region": who.region,
                             "postal_code": who.postal_code, "country": "US"},
                }
            ],
            "phone_numbers": [{"type": "mobile", "data": who.phone}],
            "emails": [{"data": who.email}],
        }
        base = _base(request)
        body = [{"account": _account_json(base, a, enrollment), "owners": [owner]} for a in enrollment.accounts]
        return _json(body, headers=_status(enrollment))

    async def control_enroll(request: Request) -> Response:
        body = await _body(request)
        try:
            payload = backend.enroll(
                str(body.get("username", "username")),
                str(body.get("password", "password")),
                institution=str(body.get("institution", "security_cu")),
                accounts=int(body.get("accounts", 3)),
            )
        except (EnrollmentError, ValueError) as exc:
            raise TellerAPIError(422, "unprocessable_entity", str(exc)) from None
        return _json(payload, 201)

    async def control_faults(request: Request) -> Response:
        body = await _body(request)
        if "latency" in body:
            backend.faults.latency = float(body["latency"])
        if isinstance(body.get("fail"), dict):
            fail = body["fail"]
            backend.faults.fail_next(
                int(fail.get("status", 500)), fail.get("code"), times=int(fail.get("times", 1)),
                retry_after=fail.get("retry_after"), path=fail.get("path"),
            )
        if isinstance(body.get("drop"), dict):
            backend.faults.drop_next(times=int(body["drop"].get("times", 1)), path=body["drop"].get("path"))
        return _json({"pending_faults": backend.faults.pending(), "latency": backend.faults.latency})

    async def control_reset(request: Request) -> Response:
        backend.reset()
        return Response(status_code=204)

    async def on_teller_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TellerAPIError)
        return _error(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = exc.status_code if exc.status_code in (404, 405) else 400
        code = "not_found" if status == 404 else "bad_request"
        return _error(TellerAPIError(status, code, "No such route." if status == 404 else "Method not allowed."))

    routes = [
        Route("/", root),
        Route("/institutions", institutions),
        Route("/accounts", accounts, methods=["GET", "DELETE"]),
        Route("/accounts/{account_id}", account, methods=["GET", "DELETE"]),
        Route("/accounts/{account_id}/balances", balances),
        Route("/accounts/{account_id}/details", details),
        Route("/accounts/{account_id}/transactions", transactions),
        Route("/accounts/{account_id}/transactions/{txn_id}", transaction),
        Route("/identity", identity),
        Route(f"{CONTROL_PREFIX}/enrollments", control_enroll, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/faults", control_faults, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/reset", control_reset, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes, exception_handlers={TellerAPIError: on_teller_error, HTTPException: on_http_error}
    )
    app.add_middleware(_FaultMiddleware, backend=backend)
    return app


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise TellerAPIError(422, "unprocessable_entity", "the request body must be JSON") from None
    if not isinstance(body, dict):
        raise TellerAPIError(422, "unprocessable_entity", "the request body must be a JSON object")
    return body


class _FaultMiddleware:
    """Records each API request, adds the configured latency, and plays injected faults."""

    def __init__(self, app: ASGIApp, backend: TellerBackend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        self.backend.record(scope["method"], path, query)
        if self.backend.faults.latency > 0:
            await asyncio.sleep(self.backend.faults.latency)
        fault = self.backend.faults.take(path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.drop:
            # Promise a body, send part of it and stop: uvicorn then closes the connection mid-response.
            promised = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
            await send({"type": "http.response.start", "status": 200, "headers": promised})
            await send({"type": "http.response.body", "body": b'[{"id":"acc_', "more_body": True})
            return
        headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
        response = _error(TellerAPIError(fault.status, fault.code, fault.message), headers)
        await response(scope, receive, send)
