"""End to end over real HTTP: the Plaid emulator signs and posts webhooks to a running app.

Two servers on 127.0.0.1: the Plaid emulator, and an app with ``add_banking(webhooks=...)``. The
emulator's ``/sandbox/item/fire_webhook`` posts an ES256-signed webhook to the Item's webhook URL;
the app fetches the key from the emulator's ``/webhook_verification_key/get``, verifies, answers
200 and runs the handler once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import (
    PlaidKeySource,
    PlaidWebhookVerifier,
    WebhookEvent,
    Webhooks,
    verify_plaid_webhook,
)
from fin_infra.banking.webhooks import plaid as plaid_module
from fin_infra.emulators import EmulatorServer
from fin_infra.testing import serve_plaid_emulator
from tests.webhooks.received import Received


@pytest.fixture
def plaid() -> Iterator[Any]:
    with serve_plaid_emulator() as emulator:
        yield emulator


@pytest.fixture
def setup(plaid: Any) -> Iterator[tuple[Any, Webhooks, Received, str]]:
    keys = PlaidKeySource(client_id=plaid.client_id, secret=plaid.secret, base_url=plaid.base_url)
    webhooks = Webhooks(plaid=PlaidWebhookVerifier(keys))
    received = Received()

    @webhooks.on("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    async def on_sync(event: WebhookEvent) -> None:
        received.add(event)

    app = FastAPI()
    add_banking(app, provider="sandbox", webhooks=webhooks)
    with EmulatorServer(app) as server:
        yield plaid, webhooks, received, f"{server.base_url}/banking/webhooks/plaid"


def fire(plaid: Any, access_token: str, code: str = "SYNC_UPDATES_AVAILABLE") -> None:
    response = httpx.post(
        f"{plaid.base_url}/sandbox/item/fire_webhook",
        json={
            "client_id": plaid.client_id,
            "secret": plaid.secret,
            "access_token": access_token,
            "webhook_type": "TRANSACTIONS",
            "webhook_code": code,
        },
        timeout=15.0,
    )
    assert response.status_code == 200, response.text
    assert response.json()["webhook_fired"] is True


def test_fire_webhook_reaches_the_handler_exactly_once(setup: tuple[Any, Webhooks, Received, str]) -> None:
    plaid, webhooks, received, url = setup
    access_token = plaid.create_access_token(webhook=url)
    fire(plaid, access_token)

    [event] = received.wait_for(1)
    assert (event.provider, event.type, event.code) == ("plaid", "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    assert event.item_id and event.payload["environment"] == "sandbox"
    sent = plaid.sent_webhooks[-1]
    assert sent.status_code == 200
    assert webhooks.plaid.keys.fetch_count == 1

    # An attacker replays the captured delivery byte for byte: 200 "duplicate", nothing runs.
    replay = httpx.post(url, content=sent.body, headers=sent.headers)
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    # ... or alters it: 401.
    forged = sent.body.replace(b"SYNC_UPDATES_AVAILABLE", b"DEFAULT_UPDATE")
    assert httpx.post(url, content=forged, headers=sent.headers).status_code == 401
    assert len(received.events) == 1


def test_key_rotation_accepted_after_one_fetch_and_old_key_refused(
    setup: tuple[Any, Webhooks, Received, str],
) -> None:
    plaid, webhooks, received, url = setup
    access_token = plaid.create_access_token(webhook=url)
    fire(plaid, access_token)
    received.wait_for(1)
    old_key = plaid.backend.webhook_keys.current
    assert webhooks.plaid.keys.fetch_count == 1

    new_kid = plaid.rotate_webhook_key()
    fire(plaid, access_token)
    received.wait_for(2)
    assert webhooks.plaid.keys.fetch_count == 2  # one fetch, for the new kid
    assert json.loads(_header_segment(plaid.sent_webhooks[-1].headers["Plaid-Verification"]))["kid"] == new_kid

    # A webhook signed with the rotated-out key is refused (the app re-checks the old key with Plaid).
    body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE"}, indent=2).encode()
    token = plaid.backend.webhook_keys.sign(body, key=old_key)
    response = httpx.post(url, content=body, headers={"Plaid-Verification": token})
    assert response.status_code == 401
    assert len(received.events) == 2


def test_documented_handwritten_route_with_request_json(plaid: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The docs' own pattern: `verify_plaid_webhook(request.headers, await request.json())` in an async route."""
    for name, value in plaid.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(plaid_module, "_default", None)
    got: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/webhooks/plaid")
    async def plaid_webhook(request: Request) -> JSONResponse:
        payload = await request.json()
        if not verify_plaid_webhook(request.headers, payload):
            return JSONResponse({"error": "Invalid signature"}, status_code=401)
        got.append(payload)
        return JSONResponse({"status": "received"})

    with EmulatorServer(app) as server:
        access_token = plaid.create_access_token(webhook=f"{server.base_url}/webhooks/plaid")
        fire(plaid, access_token, "DEFAULT_UPDATE")
    assert plaid.sent_webhooks[-1].status_code == 200
    assert [p["webhook_code"] for p in got] == ["DEFAULT_UPDATE"]
    monkeypatch.setattr(plaid_module, "_default", None)


def _header_segment(token: str) -> bytes:
    import base64

    head = token.split(".")[0]
    return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))


def test_plaid_provider_credentials_are_used_without_environment(plaid: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`add_banking(app, provider="plaid", client_id=..., ...)`: webhooks verify with the same credentials."""
    for name in ("PLAID_CLIENT_ID", "PLAID_SECRET", "PLAID_BASE_URL", "PLAID_ENVIRONMENT", "PLAID_ENV"):
        monkeypatch.delenv(name, raising=False)
    webhooks = Webhooks()
    received = Received()
    webhooks.add_handler(received.add, "TRANSACTIONS")
    app = FastAPI()
    add_banking(app, provider="plaid", webhooks=webhooks, **plaid.provider_options())
    with EmulatorServer(app) as server:
        access_token = plaid.create_access_token(webhook=f"{server.base_url}/banking/webhooks/plaid")
        fire(plaid, access_token, "DEFAULT_UPDATE")
        [event] = received.wait_for(1)
    assert event.code == "DEFAULT_UPDATE"
    assert webhooks.plaid.keys.fetch_count == 1
