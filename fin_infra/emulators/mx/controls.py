"""The emulator's own controls, ``/_emulator/*`` (no auth): what tests and demos do over HTTP.

- ``POST /_emulator/connect`` ``{"widget_url", "password", "username", "institution_code", "answer", "accounts"}``:
  the end user in the Connect widget; answers the widget's postMessage event.
- ``POST /_emulator/faults`` ``{"latency": 0.05, "fail": {"status": 503, "times": 2, "path": "/users",
  "retry_after": 1}, "drop": {"times": 1}}``.
- ``POST /_emulator/webhook`` ``{"url", "username", "password"}``: where webhooks go, with which Basic credentials.
- ``POST /_emulator/members/{member_guid}/status`` ``{"connection_status": "EXPIRED"}``: a change at the bank.
- ``POST /_emulator/accounts/{account_guid}/balance`` ``{"balance": "1234.56"}``: the bank's balance changes.
- ``POST /_emulator/reset``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators.mx import data
from fin_infra.emulators.mx.errors import ConnectError, MXAPIError
from fin_infra.emulators.mx.models import MXBackend


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise MXAPIError(400, "The request body must be JSON.") from None
    if not isinstance(body, dict):
        raise MXAPIError(400, "The request body must be a JSON object.")
    return body


def _json(content: Any) -> Response:
    return JSONResponse(content)


def control_routes(backend: MXBackend, prefix: str) -> list[Route]:
    """The ``{prefix}/*`` routes driving ``backend``."""

    def p(request: Request, name: str) -> str:
        return str(request.path_params[name])

    async def control_connect(request: Request) -> Response:
        body = await _body(request)
        try:
            event = backend.connect(
                str(body.get("widget_url", "")),
                institution_code=str(body.get("institution_code", "mxbank")),
                username=str(body.get("username", data.SANDBOX_USERNAME)),
                password=str(body.get("password", "password")),
                answer=body.get("answer"),
                accounts=int(body.get("accounts", 3)),
            )
        except (ConnectError, ValueError) as exc:
            raise MXAPIError(422, str(exc)) from None
        return _json(event)

    async def control_faults(request: Request) -> Response:
        body = await _body(request)
        return _json(backend.faults.apply(body))

    async def control_webhook(request: Request) -> Response:
        body = await _body(request)
        try:
            backend.webhooks.configure(body.get("url"), body.get("username"), body.get("password"))
        except ValueError as exc:
            raise MXAPIError(422, str(exc)) from None
        return _json({"url": backend.webhooks.url})

    async def control_status(request: Request) -> Response:
        body = await _body(request)
        try:
            backend.set_status(p(request, "member_guid"), str(body.get("connection_status")))
        except KeyError:
            raise MXAPIError(404, "The member was not found.") from None
        except ValueError as exc:
            raise MXAPIError(422, str(exc)) from None
        return Response(status_code=204)

    async def control_balance(request: Request) -> Response:
        body = await _body(request)
        try:
            backend.set_bank_balance(p(request, "account_guid"), Decimal(str(body["balance"])))
        except (KeyError, ArithmeticError):
            raise MXAPIError(422, "balance must be a decimal number") from None
        return Response(status_code=204)

    async def control_reset(request: Request) -> Response:
        backend.reset()
        return Response(status_code=204)

    return [
        Route(f"{prefix}/connect", control_connect, methods=["POST"]),
        Route(f"{prefix}/faults", control_faults, methods=["POST"]),
        Route(f"{prefix}/webhook", control_webhook, methods=["POST"]),
        Route(prefix + "/members/{member_guid}/status", control_status, methods=["POST"]),
        Route(prefix + "/accounts/{account_guid}/balance", control_balance, methods=["POST"]),
        Route(f"{prefix}/reset", control_reset, methods=["POST"]),
    ]
