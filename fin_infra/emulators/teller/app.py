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
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fin_infra.emulators.faults import Fault, FaultGate
from fin_infra.emulators.teller import data
from fin_infra.emulators.teller.errors import EnrollmentError, TellerAPIError
from fin_infra.emulators.teller.models import Enrollment, TellerBackend
from fin_infra.emulators.teller.responses import account_json, money, transaction_json
from fin_infra.emulators.teller.webhooks import SentWebhook

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
CONTROL_PREFIX = "/_emulator"
MISSING_CERTIFICATE = "Missing certificate: Retry request using your Teller client certificate."
# Products per institution, as Teller's /institutions lists them (verification by kind).
INSTITUTION_PRODUCTS = ["verify.instant", "balance", "transactions", "identity"]


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


def _has_certificate(request: Request) -> bool:
    """Whether the connection presented a client certificate (the server verified it in the handshake)."""
    tls = (request.scope.get("extensions") or {}).get("tls") or {}
    return bool(tls.get("client_cert_chain"))


def _enrollment_scoped(path: str) -> bool:
    # Teller sends teller-enrollment-status on these (its recordings: an account, its transactions, a
    # 404 for details); not on the account list.
    return path.startswith("/accounts/") or path == "/identity"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _status(enrollment: Enrollment) -> dict[str, str]:
    return {"teller-enrollment-status": "disconnected" if enrollment.disconnected else "healthy"}


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

    def authorize(request: Request) -> tuple[str | None, Enrollment]:
        """The request's token and enrollment: 401 / 403 for a missing / unknown token; a development
        or production token without a client certificate: 400 ``Missing certificate``, as Teller answers."""
        token = _token(request)
        found = backend.enrollment_for(token)
        if found.environment != "sandbox" and not _has_certificate(request):
            raise TellerAPIError(400, "bad_request", MISSING_CERTIFICATE)
        return token, found

    async def institutions(request: Request) -> Response:
        return _json([{"id": k, "name": v, "products": INSTITUTION_PRODUCTS} for k, v in data.INSTITUTIONS.items()])

    async def accounts(request: Request) -> Response:
        token, enrollment = authorize(request)
        if request.method == "DELETE":
            backend.remove(token)
            return Response(status_code=204)
        base = _base(request)
        return _json([account_json(base, a, enrollment) for a in backend.accounts(token)])  # no status header

    async def account(request: Request) -> Response:
        token, enrollment = authorize(request)
        account_id = request.path_params["account_id"]
        if request.method == "DELETE":
            backend.remove(token, account_id)
            return Response(status_code=204)
        found = backend.account(token, account_id)
        if found.status == "closed":
            raise TellerAPIError(410, "account.closed", "The account is closed.")
        return _json(account_json(_base(request), found, enrollment), headers=_status(enrollment))

    async def balances(request: Request) -> Response:
        token, enrollment = authorize(request)
        account_id = request.path_params["account_id"]
        found, ledger, available = backend.balances(token, account_id)
        url = f"{_base(request)}/accounts/{found.id}"
        body = {
            "account_id": found.id,
            "ledger": money(ledger),
            "available": money(available),
            "links": {"self": f"{url}/balances", "account": url},
        }
        return _json(body, headers=_status(enrollment))

    async def details(request: Request) -> Response:
        token, enrollment = authorize(request)
        account_id = request.path_params["account_id"]
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
        token, enrollment = authorize(request)
        account_id = request.path_params["account_id"]
        found, rows = backend.transactions(
            token,
            account_id,
            count=_int_param(request, "count"),
            from_id=request.query_params.get("from_id"),
            start_date=_date_param(request, "start_date"),
            end_date=_date_param(request, "end_date"),
        )
        base = _base(request)
        return _json([transaction_json(base, found, r) for r in rows], headers=_status(enrollment))

    async def transaction(request: Request) -> Response:
        token, enrollment = authorize(request)
        found, row = backend.transaction(token, request.path_params["account_id"], request.path_params["txn_id"])
        return _json(transaction_json(_base(request), found, row), headers=_status(enrollment))

    async def identity(request: Request) -> Response:
        token, _ = authorize(request)
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
        body = [{"account": account_json(base, a, enrollment), "owners": [owner]} for a in enrollment.accounts]
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
        return _json(backend.faults.apply(body))

    async def control_webhook(request: Request) -> Response:
        body = await _body(request)
        url, given = body.get("url"), body.get("secrets")
        try:
            if url is not None and not isinstance(url, str):
                raise ValueError("url must be a string or null")
            if given is not None and not isinstance(given, list):
                raise ValueError("secrets must be a list of strings")
            live = backend.webhooks.configure(url, given)
        except ValueError as exc:
            raise TellerAPIError(422, "unprocessable_entity", str(exc)) from None
        return _json({"url": backend.webhooks.url, "secrets": live})

    async def control_fire(request: Request) -> Response:
        body = await _body(request)
        kind = body.get("type")
        events: dict[str, Callable[[], SentWebhook | None]] = {
            "enrollment.disconnected": lambda: backend.disconnect(
                str(body.get("enrollment_id")), str(body.get("reason", "disconnected"))
            ),
            "transactions.processed": lambda: backend.process_transactions(
                str(body.get("enrollment_id")), days=int(body.get("days", 2))
            ),
            "account.number_verification.processed": lambda: backend.complete_number_verification(
                str(body.get("account_id")), str(body.get("status", "completed"))
            ),
            "webhook.test": backend.send_test_webhook,
        }
        if kind not in events:
            raise TellerAPIError(422, "unprocessable_entity", f"type must be one of: {', '.join(events)}")
        try:
            # Delivery blocks on the receiver: keep it off the emulator's event loop.
            sent = await asyncio.to_thread(events[kind])
        except KeyError as exc:
            raise TellerAPIError(404, "not_found", f"no such enrollment or account: {exc.args[0]}") from None
        except (EnrollmentError, TypeError, ValueError) as exc:
            raise TellerAPIError(422, "unprocessable_entity", str(exc)) from None
        if sent is None:
            return _json({"sent": None})
        return _json({"sent": {"id": sent.event_id, "type": sent.type, "url": sent.url,
                               "status_code": sent.status_code, "error": sent.error}})  # fmt: skip

    async def control_reset(request: Request) -> Response:
        backend.reset()
        return Response(status_code=204)

    async def on_teller_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TellerAPIError)
        # Errors of enrollment calls carry the enrollment's status too (Teller's recorded 404 does).
        found = backend.find_enrollment(_token(request)) if _enrollment_scoped(request.url.path) else None
        return _error(exc, _status(found) if found is not None else None)

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
        Route(f"{CONTROL_PREFIX}/webhook", control_webhook, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/webhooks", control_fire, methods=["POST"]),
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


class _FaultMiddleware(FaultGate[TellerBackend]):
    """Records each API request, adds the configured latency, and plays injected faults."""

    partial_body = b'[{"id":"acc_'

    def passes(self, path: str) -> bool:
        return path.startswith(CONTROL_PREFIX)

    def fault_error(self, fault: Fault, headers: dict[str, str] | None) -> Response:
        return _error(TellerAPIError(fault.status, fault.code, fault.message), headers)
