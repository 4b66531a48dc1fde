"""Connections mode with the ledger, on the real Plaid and Teller emulators over HTTP, SQLite and PostgreSQL:
an exchange starts the first sync in the background; POST /connections/{id}/sync answers 202 and syncs
again (never two runs of one connection at once); GET /connections/{id} shows the sync state; another
user's id is 404."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import httpx
from fastapi import FastAPI

from fin_infra.banking.connections.ledger import ConnectionsLedger
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.connections.conftest import as_user, running
from tests.connections.test_providers import _plaid, _plaid_connect, _plaid_token, _teller
from tests.sync.truth import compare, plaid_truth

ALICE, BOB = as_user("alice"), as_user("bob")


def _ledger(app: FastAPI) -> ConnectionsLedger:
    ledger = app.state.banking_ledger
    assert isinstance(ledger, ConnectionsLedger)
    return ledger


async def _connection(client: httpx.AsyncClient, cid: str, user: dict[str, str] = ALICE) -> dict[str, Any]:
    r = await client.get(f"/banking/connections/{cid}", headers=user)
    assert r.status_code == 200, r.text
    return dict(r.json()["connection"])


async def test_exchange_syncs_the_plaid_item_into_the_ledger_and_sync_runs_again_on_request(
    make: Callable[..., FastAPI], plaid: PlaidEmulator
) -> None:
    app = make([_plaid(plaid)])
    ledger = _ledger(app)
    async with running(app) as client:
        r = await _plaid_connect(client, plaid, ALICE)
        assert r.status_code == 201, r.text
        cid = r.json()["connection"]["id"]
        await ledger.runner.drain()
        conn = await _connection(client, cid)
        first = conn["sync"]["run"]
        assert first["trigger"] == "exchange" and first["outcome"] == "ok", first
        assert conn["sync"]["last_synced_at"] is not None
        stored = await ledger.sync.store.transactions(cid)
        diff = compare(stored, plaid_truth(plaid.backend, _plaid_token(plaid)))
        assert not (diff.lost or diff.doubled or diff.stale or diff.resurrected), diff
        assert first["added"] == len(stored) > 0 and first["rows"] >= len(stored) and first["pages"] >= 1

        r = await client.post(f"/banking/connections/{cid}/sync", headers=ALICE)
        assert r.status_code == 202 and r.json() == {"connection_id": cid, "sync": "started"}
        await ledger.runner.drain()
        conn = await _connection(client, cid)
        again = conn["sync"]["run"]
        assert again["trigger"] == "manual" and again["outcome"] == "ok" and again["id"] != first["id"]
        assert again["added"] == 0 and again["removed"] == 0  # nothing changed at the bank
        assert conn["sync"]["last_synced_at"] >= again["started_at"]
        assert len(await ledger.sync.store.transactions(cid)) == len(stored)


async def test_another_users_connection_is_404_for_sync_and_show(
    make: Callable[..., FastAPI], plaid: PlaidEmulator
) -> None:
    app = make([_plaid(plaid)])
    ledger = _ledger(app)
    async with running(app) as client:
        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        await ledger.runner.drain()
        before = await ledger.sync.runs.runs(cid)
        for path in (f"/banking/connections/{cid}/sync", "/banking/connections/conn_" + "x" * 22 + "/sync"):
            r = await client.post(path, headers=BOB)
            assert r.status_code == 404 and r.json()["code"] == "connection_not_found", r.text
        assert (await client.get(f"/banking/connections/{cid}", headers=BOB)).status_code == 404
        await ledger.runner.drain()
        assert await ledger.sync.runs.runs(cid) == before  # bob started nothing


async def test_requests_while_a_sync_runs_are_coalesced_never_parallel(
    make: Callable[..., FastAPI], teller: TellerEmulator
) -> None:
    app = make([_teller(teller)])
    ledger = _ledger(app)
    async with running(app) as client:
        r = await client.post("/banking/exchange", json=teller.connect(seed="ledger-routes"), headers=ALICE)
        assert r.status_code == 201, r.text
        cid = r.json()["connection"]["id"]
        for _ in range(4):  # while the exchange's sync is still running
            assert (await client.post(f"/banking/connections/{cid}/sync", headers=ALICE)).status_code == 202
        await ledger.runner.drain()
        runs = sorted(await ledger.sync.runs.runs(cid), key=lambda run: run.started_at)
        assert [run.outcome for run in runs] == ["ok"] * len(runs)
        assert 1 <= len(runs) <= 5
        for earlier, later in pairwise(runs):  # one connection, one run at a time
            assert earlier.ended_at is not None and earlier.ended_at <= later.started_at
        conn = await _connection(client, cid)
        assert conn["sync"]["run"]["id"] == runs[-1].id and conn["sync"]["last_synced_at"] is not None
        assert len(await ledger.sync.store.transactions(cid)) == runs[0].added > 0


async def test_a_failed_sync_shows_its_error_and_sets_the_connection_status(
    make: Callable[..., FastAPI], plaid: PlaidEmulator
) -> None:
    app = make([_plaid(plaid)])
    ledger = _ledger(app)
    async with running(app) as client:
        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        await ledger.runner.drain()
        done = httpx.post(
            f"{plaid.base_url}/sandbox/item/reset_login",
            json={"client_id": plaid.client_id, "secret": plaid.secret, "access_token": _plaid_token(plaid)},
        )
        assert done.status_code == 200
        assert (await client.post(f"/banking/connections/{cid}/sync", headers=ALICE)).status_code == 202
        await ledger.runner.drain()
        conn = await _connection(client, cid)
        assert conn["sync"]["run"]["outcome"] == "error"
        assert conn["sync"]["run"]["error_code"] == "ITEM_LOGIN_REQUIRED"
        assert conn["status"] == "needs_reauth" and conn["error"]["code"] == "ITEM_LOGIN_REQUIRED"
        assert conn["sync"]["last_synced_at"] is not None  # the exchange's sync still counts
