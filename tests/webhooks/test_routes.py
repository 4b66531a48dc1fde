"""The mounted webhook routes: verify before parsing, 401 to forgeries, dispatch once, ignore replays."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import PlaidWebhookVerifier, WebhookEvent, Webhooks
from tests.webhooks.signing import KeyServer, SigningKey, new_key, plaid_body, teller_signature

SECRET = "whsec_route_test"
PLAID_EVENT = {
    "webhook_type": "TRANSACTIONS",
    "webhook_code": "SYNC_UPDATES_AVAILABLE",
    "item_id": "item_123",
    "initial_update_complete": True,
    "historical_update_complete": True,
    "environment": "sandbox",
}
TELLER_EVENT = {
    "id": "wh_route_test_1",
    "type": "enrollment.disconnected",
    "timestamp": "2026-02-14T09:21:07Z",
    "payload": {"enrollment_id": "enr_1", "reason": "disconnected.account_locked"},
}


@pytest.fixture
def webhooks(verifier: PlaidWebhookVerifier) -> Webhooks:
    return Webhooks(plaid=verifier, teller_secrets=[SECRET])


@pytest.fixture
async def client(webhooks: Webhooks) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    add_banking(app, provider="sandbox", webhooks=webhooks)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def plaid_request(key: SigningKey, payload: dict[str, Any] = PLAID_EVENT) -> tuple[bytes, dict[str, str]]:
    body = plaid_body(payload)
    return body, {"Plaid-Verification": key.token(body), "Content-Type": "application/json"}


def teller_request(event: dict[str, Any] = TELLER_EVENT, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"Teller-Signature": teller_signature(body, [secret]), "Content-Type": "application/json"}


async def test_genuine_plaid_webhook_is_dispatched_once_and_replay_ignored(
    client: httpx.AsyncClient, webhooks: Webhooks, signing_key: SigningKey
) -> None:
    seen: list[WebhookEvent] = []

    @webhooks.on("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    async def on_sync(event: WebhookEvent) -> None:
        seen.append(event)

    body, headers = plaid_request(signing_key)
    first = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
    assert first.status_code == 200 and first.json() == {"status": "accepted"}
    replay = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}

    assert len(seen) == 1
    event = seen[0]
    assert (event.provider, event.type, event.code, event.item_id) == (
        "plaid",
        "TRANSACTIONS",
        "SYNC_UPDATES_AVAILABLE",
        "item_123",
    )
    assert event.payload["historical_update_complete"] is True

    # A fresh signature from Plaid over the same body is a new delivery (two genuine identical notices).
    time.sleep(1.01)  # iat has one-second resolution
    again = await client.post("/banking/webhooks/plaid", content=body, headers=plaid_request(signing_key)[1])
    assert again.json() == {"status": "accepted"} and len(seen) == 2


async def test_forged_plaid_webhooks_get_401_problem_and_log_no_body(
    client: httpx.AsyncClient, webhooks: Webhooks, signing_key: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[WebhookEvent] = []
    webhooks.add_handler(called.append, "*")
    secret_marker = {**PLAID_EVENT, "item_id": "PII-MARKER-98765"}
    body, headers = plaid_request(signing_key, secret_marker)
    attacker = new_key(kid=signing_key.kid)
    cases = [
        {},  # no header
        {"Plaid-Verification": attacker.token(body)},  # forged signature
        {"Plaid-Verification": signing_key.token(body, iat=int(time.time()) - 600)},  # stale
        {"Plaid-Verification": signing_key.token(b"another body")},  # hash of another body
    ]
    caplog.set_level(logging.INFO, logger="fin_infra")
    for case in cases:
        response = await client.post("/banking/webhooks/plaid", content=body, headers=case)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "webhook_unverified"
    assert called == []
    assert "refused plaid webhook" in caplog.text
    assert "PII-MARKER" not in caplog.text and headers["Plaid-Verification"] not in caplog.text


async def test_key_endpoint_down_answers_503_so_plaid_retries(
    client: httpx.AsyncClient, signing_key: SigningKey, key_server: KeyServer
) -> None:
    key_server.down = True
    body, headers = plaid_request(signing_key)
    response = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
    assert response.status_code == 503 and response.json()["code"] == "provider_unavailable"
    key_server.down = False
    retry = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
    assert retry.json() == {"status": "accepted"}


async def test_handler_exception_still_answers_200_logs_and_other_handlers_run(
    client: httpx.AsyncClient, webhooks: Webhooks, signing_key: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    @webhooks.on("TRANSACTIONS")
    async def broken(event: WebhookEvent) -> None:
        ran.append("broken")
        raise RuntimeError("database down")

    @webhooks.on("*")
    def sync_handler(event: WebhookEvent) -> None:  # sync handlers run in a worker thread
        ran.append(f"sync on {threading.current_thread().name != 'MainThread'}")

    body, headers = plaid_request(signing_key)
    response = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    assert ran == ["broken", "sync on True"]
    assert "webhook handler" in caplog.text and "RuntimeError" in caplog.text
    # The delivery stays accepted: its replay doesn't run the handlers again.
    replay = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
    assert replay.json() == {"status": "duplicate"} and len(ran) == 2


async def test_dispatch_by_type_and_code(
    client: httpx.AsyncClient, webhooks: Webhooks, signing_key: SigningKey
) -> None:
    got: dict[str, list[str]] = {"sync": [], "item_error": [], "all_item": [], "teller": []}
    webhooks.add_handler(lambda e: got["sync"].append(e.code or ""), "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    webhooks.add_handler(lambda e: got["item_error"].append(e.code or ""), "item", "error")  # case-insensitive
    webhooks.add_handler(lambda e: got["all_item"].append(e.code or ""), "ITEM")
    webhooks.add_handler(lambda e: got["teller"].append(e.type), "*", provider="teller")

    for code in ("ERROR", "LOGIN_REPAIRED"):
        body, headers = plaid_request(signing_key, {"webhook_type": "ITEM", "webhook_code": code, "item_id": "i"})
        assert (await client.post("/banking/webhooks/plaid", content=body, headers=headers)).status_code == 200
    body, headers = teller_request()
    assert (await client.post("/banking/webhooks/teller", content=body, headers=headers)).status_code == 200

    assert got == {
        "sync": [],
        "item_error": ["ERROR"],
        "all_item": ["ERROR", "LOGIN_REPAIRED"],
        "teller": ["enrollment.disconnected"],
    }


async def test_teller_webhook_dispatched_once_even_when_resent_with_a_fresh_signature(
    client: httpx.AsyncClient, webhooks: Webhooks
) -> None:
    seen: list[WebhookEvent] = []
    webhooks.add_handler(seen.append, "enrollment.disconnected")
    body, headers = teller_request()
    assert (await client.post("/banking/webhooks/teller", content=body, headers=headers)).json() == {
        "status": "accepted"
    }
    time.sleep(1.01)
    _, fresh = teller_request()  # a retry of the same event: same id, new t
    assert (await client.post("/banking/webhooks/teller", content=body, headers=fresh)).json() == {
        "status": "duplicate"
    }
    assert len(seen) == 1 and seen[0].item_id == "enr_1" and seen[0].delivery_id == "teller:wh_route_test_1"


async def test_forged_teller_webhooks_get_401(client: httpx.AsyncClient, webhooks: Webhooks) -> None:
    seen: list[WebhookEvent] = []
    webhooks.add_handler(seen.append, "*")
    body, _ = teller_request()
    stale = teller_signature(body, [SECRET], t=int(time.time()) - 600)
    for headers in ({}, teller_request(secret="whsec_attacker")[1], {"Teller-Signature": stale}):
        response = await client.post("/banking/webhooks/teller", content=body, headers=headers)
        assert response.status_code == 401 and response.json()["code"] == "webhook_unverified"
    assert seen == []


async def test_teller_without_secrets_refuses_and_says_what_to_set(
    verifier: PlaidWebhookVerifier, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("TELLER_WEBHOOK_SECRETS", raising=False)
    app = FastAPI()
    add_banking(app, provider="sandbox", prefix="/bank", webhooks=Webhooks(plaid=verifier))
    body, headers = teller_request()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        response = await c.post("/bank/webhooks/teller", content=body, headers=headers)
    assert response.status_code == 401
    assert "TELLER_WEBHOOK_SECRETS" in caplog.text


async def test_oversized_and_non_event_bodies(client: httpx.AsyncClient, webhooks: Webhooks) -> None:
    webhooks.max_body_bytes = 1000
    big = b"{" + b" " * 2000 + b"}"
    response = await client.post("/banking/webhooks/teller", content=big, headers=teller_request()[1])
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    # Signed but not an event object: verified, answered 200 "ignored" (a retry can't fix it), nothing dispatched.
    seen: list[WebhookEvent] = []
    webhooks.add_handler(seen.append, "*")
    for body in (b"[1, 2]", b"not json", b'{"no_type": 1}'):
        headers = {"Teller-Signature": teller_signature(body, [SECRET])}
        response = await client.post("/banking/webhooks/teller", content=body, headers=headers)
        assert response.status_code == 200 and response.json() == {"status": "ignored"}, body
    assert seen == []


async def test_routes_are_documented_in_the_banking_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/banking/openapi.json")).json()
    assert "/banking/webhooks/plaid" in schema["paths"] and "/banking/webhooks/teller" in schema["paths"]
    assert "401" in schema["paths"]["/banking/webhooks/plaid"]["post"]["responses"]


async def test_without_webhooks_nothing_is_mounted() -> None:
    app = FastAPI()
    add_banking(app, provider="sandbox")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert (await c.post("/banking/webhooks/plaid", content=b"{}")).status_code == 404


async def test_schema_names_the_signature_headers(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/banking/openapi.json")).json()["paths"]
    for path, name in (
        ("/banking/webhooks/plaid", "Plaid-Verification"),
        ("/banking/webhooks/teller", "Teller-Signature"),
    ):
        operation = paths[path]["post"]
        assert [p["name"] for p in operation["parameters"]] == [name]
        assert "application/json" in operation["requestBody"]["content"]


async def test_a_repeated_delivery_reaches_only_repeatable_handlers(
    client: httpx.AsyncClient, webhooks: Webhooks, signing_key: SigningKey
) -> None:
    # Plaid signs the body and the second: two genuine "updates available" notices for one item in one second
    # are byte-identical. A refresh handler (a sync) must see both; a one-off handler sees one.
    refreshes: list[str] = []
    once: list[str] = []
    webhooks.add_handler(lambda e: refreshes.append(e.delivery_id), "TRANSACTIONS", repeatable=True)
    webhooks.add_handler(lambda e: once.append(e.delivery_id), "TRANSACTIONS")

    body, headers = plaid_request(signing_key)
    for expected in ("accepted", "duplicate"):
        response = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
        assert response.status_code == 200 and response.json() == {"status": expected}
    assert len(refreshes) == 2 and len(set(refreshes)) == 1
    assert len(once) == 1
