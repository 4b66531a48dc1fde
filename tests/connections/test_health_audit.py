"""Plaid webhooks (signed by the Plaid emulator's keys) move a connection's health; the audit trail's
reading and retention functions; the app's own auth answering for itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException

from fin_infra.banking import add_banking
from fin_infra.banking.connections import aprune_audit, aread_audit, prune_audit, read_audit
from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, Webhooks
from fin_infra.storage.records import AuditEvent
from fin_infra.testing.plaid import PlaidEmulator
from tests.connections.conftest import as_user, running

ALICE = as_user("alice")


def _item_id(plaid: PlaidEmulator) -> str:
    (item,) = list(plaid.backend.items.values())
    return str(item.item_id)


@pytest.mark.parametrize(
    ("code", "extra", "status", "error_code"),
    [
        (
            "PENDING_EXPIRATION",
            {"consent_expiration_time": "2030-01-01T00:00:00Z"},
            "pending_expiration",
            "PENDING_EXPIRATION",
        ),
        (
            "ERROR",
            {"error": {"error_code": "ITEM_LOGIN_REQUIRED", "error_message": "log in"}},
            "needs_reauth",
            "ITEM_LOGIN_REQUIRED",
        ),
        ("USER_PERMISSION_REVOKED", {}, "revoked", "USER_PERMISSION_REVOKED"),
    ],
)
async def test_plaid_item_webhooks_set_the_status_and_a_successful_call_clears_it(
    make: Callable[..., FastAPI], plaid: PlaidEmulator, code: str, extra: dict[str, Any], status: str, error_code: str
) -> None:
    keys = PlaidKeySource(client_id=plaid.client_id, secret=plaid.secret, base_url=plaid.base_url)
    webhooks = Webhooks(plaid=PlaidWebhookVerifier(keys))
    app = make([plaid.client(retry_backoff=0.01)], webhooks=webhooks)
    async with running(app) as client:
        public = plaid.create_public_token("ins_109508")
        cid = (await client.post("/banking/exchange", json={"public_token": public}, headers=ALICE)).json()[
            "connection"
        ]["id"]
        payload = {
            "webhook_type": "ITEM",
            "webhook_code": code,
            "item_id": _item_id(plaid),
            "environment": "sandbox",
            **extra,
        }
        body, headers = plaid.backend.webhook_keys.sign_payload(payload)
        r = await client.post("/banking/webhooks/plaid", content=body, headers=headers)
        assert r.status_code == 200, r.text
        conn = (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]
        assert (conn["status"], conn["error"]["code"]) == (status, error_code)
        assert (await client.get("/banking/accounts", params={"connection_id": cid}, headers=ALICE)).status_code == 200
        assert (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]["status"] == "ok"


async def test_audit_is_read_per_user_or_connection_and_pruned_by_age(db_url: str) -> None:
    from fin_infra.storage.sql_connection_store import SQLConnectionStore

    store = SQLConnectionStore(db_url)
    try:
        now = dt.datetime.now(dt.UTC)
        await store.append_audit(
            AuditEvent(
                "alice", "token.decrypt", "GET /banking/accounts", "ok", "conn_a", at=now - dt.timedelta(days=400)
            )
        )
        await store.append_audit(AuditEvent("alice", "identity.read", "GET /banking/identity", "ok", "conn_a", at=now))
        await store.append_audit(AuditEvent("bob", "token.decrypt", "GET /banking/accounts", "ok", "conn_b", at=now))
        assert [e.action for e in await aread_audit(store, user_id="alice")] == ["identity.read", "token.decrypt"]
        assert [e.user_id for e in await aread_audit(store, connection_id="conn_b")] == ["bob"]
        with pytest.raises(ValueError, match="whole number"):
            await aprune_audit(store, older_than_days=-1)
        assert await aprune_audit(store, older_than_days=365) == 1
        assert await aprune_audit(store, older_than_days=10**9) == 0  # a huge retention clamps, never overflows
    finally:
        await store.aclose()
    # the synchronous twins, given a URL
    assert [e.action for e in read_audit(db_url, user_id="alice")] == ["identity.read"]
    assert prune_audit(db_url, older_than_days=0) == 2


async def test_the_apps_own_auth_answers_for_itself(db_url: str) -> None:
    def strict_user() -> str:
        raise HTTPException(status_code=401, detail="log in", headers={"WWW-Authenticate": "Cookie"})

    app = FastAPI()
    add_banking(app, providers=["sandbox"], connections=db_url, current_user=strict_user)
    async with running(app) as client:
        r = await client.get("/banking/connections")
        assert r.status_code == 401 and r.json() == {"detail": "log in"}
        assert r.headers["www-authenticate"] == "Cookie"


def test_connections_mode_needs_current_user_and_providers_need_connections(db_url: str) -> None:
    with pytest.raises(ValueError, match="current_user"):
        add_banking(FastAPI(), providers=["sandbox"], connections=db_url)
    with pytest.raises(ValueError, match="twice"):
        add_banking(FastAPI(), providers=["sandbox", "sandbox"], connections=db_url, current_user=lambda: "u")
