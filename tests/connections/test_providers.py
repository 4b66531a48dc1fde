"""Connections mode against the real Plaid and Teller emulators over HTTP, on SQLite and PostgreSQL:
several providers for one user, re-auth end to end, duplicates, removal at the provider, webhooks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking.webhooks import Webhooks
from fin_infra.providers.banking.teller import RetryPolicy
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.connections.conftest import as_user, running
from tests.webhooks.signing import teller_signature

ALICE, BOB = as_user("alice"), as_user("bob")
FAST_RETRY = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, total_timeout=3.0)


def _plaid(plaid: PlaidEmulator) -> Any:
    return plaid.client(retry_backoff=0.01)


def _teller(teller: TellerEmulator) -> Any:
    return teller.client(retry=FAST_RETRY, account_cache_ttl=0)


async def _plaid_connect(client: httpx.AsyncClient, plaid: PlaidEmulator, user: dict[str, str]) -> httpx.Response:
    public = plaid.create_public_token("ins_109508")
    return await client.post("/banking/exchange", json={"provider": "plaid", "public_token": public}, headers=user)


def _plaid_token(plaid: PlaidEmulator) -> str:
    (token,) = list(plaid.backend.items)  # the emulator's own record (the app never shows it)
    return str(token)


async def test_one_user_with_teller_and_plaid_lists_both_banks(
    make: Callable[..., FastAPI], plaid: PlaidEmulator, teller: TellerEmulator, all_logs: Any, db_url: str
) -> None:
    from tests.storage.databases import raw_rows

    app = make([_teller(teller), _plaid(plaid)])
    async with running(app) as client:
        enrollment = teller.connect(seed="connections-test")
        r = await client.post("/banking/exchange", json={**enrollment}, headers=ALICE)  # teller: the first provider
        assert r.status_code == 201, r.text
        tconn = r.json()["connection"]
        r = await _plaid_connect(client, plaid, ALICE)
        assert r.status_code == 201, r.text
        pconn = r.json()["connection"]
        assert (tconn["provider"], pconn["provider"]) == ("teller", "plaid")
        listed = (await client.get("/banking/connections", headers=ALICE)).json()
        assert [c["id"] for c in listed["connections"]] == [tconn["id"], pconn["id"]]
        accounts = (await client.get("/banking/accounts", headers=ALICE)).json()
        assert accounts["errors"] == []
        by_connection = {a["connection_id"] for a in accounts["accounts"]}
        assert by_connection == {tconn["id"], pconn["id"]}
        assert accounts["count"] == len(tconn["accounts"]) + len(pconn["accounts"])
        await app.state.banking_ledger.runner.drain()  # the exchanges' first syncs: transactions are the ledger's
        txns = (await client.get("/banking/transactions", params={"page_size": 200}, headers=ALICE)).json()
        assert {t["connection_id"] for t in txns["transactions"]} == {tconn["id"], pconn["id"]}
        identity = await client.get("/banking/identity", headers=ALICE)
        assert identity.status_code == 200 and identity.json()["count"] == 2
        bodies = json.dumps([listed, accounts, txns, identity.json()])
    tokens = [enrollment["accessToken"], _plaid_token(plaid)]
    stored = repr(
        [await raw_rows(db_url, f"SELECT * FROM {t}") for t in ("fin_infra_connections", "fin_infra_audit_log")]
    )
    logs = "\n".join(all_logs.lines)
    assert len(all_logs.lines) > 20  # DEBUG records of every logger were captured (httpx, the drivers, ours)
    for token in tokens:
        assert token not in bodies and token not in stored and token not in logs


async def test_plaid_reauth_end_to_end(make: Callable[..., FastAPI], plaid: PlaidEmulator) -> None:
    app = make([_plaid(plaid)])
    async with running(app) as client:
        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        done = httpx.post(
            f"{plaid.base_url}/sandbox/item/reset_login",
            json={"client_id": plaid.client_id, "secret": plaid.secret, "access_token": _plaid_token(plaid)},
        )
        assert done.status_code == 200
        r = await client.get("/banking/accounts", params={"connection_id": cid}, headers=ALICE)
        assert r.status_code == 400 and r.json()["code"] == "item_login_required"
        conn = (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]
        assert conn["status"] == "needs_reauth" and conn["error"]["code"] == "ITEM_LOGIN_REQUIRED"
        # without connection_id the other connections would still be served; this one is reported
        every = (await client.get("/banking/accounts", headers=ALICE)).json()
        assert every["errors"] == [
            {
                "connection_id": cid,
                "code": "item_login_required",
                "provider_code": "ITEM_LOGIN_REQUIRED",
                "status": "needs_reauth",
            }
        ]
        link = (await client.post(f"/banking/connections/{cid}/reconnect", headers=ALICE)).json()
        assert link["mode"] == "update" and link["link_token"]
        public = plaid.backend.complete_link(link["link_token"])  # the user logs in again in Link
        r = await client.post("/banking/exchange", json={"provider": "plaid", "public_token": public}, headers=ALICE)
        assert r.status_code == 200 and r.json()["connection"]["id"] == cid
        assert r.json()["connection"]["status"] == "ok" and r.json()["connection"]["error"] is None
        r = await client.get("/banking/accounts", params={"connection_id": cid}, headers=ALICE)
        assert r.status_code == 200
        assert (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]["status"] == "ok"


async def test_teller_disconnected_enrollment_reauth_end_to_end(
    make: Callable[..., FastAPI], teller: TellerEmulator
) -> None:
    app = make([_teller(teller)])
    async with running(app) as client:
        enrollment = teller.connect(seed="reauth")
        cid = (await client.post("/banking/exchange", json=enrollment, headers=ALICE)).json()["connection"]["id"]
        enrollment_id = enrollment["enrollment"]["id"]
        teller.disconnect(enrollment_id, "mfa_required")
        r = await client.get("/banking/balances", params={"connection_id": cid, "live": True}, headers=ALICE)
        assert r.status_code == 400 and r.json()["code"] == "item_login_required"
        conn = (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]
        assert conn["status"] == "needs_reauth"
        assert conn["error"]["code"] == "enrollment.disconnected.user_action.mfa_required"
        link = (await client.post(f"/banking/connections/{cid}/reconnect", headers=ALICE)).json()
        assert link["mode"] == "update" and link["enrollment_id"] == enrollment_id
        teller.backend.reconnect(enrollment_id)  # the user completes Teller Connect in update mode
        r = await client.get("/banking/balances", params={"connection_id": cid, "live": True}, headers=ALICE)
        assert r.status_code == 200
        conn = (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]
        assert conn["status"] == "ok" and conn["error"] is None and conn["last_success_at"]


async def test_teller_webhook_marks_the_connection_then_a_call_clears_it(
    make: Callable[..., FastAPI], teller: TellerEmulator
) -> None:
    secret = "whsec_connections_test"
    app = make([_teller(teller)], webhooks=Webhooks(teller_secrets=[secret]))
    async with running(app) as client:
        enrollment = teller.connect(seed="webhook")
        cid = (await client.post("/banking/exchange", json=enrollment, headers=ALICE)).json()["connection"]["id"]
        event = {
            "id": "wh_test_1",
            "type": "enrollment.disconnected",
            "payload": {"enrollment_id": enrollment["enrollment"]["id"], "reason": "disconnected.account_locked"},
            "timestamp": "2025-06-18T12:00:00Z",
        }
        body = json.dumps(event).encode()
        r = await client.post(
            "/banking/webhooks/teller",
            content=body,
            headers={
                "Teller-Signature": teller_signature(body, [secret], int(time.time())),
                "content-type": "application/json",
            },
        )
        assert r.status_code == 200, r.text
        conn = (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]
        assert conn["status"] == "needs_reauth" and conn["error"]["code"] == "enrollment.disconnected.account_locked"
        assert (await client.get("/banking/accounts", params={"connection_id": cid}, headers=ALICE)).status_code == 200
        assert (await client.get(f"/banking/connections/{cid}", headers=ALICE)).json()["connection"]["status"] == "ok"


async def test_a_second_login_to_the_same_bank_is_409_and_removed_at_the_provider(
    make: Callable[..., FastAPI], plaid: PlaidEmulator
) -> None:
    app = make([_plaid(plaid)])
    async with running(app) as client:
        first = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]
        r = await _plaid_connect(client, plaid, ALICE)
        assert r.status_code == 409 and r.json()["code"] == "duplicate_connection"
        assert r.json()["connection_id"] == first["id"] and first["id"] in r.json()["detail"]
        assert len(plaid.backend.items) == 1  # the new item was removed at Plaid
        assert (await client.get("/banking/connections", headers=ALICE)).json()["count"] == 1
        # another user connecting the same bank is no duplicate of Alice's
        assert (await _plaid_connect(client, plaid, BOB)).status_code == 201


async def test_delete_removes_the_item_at_the_provider_and_already_gone_is_success(
    db_url: str, make: Callable[..., FastAPI], plaid: PlaidEmulator
) -> None:
    from tests.storage.databases import raw_rows

    app = make([_plaid(plaid)], track_balances=True)
    async with running(app) as client:
        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        await app.state.banking_ledger.runner.drain()  # the first sync: the ledger has rows, runs, snapshots
        for table in ("fin_infra_ledger_transactions", "fin_infra_ledger_accounts", "fin_infra_sync_runs"):
            assert await raw_rows(db_url, f"SELECT * FROM {table} WHERE connection_id = '{cid}'") != []
        await client.get("/banking/balances", params={"live": True}, headers=ALICE)  # records today's snapshots
        assert len(await raw_rows(db_url, f"SELECT * FROM balance_history WHERE connection_id = '{cid}'")) == 3
        assert (
            await client.delete(f"/banking/connections/{cid}", params={"purge": "true"}, headers=ALICE)
        ).status_code == 204
        assert plaid.backend.items == {}
        assert await raw_rows(db_url, "SELECT * FROM fin_infra_connections") == []
        assert await raw_rows(db_url, f"SELECT * FROM balance_history WHERE connection_id = '{cid}'") == []
        for table in ("fin_infra_ledger_transactions", "fin_infra_ledger_accounts", "fin_infra_sync_runs"):
            assert await raw_rows(db_url, f"SELECT * FROM {table} WHERE connection_id = '{cid}'") == []
        assert (await client.delete(f"/banking/connections/{cid}", headers=ALICE)).status_code == 404

        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        gone = httpx.post(
            f"{plaid.base_url}/item/remove",
            json={"client_id": plaid.client_id, "secret": plaid.secret, "access_token": _plaid_token(plaid)},
        )
        assert gone.status_code == 200
        assert (await client.delete(f"/banking/connections/{cid}", headers=ALICE)).status_code == 204
        assert (await client.get("/banking/connections", headers=ALICE)).json()["count"] == 0


@pytest.mark.parametrize("rotate_with", ["command", "function"])
async def test_key_rotation_keeps_connections_working(
    db_url: str, make: Callable[..., FastAPI], plaid: PlaidEmulator, monkeypatch: pytest.MonkeyPatch, rotate_with: str
) -> None:
    import os
    import subprocess
    import sys

    from fin_infra.crypto import ENCRYPTION_KEYS_ENV, Keyring, new_key
    from fin_infra.storage.rotation import rotate_keys

    old = os.environ[ENCRYPTION_KEYS_ENV]
    app = make([_plaid(plaid)])
    async with running(app) as client:
        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
    new = new_key("k2")
    monkeypatch.setenv(ENCRYPTION_KEYS_ENV, f"{new},{old}")
    both = make([_plaid(plaid)])
    async with running(both) as client:  # old rows stay readable with the old key second
        assert (await client.get("/banking/accounts", params={"connection_id": cid}, headers=ALICE)).status_code == 200
        if rotate_with == "function":
            result = await rotate_keys(both.state.banking_connections.store, Keyring.from_env())
            assert result.reencrypted == 1
    if rotate_with == "command":
        done = subprocess.run(
            [sys.executable, "-m", "fin_infra.storage", "keys", "rotate", "--url", db_url],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ},
        )
        assert done.returncode == 0 and "re-encrypted 1" in done.stdout, done.stderr
    monkeypatch.setenv(ENCRYPTION_KEYS_ENV, new)  # the old key is gone now
    only_new = make([_plaid(plaid)])
    async with running(only_new) as client:
        assert (await client.get("/banking/accounts", params={"connection_id": cid}, headers=ALICE)).status_code == 200
