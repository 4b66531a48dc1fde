"""The emulator's HTTP layer: Plaid's endpoints as thin handlers over `PlaidBackend`.

Every endpoint is ``POST`` with a JSON body; credentials come in the ``PLAID-CLIENT-ID`` /
``PLAID-SECRET`` headers or as ``client_id`` / ``secret`` in the body. Errors are Plaid error
objects with a ``request_id``. Webhooks an endpoint triggers are delivered (signed) before it answers.

    >>> app = create_app(PlaidBackend())
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fin_infra.emulators.plaid import validation
from fin_infra.emulators.plaid.data import INSTITUTION_COUNTRIES, INSTITUTIONS
from fin_infra.emulators.plaid.errors import PlaidAPIError, invalid_field, missing_fields
from fin_infra.emulators.plaid.faults import HttpFaultMiddleware, HttpFaults
from fin_infra.emulators.plaid.link import link_routes
from fin_infra.emulators.plaid.models import PendingWebhook, PlaidBackend
from fin_infra.emulators.plaid.responses import (
    account_json,
    institution_json,
    item_get_json,
    item_json,
    owner_json,
    txn_json,
)
from fin_infra.emulators.plaid.webhooks import SentWebhook

logger = logging.getLogger("fin_infra.emulators.plaid")
Result = tuple[dict[str, Any], list[PendingWebhook]]
Handler = Callable[[PlaidBackend, dict[str, Any]], Result]
HANDLERS: dict[str, Handler] = {}


def endpoint(path: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[path] = fn
        return fn

    return register


def _require(body: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise missing_fields(*missing)


def _token(body: dict[str, Any]) -> str:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise missing_fields("access_token")
    return token


def _account_ids(item: Any, options: dict[str, Any]) -> set[str] | None:
    """``options.account_ids`` (None: all accounts); an id the Item doesn't have is ``INVALID_ACCOUNT_ID``."""
    wanted = options.get("account_ids")
    if wanted is None:
        return None
    known = {a.account_id for a in item.accounts}
    if not isinstance(wanted, list) or any(not isinstance(a, str) or a not in known for a in wanted):
        raise PlaidAPIError.of("INVALID_ACCOUNT_ID", "one or more of the account IDs is invalid")
    return set(wanted)


def _accounts(backend: PlaidBackend, body: dict[str, Any], *, balance: bool = False) -> Result:
    item = backend.item_for(_token(body))
    wanted = _account_ids(item, body.get("options") or {})
    accounts = [a for a in item.accounts if wanted is None or a.account_id in wanted]
    return {"accounts": [account_json(a) for a in accounts], "item": item_json(item)}, []


endpoint("/accounts/get")(lambda b, body: _accounts(b, body))
endpoint("/accounts/balance/get")(lambda b, body: _accounts(b, body, balance=True))


@endpoint("/link/token/create")
def _link_token_create(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "client_name", "language", "country_codes")
    validation.check_language(body["language"])
    validation.check_country_codes(body["country_codes"])
    if not (body.get("user") or {}).get("client_user_id"):
        raise missing_fields("user.client_user_id")
    if not body.get("access_token") and not body.get("products"):
        raise missing_fields("products")
    for field in ("products", "optional_products", "required_if_supported_products", "additional_consented_products"):
        if body.get(field) is not None:
            validation.check_products(body[field], field)
    token, expiration = backend.create_link_token(body)
    return {"expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"), "link_token": token}, []


@endpoint("/item/public_token/exchange")
def _exchange(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "public_token")
    access_token, item_id = backend.exchange_public_token(body["public_token"])
    return {"access_token": access_token, "item_id": item_id}, []


@endpoint("/sandbox/public_token/create")
def _sandbox_public_token(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "institution_id", "initial_products")
    validation.check_products(body["initial_products"], "initial_products")
    token = backend.create_public_token(body["institution_id"], list(body["initial_products"]), body.get("options"))
    return {"public_token": token}, []


