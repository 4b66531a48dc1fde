"""Syncs started by real, verified provider webhooks: the emulators sign and POST to a running app; the
handler finds the connection by item / enrollment id and syncs it in the background; the ledger then equals
the emulators' truth. And in pass-through mode, a transactions webhook drops the item token's cached ranges."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.sync import LedgerSync
from fin_infra.banking.sync.connections import StoredConnections
from fin_infra.banking.sync.triggers import forget_on_webhooks, sync_on_webhooks
from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, WebhookEvent, Webhooks
from fin_infra.emulators.server import EmulatorServer
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider
from fin_infra.storage.database import Database
from fin_infra.storage.sql_connection_store import SQLConnectionStore
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.sync.conftest import Clock
from tests.sync.ledger_setup import KEYS, Ledger
from tests.sync.test_ledger_emulators import enroll_teller, fire_plaid_webhook
from tests.sync.truth import compare, plaid_truth, teller_truth

SECRET = "whsec_ledger_test_secret_0123456789abcdefghijk"


@pytest.fixture
def app_url(plaid: PlaidEmulator, teller: TellerEmulator, tmp_path: Path, clock: Clock,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    # The app's providers are built from the environment, on the app's own event loop.
    for key, value in {**plaid.env(), **teller.env()}.items():
        monkeypatch.setenv(key, value)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    database = Database(url)
    connections = SQLConnectionStore(database)
    ledger = LedgerSync(database, connections=StoredConnections(connections, keys=KEYS), today=clock)
    webhooks = Webhooks(plaid=PlaidWebhookVerifier(PlaidKeySource(client_id=plaid.client_id, secret=plaid.secret,
                                                                   base_url=plaid.base_url)),
                        teller_secrets=[SECRET])
    sync_on_webhooks(webhooks, ledger, find=connections.find_by_item)
    app = FastAPI()
    add_banking(app, provider="sandbox", webhooks=webhooks)
    with EmulatorServer(app) as server:
        yield server.base_url, url


async def wait_for_runs(env: Ledger, connection_id: str, count: int) -> None:
    for _ in range(1800):  # up to 90 s: background syncs on a heavily loaded machine (a deadline, not a speed check)
        runs = await env.ledger.runs.runs(connection_id, limit=1000)
        if len([r for r in runs if r.outcome != "running"]) >= count:
            assert {r.outcome for r in runs} == {"ok"}, runs
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{connection_id}: fewer than {count} finished runs")


async def test_verified_webhooks_sync_their_connection(
    app_url: tuple[str, str], plaid: PlaidEmulator, teller: TellerEmulator, clock: Clock
) -> None:
    base, url = app_url
    plaid_token = plaid.create_access_token(webhook=f"{base}/banking/webhooks/plaid")
    teller.set_webhook(f"{base}/banking/webhooks/teller", secrets=[SECRET])
    teller_token, enrollment_id = enroll_teller(teller)
    env = Ledger(url, {})
    seen: set[str] = set()
    try:
        await env.connect("conn_plaid", "plaid", plaid.backend.item_for(plaid_token).item_id, plaid_token)
        await env.connect("conn_teller", "teller", enrollment_id, teller_token)
        rng = random.Random(9)
        for day in range(1, 4):
            clock.advance()
            plaid.backend.churn(plaid_token, rng)
            teller.backend.churn(enrollment_id, rng)
            await fire_plaid_webhook(plaid, plaid_token)
            sent = await asyncio.to_thread(teller.process_transactions, enrollment_id)
            assert sent is not None and sent.status_code == 200
            await wait_for_runs(env, "conn_plaid", day)
            await wait_for_runs(env, "conn_teller", day)
            plaid_ledger = await env.ledger.store.transactions("conn_plaid")
            assert compare(plaid_ledger, plaid_truth(plaid.backend, plaid_token)).clean
            assert compare(await env.ledger.store.transactions("conn_teller"),
                           teller_truth(teller.backend, teller_token, seen)).clean
        runs = await env.ledger.runs.runs("conn_plaid")
        assert runs[0].trigger == "webhook:SYNC_UPDATES_AVAILABLE"
    finally:
        await env.aclose()


async def test_pass_through_webhook_drops_the_tokens_cached_ranges() -> None:
    provider = SandboxProvider()
    webhooks = Webhooks()
    forget_on_webhooks(webhooks, provider, token_for_item={"item-1": DEMO_ACCESS_TOKEN}.get)
    today = dt.date.today()
    await provider.query_transactions(DEMO_ACCESS_TOKEN, today - dt.timedelta(days=30), today)
    cache = provider.transaction_queries.cache
    assert len(cache) == 1  # type: ignore[arg-type]
    other = WebhookEvent("plaid", "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", "unknown-item", "d0", {})
    assert await webhooks.dispatch(other) == 1 and len(cache) == 1  # type: ignore[arg-type]
    event = WebhookEvent("plaid", "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", "item-1", "d1", {})
    assert await webhooks.dispatch(event) == 1
    assert len(cache) == 0  # type: ignore[arg-type]


async def test_mx_aggregation_webhooks_trigger_too() -> None:
    # MX's member_data_updated for AGGREGATION / HISTORY means new transactions; BALANCE and status changes don't.
    provider = SandboxProvider()
    webhooks = Webhooks()
    forget_on_webhooks(webhooks, provider, token_for_item={"MBR-1": DEMO_ACCESS_TOKEN}.get)
    synced: list[tuple[str, str]] = []

    class FakeLedger:
        async def sync(self, connection_id: str, *, trigger: str) -> None:
            synced.append((connection_id, trigger))

    class Record:
        id = "conn_mx"

    async def find(provider_name: str, item_id: str) -> Record | None:
        return Record() if (provider_name, item_id) == ("mx", "MBR-1") else None

    runner = sync_on_webhooks(webhooks, FakeLedger(), find=find)
    today = dt.date.today()
    await provider.query_transactions(DEMO_ACCESS_TOKEN, today - dt.timedelta(days=30), today)
    cache = provider.transaction_queries.cache
    for kind, code in (("BALANCE", "member_data_updated"), ("CONNECTION_STATUS", "CHANGED")):
        await webhooks.dispatch(WebhookEvent("mx", kind, code, "MBR-1", f"mx:{kind}", {}))
    await runner.drain()
    assert synced == [] and len(cache) == 1  # type: ignore[arg-type]
    await webhooks.dispatch(WebhookEvent("mx", "AGGREGATION", "member_data_updated", "MBR-1", "mx:a", {}))
    await runner.drain()
    assert synced == [("conn_mx", "webhook:member_data_updated")]
    assert len(cache) == 0  # type: ignore[arg-type]


async def test_every_plaid_and_teller_transactions_notice_triggers_a_sync_and_nothing_else_does() -> None:
    # The list (SYNC_UPDATES_AVAILABLE, DEFAULT_UPDATE, HISTORICAL_UPDATE, INITIAL_UPDATE; Teller
    # transactions.processed) and TRANSACTIONS_REMOVED; other Plaid codes and types are not transaction changes.
    webhooks = Webhooks()
    synced: list[tuple[str, str]] = []

    class FakeLedger:
        async def sync(self, connection_id: str, *, trigger: str) -> None:
            synced.append((connection_id, trigger))

    class Record:
        def __init__(self, cid: str) -> None:
            self.id = cid

    async def find(provider_name: str, item_id: str) -> Record | None:
        known = {("plaid", "item-1"): "conn_plaid", ("teller", "enr_1"): "conn_teller"}
        cid = known.get((provider_name, item_id))
        return Record(cid) if cid else None

    runner = sync_on_webhooks(webhooks, FakeLedger(), find=find)
    ignored = [("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"), ("ITEM", "ERROR"), ("ITEM", "PENDING_EXPIRATION"),
               ("IDENTITY", "DEFAULT_UPDATE"), ("HOLDINGS", "DEFAULT_UPDATE")]
    for i, (kind, code) in enumerate(ignored):
        await webhooks.dispatch(WebhookEvent("plaid", kind, code, "item-1", f"ignored-{i}", {}))
    await runner.drain()
    assert synced == []
    codes = ["SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE", "HISTORICAL_UPDATE", "INITIAL_UPDATE", "TRANSACTIONS_REMOVED"]
    for i, code in enumerate(codes):
        await webhooks.dispatch(WebhookEvent("plaid", "TRANSACTIONS", code, "item-1", f"plaid-{i}", {}))
    await webhooks.dispatch(WebhookEvent("plaid", "TRANSACTIONS", "DEFAULT_UPDATE", "item-unknown", "plaid-x", {}))
    await webhooks.dispatch(WebhookEvent("teller", "transactions.processed", None, "enr_1", "teller-1", {}))
    await runner.drain()
    assert synced == [("conn_plaid", f"webhook:{code}") for code in codes] + [
        ("conn_teller", "webhook:transactions.processed")
    ]
