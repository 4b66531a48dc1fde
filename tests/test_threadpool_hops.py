"""No request to a banking route on the sandbox leaves the event loop for a worker thread.

FastAPI runs every plain ``def`` dependency or endpoint on its thread pool (``anyio.to_thread``);
such a hop costs more than the little work our dependencies do. Every route `add_banking` mounts
(webhooks and docs included) is called here with hops counted; a route added later without a case
here fails `test_every_route_is_covered`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from fin_infra.banking import add_banking
from fin_infra.banking.history.stores import MemoryBalanceStore
from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, WebhookEvent, Webhooks
from fin_infra.providers.banking.sandbox import SandboxProvider
from tests.conftest import AUTH
from tests.webhooks.signing import CLIENT_ID, SECRET, KeyServer, new_key, plaid_body, teller_signature

TELLER_SECRET = "whsec_hops"
FINICITY_SECRET = "partner-secret-hops"
MX_CREDENTIALS = ("mx-hooks", "mx-hops-password")


class Hops:
    """Counts calls into a worker thread: anyio's (FastAPI, Starlette) and the loop's executor."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        run_sync = anyio.to_thread.run_sync
        run_in_executor = asyncio.BaseEventLoop.run_in_executor

        async def counted_run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            self.calls.append(getattr(func, "__qualname__", repr(func)))
            return await run_sync(func, *args, **kwargs)

        def counted_executor(loop: asyncio.AbstractEventLoop, executor: Any, func: Any, *args: Any) -> Any:
            self.calls.append(getattr(func, "__qualname__", repr(func)))
            return run_in_executor(loop, executor, func, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(anyio.to_thread, "run_sync", counted_run_sync)
        monkeypatch.setattr(asyncio.BaseEventLoop, "run_in_executor", counted_executor)

    def take(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


@pytest.fixture
def key_server() -> KeyServer:
    return KeyServer()


@pytest.fixture
def app(key_server: KeyServer) -> FastAPI:
    keys = PlaidKeySource(
        client_id=CLIENT_ID,
        secret=SECRET,
        base_url="http://plaid.test",
        transport=httpx.ASGITransport(app=key_server.app()),
    )
    webhooks = Webhooks(
        plaid=PlaidWebhookVerifier(keys),
        teller_secrets=[TELLER_SECRET],
        finicity_secrets=[FINICITY_SECRET],
        mx_credentials=MX_CREDENTIALS,
    )

    @webhooks.on("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    async def on_sync(event: WebhookEvent) -> None:
        return None

    app = FastAPI()
    add_banking(app, provider="sandbox", webhooks=webhooks, store=MemoryBalanceStore(), track_balances=True)
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def _requests(client: httpx.AsyncClient, key_server: KeyServer) -> dict[tuple[str, str], httpx.Response]:
    """One request per route, keyed by (method, route path); each answered as a real caller would see."""
    accounts = (await client.get("/banking/accounts", headers=AUTH)).json()["accounts"]
    account = accounts[0]["id"]
    key = key_server.add(new_key())
    plaid = plaid_body({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "item_id": "i"})
    teller = json.dumps(
        {"id": "wh_hops", "type": "webhook.test", "timestamp": "2026-02-14T09:21:07Z", "payload": {}}
    ).encode()
    finicity = json.dumps(
        {"customerId": "1005061234", "eventType": "ping", "eventId": "1-hops", "payload": {}}
    ).encode()
    finicity_signature = hmac.new(FINICITY_SECRET.encode(), finicity, hashlib.sha256).hexdigest()
    public = await SandboxProvider().create_sandbox_public_token("ins_sandbox_chase")
    calls: dict[tuple[str, str], Callable[[], Any]] = {
        ("POST", "/banking/link"): lambda: client.post("/banking/link", json={"user_id": "user_1"}),
        ("POST", "/banking/exchange"): lambda: client.post("/banking/exchange", json={"public_token": public}),
        ("GET", "/banking/accounts"): lambda: client.get("/banking/accounts", headers=AUTH),
        ("GET", "/banking/transactions"): lambda: client.get("/banking/transactions?page_size=50", headers=AUTH),
        ("GET", "/banking/balances"): lambda: client.get("/banking/balances", headers=AUTH),
        ("GET", "/banking/identity"): lambda: client.get("/banking/identity", headers=AUTH),
        ("GET", "/banking/balance-history"): lambda: client.get(
            "/banking/balance-history", params={"account_id": account}, headers=AUTH
        ),
        ("POST", "/banking/webhooks/plaid"): lambda: client.post(
            "/banking/webhooks/plaid",
            content=plaid,
            headers={"Plaid-Verification": key.token(plaid), "Content-Type": "application/json"},
        ),
        ("POST", "/banking/webhooks/teller"): lambda: client.post(
            "/banking/webhooks/teller",
            content=teller,
            headers={"Teller-Signature": teller_signature(teller, [TELLER_SECRET]), "Content-Type": "application/json"},
        ),
        ("POST", "/banking/webhooks/finicity"): lambda: client.post(
            "/banking/webhooks/finicity",
            content=finicity,
            headers={"X-Finicity-Signature": finicity_signature, "Content-Type": "application/json"},
        ),
        ("POST", "/banking/webhooks/mx"): lambda: client.post(
            "/banking/webhooks/mx",
            content=b'{"action":"CHANGED","connection_status":"CHALLENGED","member_guid":"MBR-1","type":"CONNECTION_STATUS"}',
            auth=MX_CREDENTIALS,
            headers={"Content-Type": "application/json"},
        ),
        ("GET", "/banking/openapi.json"): lambda: client.get("/banking/openapi.json"),
        ("GET", "/banking/docs"): lambda: client.get("/banking/docs"),
        ("GET", "/banking/docs/assets/{name}"): lambda: client.get("/banking/docs/assets/swagger-ui.css"),
        ("GET", "/banking/docs/oauth2-redirect"): lambda: client.get("/banking/docs/oauth2-redirect"),
    }
    return {route: await call() for route, call in calls.items()}


def _mounted(routes: list[Any]) -> set[tuple[str, str]]:
    out = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps an included router whole
        if included is not None:
            out |= _mounted(included.routes)  # add_banking's routers carry the prefix themselves
        elif isinstance(route, (APIRoute, Route)) and route.path.startswith("/banking"):
            out |= {(method, route.path) for method in route.methods or ()} - {("HEAD", route.path)}
    return out


async def test_every_route_is_covered(app: FastAPI, client: httpx.AsyncClient, key_server: KeyServer) -> None:
    answered = await _requests(client, key_server)
    assert set(answered) == _mounted(app.routes)


async def test_no_route_hops_to_a_thread(
    app: FastAPI, client: httpx.AsyncClient, key_server: KeyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops = Hops(monkeypatch)
    # the first round warms caches (history schema, the transactions range); the second is the steady state
    for round_ in ("first", "second"):
        answered = await _requests(client, key_server)
        for (method, path), response in answered.items():
            assert response.status_code == 200, (method, path, response.text[:300])
        assert hops.take() == [], f"{round_} round: thread-pool hops"


async def test_the_counter_sees_a_plain_def_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter is not blind: a plain ``def`` dependency is one hop per request."""
    from fastapi import Depends

    app = FastAPI()

    def blocking_dependency() -> int:
        return 1

    @app.get("/x")
    async def endpoint(value: int = Depends(blocking_dependency)) -> int:
        return value

    hops = Hops(monkeypatch)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert (await c.get("/x")).json() == 1
    assert len(hops.take()) == 1