@endpoint("/transactions/sync")
def _transactions_sync(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    item = backend.item_for(_token(body))
    count = body.get("count", 100)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 500:
        raise invalid_field("count must be an integer between 1 and 500")
    cursor = body.get("cursor")
    if cursor == "now":
        with backend.lock:
            snap = item.ledger.seq
            return _sync_body(item, [], [], [], item.ledger.cursor(snap, snap, snap), False), []
    account_id = (body.get("options") or {}).get("account_id")
    if account_id is not None and account_id not in {a.account_id for a in item.accounts}:
        raise PlaidAPIError.of("INVALID_ACCOUNT_ID", "the account_id is invalid")
    with backend.lock:
        page = item.ledger.page(cursor, count, account_id)
        return _sync_body(item, page.added, page.modified, page.removed, page.next_cursor, page.has_more), []


def _sync_body(
    item: Any, added: list[Any], modified: list[Any], removed: list[Any], cursor: str, more: bool
) -> dict[str, Any]:
    touched = {t.account_id for t in (*added, *modified, *removed)}
    return {
        "accounts": [account_json(a) for a in item.accounts if a.account_id in touched],
        "added": [txn_json(t) for t in added],
        "has_more": more,
        "modified": [txn_json(t) for t in modified],
        "next_cursor": cursor,
        "removed": [{"account_id": t.account_id, "transaction_id": t.transaction_id} for t in removed],
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
    }


@endpoint("/transactions/get")
def _transactions_get(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "start_date", "end_date")
    item = backend.item_for(_token(body))
    try:
        start, end = dt.date.fromisoformat(body["start_date"]), dt.date.fromisoformat(body["end_date"])
    except (TypeError, ValueError):
        raise invalid_field("start_date and end_date must be dates in YYYY-MM-DD format") from None
    options = body.get("options") or {}
    count, offset = options.get("count", 100), options.get("offset", 0)
    if any(isinstance(n, bool) or not isinstance(n, int) for n in (count, offset)) or not (
        1 <= count <= 500 and offset >= 0
    ):
        raise invalid_field("count must be 1-500 and offset at least 0")
    if start > end:
        raise invalid_field("start_date must not be after end_date")
    wanted = _account_ids(item, options)
    with backend.lock:
        txns = [t for t in item.ledger.live() if start <= t.date <= end and (not wanted or t.account_id in wanted)]
    return {
        "accounts": [account_json(a) for a in item.accounts if not wanted or a.account_id in wanted],
        "item": item_json(item),
        "total_transactions": len(txns),
        "transactions": [txn_json(t) for t in txns[offset : offset + count]],
    }, []


@endpoint("/transactions/refresh")
def _transactions_refresh(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    backend.refresh(_token(body))
    item = backend.item_for(_token(body), data=False)
    hook = backend.webhook_for(
        item, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", historical_update_complete=True, initial_update_complete=True
    )
    return {}, [hook] if hook else []


@endpoint("/identity/get")
def _identity(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    item = backend.item_for(_token(body))
    accounts = [{**account_json(a), "owners": [owner_json(item.owner)]} for a in item.accounts]
    return {"accounts": accounts, "item": item_json(item)}, []


@endpoint("/item/get")
def _item_get(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    return item_get_json(backend.item_for(_token(body), data=False)), []


@endpoint("/item/remove")
def _item_remove(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    backend.remove_item(_token(body))
    return {}, []


@endpoint("/item/webhook/update")
def _item_webhook_update(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    item = backend.item_for(_token(body), data=False)
    item.webhook = body.get("webhook") or None
    hook = backend.webhook_for(item, "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", error=None, new_webhook_url=item.webhook)
    return item_get_json(item), [hook] if hook else []


@endpoint("/institutions/get_by_id")
def _institution(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "institution_id", "country_codes")
    countries = validation.check_country_codes(body["country_codes"])
    institution_id = body["institution_id"]
    if institution_id not in INSTITUTIONS or INSTITUTION_COUNTRIES.get(institution_id, "US") not in countries:
        raise PlaidAPIError.of("INVALID_INSTITUTION", "invalid institution_id provided")
    return {"institution": institution_json(body["institution_id"])}, []


@endpoint("/sandbox/item/reset_login")
def _reset_login(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    item = backend.reset_login(_token(body))
    hook = backend.webhook_for(item, "ITEM", "ERROR", error=item.error.body(None) if item.error else None)
    return {"reset_login": True}, [hook] if hook else []


@endpoint("/sandbox/item/fire_webhook")
def _fire_webhook(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "webhook_code")
    hook = backend.fire_webhook(_token(body), body.get("webhook_type"), body["webhook_code"])
    return {"webhook_fired": hook is not None}, [hook] if hook else []


@endpoint("/sandbox/transactions/create")
def _sandbox_transactions_create(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "transactions")
    token = _token(body)
    backend.item_for(token, data=False)
    for transacted, posted, amount, description, currency in validation.sandbox_transactions(
        body["transactions"], backend.today()
    ):
        backend.add_transaction(
            token, amount, description, date=posted, authorized_date=transacted, currency=currency
        )
    return {}, []


@endpoint("/webhook_verification_key/get")
def _verification_key(backend: PlaidBackend, body: dict[str, Any]) -> Result:
    _require(body, "key_id")
    key = backend.webhook_keys.get(body["key_id"])
    if key is None:
        raise PlaidAPIError.of("INVALID_WEBHOOK_VERIFICATION_KEY_ID", "invalid key_id provided")
    return {"key": key.jwk()}, []


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def create_app(backend: PlaidBackend) -> Starlette:
    """The emulator as an ASGI app over ``backend``."""

    async def deliver(hook: PendingWebhook) -> None:
        body, headers = backend.webhook_keys.sign_payload(hook.payload)
        try:
            # A client per delivery: webhooks are rare, and nothing is left open when the server stops.
            async with httpx.AsyncClient(timeout=10.0) as client:
                response = await client.post(hook.url, content=body, headers=headers)
            sent = SentWebhook(hook.url, body, headers, response.status_code)
        except httpx.HTTPError as exc:
            sent = SentWebhook(hook.url, body, headers, None, error=type(exc).__name__)
        with backend.lock:
            backend.sent_webhooks.append(sent)

    async def dispatch(request: Request) -> Response:
        request_id = secrets.token_urlsafe(10)
        try:
            handler = HANDLERS.get(request.url.path)
            if handler is None:
                raise PlaidAPIError.of("NOT_FOUND", "not found")
            if "application/json" not in request.headers.get("content-type", ""):
                raise PlaidAPIError.of(
                    "INVALID_BODY", "body could not be parsed as JSON: use Content-Type application/json"
                )
            try:
                body = json.loads(await request.body())
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise PlaidAPIError.of("INVALID_BODY", "body could not be parsed as JSON")
            backend.check_credentials(
                request.headers.get("plaid-client-id") or body.pop("client_id", None),
                request.headers.get("plaid-secret") or body.pop("secret", None),
            )
            body.pop("client_id", None)
            body.pop("secret", None)
            validation.check_fields(request.url.path, body)
            fault = backend.take_fault(request.url.path)
            if fault is not None:
                if fault.latency:
                    await asyncio.sleep(fault.latency)
                if fault.code:
                    raise PlaidAPIError.of(fault.code)
            result, hooks = handler(backend, body)
            for hook in hooks:
                await deliver(hook)
        except PlaidAPIError as exc:
            return _json(exc.body(request_id), exc.status)
        except Exception:  # a bug of ours: still Plaid's error shape, never a plain-text 500
            logger.exception("Plaid emulator: %s failed", request.url.path)
            return _json(PlaidAPIError.of("INTERNAL_SERVER_ERROR").body(request_id), 500)
        return _json({**result, "request_id": request_id})

    paths = [Route(path, dispatch, methods=["POST"]) for path in HANDLERS]
    # Link's stand-in (GET pages and a login form for browsers): see link.py
    fallback = Route("/{rest:path}", dispatch, methods=["GET", "POST", "PUT", "DELETE"])
    app = Starlette(routes=[*link_routes(backend), *paths, fallback])
    app.state.backend = backend
    # HTTP-level faults (raw answers, hangs, dropped connections) and the request record: see faults.py.
    app.state.http_faults = HttpFaults()
    app.add_middleware(HttpFaultMiddleware, faults=app.state.http_faults)
    return app
