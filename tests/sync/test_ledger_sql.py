"""`sync_connection` on SQLite and the real PostgreSQL: 90 simulated days through the emulators with syncs run
from their webhooks (the ledger equals the emulators' truth every day), run records, balance history,
connection health, and triggers coalesced while a sync runs."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from fin_infra.banking.exceptions import ItemLoginRequiredError
from fin_infra.banking.sync import sync_connection
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.storage.tables import balance_history
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.sync.conftest import Clock
from tests.sync.ledger_setup import Ledger
from tests.sync.test_ledger_emulators import FAST_RETRY, Inbox, enroll_teller, fire_plaid_webhook, inbox  # noqa: F401
from tests.sync.truth import Diff, compare, plaid_truth, teller_truth

# 90 days on both databases takes minutes on a loaded 2-core machine: 20 here, 90 with FIN_INFRA_LEDGER_SQL_DAYS=90
# (the in-memory run in test_ledger_emulators.py does the full 90 every time).
DAYS = int(os.environ.get("FIN_INFRA_LEDGER_SQL_DAYS", "20"))


@pytest.fixture
async def plaid_client(plaid: PlaidEmulator) -> AsyncIterator[PlaidProvider]:
    provider = plaid.client(sync_page_size=100, retry_backoff=0.01, max_retries=0)
    yield provider
    await provider.aclose()


async def test_ninety_days_synced_from_webhooks_equal_the_truth(
    ledger_url: str, plaid: PlaidEmulator, teller: TellerEmulator, clock: Clock, inbox: Inbox,  # noqa: F811
    plaid_client: PlaidProvider, capsys: pytest.CaptureFixture[str],
) -> None:
    plaid_token = plaid.create_access_token(webhook=f"{inbox.server.base_url}/plaid")
    item_id = plaid.backend.item_for(plaid_token).item_id
    teller.set_webhook(f"{inbox.server.base_url}/teller")
    teller_token, enrollment_id = enroll_teller(teller)
    seen: set[str] = set()
    rng = random.Random(1414)
    totals = Diff()
    async with teller.client(retry=FAST_RETRY, account_cache_ttl=0) as teller_client:
        env = Ledger(ledger_url, {"plaid": plaid_client, "teller": teller_client})
        try:
            await env.connect("conn_plaid", "plaid", item_id, plaid_token)
            await env.connect("conn_teller", "teller", enrollment_id, teller_token)
            for cid in ("conn_plaid", "conn_teller"):  # right after exchange
                await sync_connection(cid, ledger=env.ledger, trigger="exchange", today=clock.today)
            for _ in range(DAYS):
                clock.advance()
                plaid.backend.churn(plaid_token, rng)
                await fire_plaid_webhook(plaid, plaid_token)
                teller.backend.churn(enrollment_id, rng)
                teller.process_transactions(enrollment_id)
                for event in inbox.drain():  # the webhook finds its connection by item / enrollment id
                    provider = event["path"].strip("/")
                    key = event.get("item_id") or event["payload"]["enrollment_id"]
                    record = await env.connections.find_by_item(provider, key)
                    assert record is not None
                    outcome = await env.ledger.sync(record.id, trigger="webhook", today=clock.today)
                    assert outcome is not None
                for diff in (
                    compare(await env.ledger.store.transactions("conn_plaid"), plaid_truth(plaid.backend, plaid_token)),
                    compare(await env.ledger.store.transactions("conn_teller"),
                            teller_truth(teller.backend, teller_token, seen)),
                ):
                    for name, ids in vars(diff).items():
                        getattr(totals, name).extend(ids)
                for cid in ("conn_plaid", "conn_teller"):  # the count summary moved exactly with the rows
                    kept = await env.ledger.store.counts(cid)
                    await env.ledger.store.rebuild_summaries(cid)
                    assert kept == await env.ledger.store.counts(cid), (cid, clock.today)
            runs = await env.ledger.runs.runs("conn_plaid", limit=1000)
            assert len(runs) == DAYS + 1 and {r.outcome for r in runs} == {"ok"}
            assert runs[-1].trigger == "exchange" and runs[-1].added > 0 and runs[0].trigger == "webhook"
            async with env.database.engine().connect() as conn:
                snapshots = await conn.scalar(select(func.count()).select_from(balance_history))
            assert snapshots == (DAYS + 1) * (3 + 3)  # one per account per day, both connections
            state = await env.ledger.runs.state("conn_teller")
            assert state.last_synced_at is not None and state.latest is not None and state.latest.outcome == "ok"
        finally:
            await env.aclose()
    with capsys.disabled():
        backend = ledger_url.split(":", 1)[0]
        print(f"\nledger on {backend} vs emulators over {DAYS} days, synced from webhooks: {totals.line()}")
    assert totals.clean, totals


async def test_failed_sync_is_recorded_sets_the_status_and_a_later_success_clears_it(
    ledger_url: str, plaid: PlaidEmulator, plaid_client: PlaidProvider
) -> None:
    token = plaid.create_access_token()
    env = Ledger(ledger_url, {"plaid": plaid_client})
    try:
        await env.connect("conn_p", "plaid", plaid.backend.item_for(token).item_id, token)
        plaid.backend.reset_login(token)
        with pytest.raises(ItemLoginRequiredError):
            await env.ledger.sync("conn_p")
        record = await env.connections.get("conn_p")
        assert record is not None and (record.status, record.error_code) == ("needs_reauth", "ITEM_LOGIN_REQUIRED")
        [run] = await env.ledger.runs.runs("conn_p")
        assert (run.outcome, run.error_code, run.ended_at is not None) == ("error", "ITEM_LOGIN_REQUIRED", True)
        assert await env.ledger.store.transactions("conn_p") == [] and await env.ledger.store.cursor("conn_p") is None
        plaid.backend.item_for(token, data=False).error = None  # the user logged in again (update mode)
        outcome = await env.ledger.sync("conn_p")
        assert outcome is not None and outcome.added > 0
        record = await env.connections.get("conn_p")
        assert record is not None and record.status == "ok"
        audit = await env.connections.read_audit(connection_id="conn_p")
        assert [e.action for e in audit] == ["token.decrypt", "token.decrypt"]
    finally:
        await env.aclose()


async def test_triggers_during_a_run_coalesce_into_one_follow_up(
    ledger_url: str, plaid: PlaidEmulator, plaid_client: PlaidProvider
) -> None:
    token = plaid.create_access_token(transaction_count=300)
    env = Ledger(ledger_url, {"plaid": plaid_client})
    try:
        await env.connect("conn_p", "plaid", plaid.backend.item_for(token).item_id, token)
        plaid.backend.inject_fault(endpoint="/transactions/sync", latency=0.3, times=3)  # a slow first run
        first = asyncio.create_task(env.ledger.sync("conn_p", trigger="exchange"))
        await asyncio.sleep(0.2)
        others = await asyncio.gather(*(env.ledger.sync("conn_p", trigger="webhook") for _ in range(5)))
        assert others == [None] * 5  # the running sync holds the connection
        plaid.backend.add_transaction(token, "3.00", "DURING THE RUN")
        assert await first is not None
        runs = await env.ledger.runs.runs("conn_p")
        assert [r.trigger for r in reversed(runs)] == ["exchange", "follow-up"]  # five triggers, one follow-up
        assert compare(await env.ledger.store.transactions("conn_p"), plaid_truth(plaid.backend, token)).clean
        starts = sorted((r.started_at, r.ended_at) for r in runs)
        assert starts[0][1] is not None and starts[0][1] <= starts[1][0]  # never overlapping
    finally:
        await env.aclose()
