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


def _ids(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["connection_id"], t["id"]) for t in body["transactions"]]


async def _every_page(client: httpx.AsyncClient, params: dict[str, Any], user: dict[str, str]) -> list[tuple[str, str]]:
    body = (await client.get("/banking/transactions", params=params, headers=user)).json()
    seen = _ids(body)
    while body["next"]:
        body = (await client.get(body["next"], headers=user)).json()
        seen += _ids(body)
    return seen


async def test_transactions_and_balances_are_answered_from_the_ledger_with_the_live_semantics(
    make: Callable[..., FastAPI], plaid: PlaidEmulator
) -> None:
    app = make([_plaid(plaid)])
    async with running(app) as client:
        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        await _ledger(app).runner.drain()
        queries: list[dict[str, Any]] = [
            {"page_size": 200},
            {"sort_by": "amount", "sort_order": "asc", "page_size": 7, "page": 2},
            {"sort_by": "merchant", "min_amount": "10", "max_amount": "500", "page_size": 25},
            {"exclude_pending": "true", "start_date": "2020-01-01", "page_size": 50, "page": 3},
        ]
        answered: list[dict[str, Any]] = []
        for params in queries:
            params = {**params, "connection_id": cid}
            r = await client.get("/banking/transactions", params=params, headers=ALICE)
            assert r.status_code == 200, r.text
            stored = r.json()
            live = (await client.get("/banking/transactions", params={**params, "live": "true"}, headers=ALICE)).json()
            assert stored["source"] == "ledger" and "source" not in live
            assert stored["status"] == "ok" and stored["last_synced_at"] is not None
            assert stored["connections"] == [{"connection_id": cid, "status": "ok",
                                              "last_synced_at": stored["last_synced_at"]}]
            assert (stored["total"], stored["next"]) == (live["total"], live["next"].replace("&live=true", "")
                                                         if live["next"] else None), params
            assert stored["transactions"] == live["transactions"], params
            answered.append(stored)
        assert answered[0]["total"] > 0 and answered[1]["count"] == 7

        stored_balances = (await client.get("/banking/balances", params={"connection_id": cid}, headers=ALICE)).json()
        live_balances = (await client.get("/banking/balances", params={"connection_id": cid, "live": "true"},
                                          headers=ALICE)).json()
        assert stored_balances["source"] == "ledger" and stored_balances["count"] > 0
        keep = ("connection_id", "account_id", "current", "available", "currency")
        assert [{k: b[k] for k in keep} for b in stored_balances["balances"]] == sorted(
            ({k: b[k] for k in keep} for b in live_balances["balances"]), key=lambda b: b["account_id"]
        )

        # the bank login breaks: the ledger still answers, the live route says why it can't
        done = httpx.post(
            f"{plaid.base_url}/sandbox/item/reset_login",
            json={"client_id": plaid.client_id, "secret": plaid.secret, "access_token": _plaid_token(plaid)},
        )
        assert done.status_code == 200
        again = (await client.get("/banking/transactions", params={**queries[0], "connection_id": cid},
                                  headers=ALICE)).json()
        assert again["transactions"] == answered[0]["transactions"]
        r = await client.get("/banking/balances", params={"connection_id": cid, "live": "true"}, headers=ALICE)
        assert r.status_code == 400 and r.json()["code"] == "item_login_required"
        after = (await client.get("/banking/transactions", params={"connection_id": cid}, headers=ALICE)).json()
        assert after["status"] == "needs_reauth" and after["connections"][0]["status"] == "needs_reauth"


