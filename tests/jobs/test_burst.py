"""Two worker processes, connections made through the app's /exchange, then a burst of provider webhooks
with duplicates while the emulator's data changes: every connection synced, no two syncs of one connection
ever overlapping (from the recorded run times), the ledger equal to the emulator's truth, bursts coalesced.

Sizes: the issue's, by default: FIN_INFRA_JOBS_TEST_CONNECTIONS (200), FIN_INFRA_JOBS_TEST_WEBHOOKS (1,000: five
per connection, so every burst has duplicates), FIN_INFRA_JOBS_TEST_LATENCY (0.05 s on every /transactions/sync
answer). About 40 s on an idle 2-core machine (80 s at load 10); smaller sizes for a quick local run."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Header

from fin_infra.banking import add_banking
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, Webhooks
from fin_infra.storage.database import Database
from fin_infra.testing.plaid import PlaidEmulator
from tests.jobs.workers import Workers, connect, overlaps, queue_counts, runs, serve_app, wait_idle
from tests.sync.ledger_setup import KEY_TEXT
from tests.sync.truth import compare, plaid_truth

CONNECTIONS = int(os.environ.get("FIN_INFRA_JOBS_TEST_CONNECTIONS", "200"))
WEBHOOKS = int(os.environ.get("FIN_INFRA_JOBS_TEST_WEBHOOKS", "1000"))
LATENCY = float(os.environ.get("FIN_INFRA_JOBS_TEST_LATENCY", "0.05"))
ROUNDS = 5


def current_user(x_user: Annotated[str, Header()]) -> str:
    return x_user


@pytest.fixture
def app_url(jobs_url: str, plaid: PlaidEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in plaid.env().items():  # the app builds its provider on its own event loop
        monkeypatch.setenv(key, value)
    webhooks = Webhooks(plaid=PlaidWebhookVerifier(PlaidKeySource(client_id=plaid.client_id, secret=plaid.secret,
                                                                   base_url=plaid.base_url)))
    app = FastAPI()
    add_banking(app, providers=["plaid"], connections=jobs_url, current_user=current_user, jobs=jobs_url,
                webhooks=webhooks, encryption_keys=KEY_TEXT)
    with serve_app(app) as url:
        yield url


async def gather_limited(n: int, coros: list) -> list:  # type: ignore[type-arg]
    gate = asyncio.Semaphore(n)

    async def one(c):  # type: ignore[no-untyped-def]
        async with gate:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def test_burst_of_webhooks_on_two_workers(
    app_url: str, plaid: PlaidEmulator, workers: Workers, jobs_url: str, postgres_url: str, schema: str
) -> None:
    rng = random.Random(15)
    tokens = [plaid.create_public_token(webhook=f"{app_url}/banking/webhooks/plaid", transaction_count=25)
              for _ in range(CONNECTIONS)]
    workers.start(4)
    workers.start(4)
    async with httpx.AsyncClient(base_url=app_url, timeout=60) as http:
        async def exchange(i: int, public_token: str) -> str:
            r = await http.post("/banking/exchange", json={"public_token": public_token},
                                headers={"x-user": f"user-{i}"})
            assert r.status_code == 201, r.text
            return str(r.json()["connection"]["id"])

        made = await gather_limited(16, [exchange(i, t) for i, t in enumerate(tokens)])
    conn = await connect(postgres_url, schema)
    try:
        by_item = {r["item_id"]: r["id"] for r in await conn.fetch("SELECT id, item_id FROM fin_infra_connections")}
    finally:
        await conn.close()
    assert sorted(by_item.values()) == sorted(made)
    access = {item.item_id: token for token, item in plaid.backend.items.items()}
    plaid.backend.inject_fault(latency=LATENCY, endpoint="/transactions/sync", times=None)

    fired = 0
    async with httpx.AsyncClient(base_url=plaid.base_url, timeout=60) as emu:
        async def fire(item_id: str) -> None:
            r = await emu.post("/sandbox/item/fire_webhook", json={
                "client_id": plaid.client_id, "secret": plaid.secret, "access_token": access[item_id],
                "webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE"})
            assert r.status_code == 200 and r.json()["webhook_fired"], r.text

        items = list(by_item)
        for round_ in range(ROUNDS):
            changed = rng.sample(items, max(1, len(items) // 5))
            for item_id in changed:
                await asyncio.to_thread(plaid.backend.churn, access[item_id], rng)
            count = WEBHOOKS // ROUNDS if round_ < ROUNDS - 1 else WEBHOOKS - fired
            batch = changed + [rng.choice(items) for _ in range(max(0, count - len(changed)))]  # duplicates
            rng.shuffle(batch)
            await gather_limited(16, [fire(i) for i in batch])
            fired += len(batch)

    conn = await connect(postgres_url, schema)
    try:
        await wait_idle(conn, workers, 240)
        all_runs = await runs(conn)
        counts = await queue_counts(conn)
    finally:
        await conn.close()
    assert workers.stop() == [0, 0]  # SIGTERM: both left cleanly

    synced = {r["connection_id"] for r in all_runs if r["outcome"] == "ok"}
    assert synced == set(by_item.values())
    assert {r["outcome"] for r in all_runs} == {"ok"}, [r for r in all_runs if r["outcome"] != "ok"][:5]
    assert overlaps(all_runs) == []
    triggers = CONNECTIONS + fired
    print(f"\n{CONNECTIONS} connections, {fired} webhooks + {CONNECTIONS} exchanges -> {len(all_runs)} syncs "
          f"({counts.get('succeeded', 0)} jobs)")
    assert fired == WEBHOOKS and len(all_runs) < triggers  # duplicates coalesced

    db = Database(jobs_url)
    try:
        store = SQLLedgerStore(db)
        for item_id, cid in by_item.items():
            diff = compare(await store.transactions(cid), plaid_truth(plaid.backend, access[item_id]))
            assert diff.clean, f"{cid}: {diff.line()}"
    finally:
        await db.aclose()