async def test_every_connection_merged_from_the_ledger_and_a_never_synced_one_is_visible(
    make: Callable[..., FastAPI], plaid: PlaidEmulator, teller: TellerEmulator
) -> None:
    app = make([_teller(teller), _plaid(plaid)])
    async with running(app) as client:
        tcid = (await client.post("/banking/exchange", json=teller.connect(seed="merged"), headers=ALICE)).json()[
            "connection"]["id"]
        pcid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        await _ledger(app).runner.drain()
        params = {"page_size": 200, "start_date": "2000-01-01"}
        merged = (await client.get("/banking/transactions", params=params, headers=ALICE)).json()
        one = {
            cid: (await client.get("/banking/transactions", params={**params, "connection_id": cid},
                                   headers=ALICE)).json()
            for cid in (tcid, pcid)
        }
        assert merged["total"] == one[tcid]["total"] + one[pcid]["total"] and one[tcid]["total"] > 0
        everything = await _every_page(client, params, ALICE)
        assert len(everything) == len(set(everything)) == merged["total"]
        assert sorted(everything) == sorted(
            await _every_page(client, {**params, "connection_id": tcid}, ALICE)
            + await _every_page(client, {**params, "connection_id": pcid}, ALICE)
        )
        assert [c["connection_id"] for c in merged["connections"]] == [tcid, pcid]
        assert merged["last_synced_at"] == min(c["last_synced_at"] for c in merged["connections"])

        # a new connection whose first sync has not run yet: served (empty) and visibly never synced
        second = plaid.create_public_token("ins_109511")
        r = await client.post("/banking/exchange", json={"provider": "plaid", "public_token": second}, headers=BOB)
        bob = r.json()["connection"]["id"]
        early = (await client.get("/banking/transactions", params={"connection_id": bob}, headers=BOB)).json()
        await _ledger(app).runner.drain()
        if early["total"] == 0:  # the background sync had not committed yet
            assert early["last_synced_at"] is None and early["connections"][0]["last_synced_at"] is None
        late = (await client.get("/banking/transactions", params={"connection_id": bob}, headers=BOB)).json()
        assert late["last_synced_at"] is not None


async def test_a_purge_during_the_first_sync_leaves_nothing_of_the_connection(
    make: Callable[..., FastAPI], plaid: PlaidEmulator, db_url: str
) -> None:
    from tests.storage.databases import raw_rows

    app = make([_plaid(plaid)], track_balances=True)
    async with running(app) as client:
        cid = (await _plaid_connect(client, plaid, ALICE)).json()["connection"]["id"]
        r = await client.delete(f"/banking/connections/{cid}", params={"purge": "true"}, headers=ALICE)
        assert r.status_code == 204
        await _ledger(app).runner.drain()
    tables = ("fin_infra_ledger_transactions", "fin_infra_ledger_accounts", "fin_infra_ledger_state",
              "fin_infra_sync_runs", "fin_infra_ledger_counts", "balance_history")
    for table in tables:
        assert await raw_rows(db_url, f"SELECT * FROM {table} WHERE connection_id = '{cid}'") == [], table


async def test_a_verified_transactions_webhook_syncs_its_connection(
    make: Callable[..., FastAPI], teller: TellerEmulator
) -> None:
    import json
    import time

    from fin_infra.banking.webhooks import Webhooks
    from tests.webhooks.signing import teller_signature

    secret = "whsec_ledger_routes"
    app = make([_teller(teller)], webhooks=Webhooks(teller_secrets=[secret]))
    async with running(app) as client:
        enrollment = teller.connect(seed="ledger-webhook")
        cid = (await client.post("/banking/exchange", json=enrollment, headers=ALICE)).json()["connection"]["id"]
        await _ledger(app).runner.drain()
        event = {"id": "wh_ledger_1", "type": "transactions.processed", "timestamp": "2026-01-02T12:00:00Z",
                 "payload": {"enrollment_id": enrollment["enrollment"]["id"], "transactions": []}}
        body = json.dumps(event).encode()
        signature = teller_signature(body, [secret], int(time.time()))
        r = await client.post("/banking/webhooks/teller", content=body,
                              headers={"Teller-Signature": signature, "content-type": "application/json"})
        assert r.status_code == 200, r.text
        await _ledger(app).runner.drain()
        run = (await _connection(client, cid))["sync"]["run"]
        assert (run["trigger"], run["outcome"]) == ("webhook:transactions.processed", "ok")
