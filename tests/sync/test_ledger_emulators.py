"""The ledger against the real emulators over HTTP (memory store): 90 simulated days of a Plaid Item and a
Teller enrollment whose bank posts under new ids, syncs started by the emulators' webhooks; faults and
restarts. After every day the ledger must equal the emulators' own truth."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fin_infra.banking.exceptions import BankingProviderError
from fin_infra.banking.sync import MemoryLedgerStore, SyncSettings, run_sync, source_for
from fin_infra.emulators.server import EmulatorServer
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.providers.banking.teller import RetryPolicy, TellerClient
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.sync.conftest import Clock
from tests.sync.truth import Diff, compare, plaid_truth, teller_truth

DAYS = int(os.environ.get("FIN_INFRA_LEDGER_DAYS", "90"))
NO_RETRY = RetryPolicy(max_attempts=1, base_delay=0.01, max_delay=0.01, total_timeout=5.0)
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, total_timeout=5.0)


class Inbox:
    """A webhook receiver on a real HTTP server: what arrived, in order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

        async def receive(request: Request) -> Response:
            self.events.append({"path": request.url.path, **json.loads(await request.body())})
            return Response(status_code=200)

        self.server = EmulatorServer(Starlette(routes=[Route("/{kind}", receive, methods=["POST"])]))

    def drain(self) -> list[dict[str, Any]]:
        events, self.events = self.events, []
        return events


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    with box.server:
        yield box


@pytest.fixture
async def plaid_client(plaid: PlaidEmulator) -> AsyncIterator[PlaidProvider]:
    provider = plaid.client(sync_page_size=100, retry_backoff=0.01)
    yield provider
    await provider.aclose()


async def fire_plaid_webhook(plaid: PlaidEmulator, access_token: str, code: str = "SYNC_UPDATES_AVAILABLE") -> None:
    async with httpx.AsyncClient(base_url=plaid.base_url) as http:
        response = await http.post("/sandbox/item/fire_webhook", json={
            "client_id": plaid.client_id, "secret": plaid.secret, "access_token": access_token,
            "webhook_type": "TRANSACTIONS", "webhook_code": code,
        })
        assert response.status_code == 200 and response.json()["webhook_fired"]


def enroll_teller(teller: TellerEmulator) -> tuple[str, str]:
    payload = teller.connect(seed="ledger-harness")
    enrollment_id = payload["enrollment"]["id"]
    teller.backend.post_under_new_id(enrollment_id)
    return str(payload["accessToken"]), enrollment_id


async def test_ninety_days_of_changes_ledger_equals_the_emulators_truth(
    plaid: PlaidEmulator, teller: TellerEmulator, clock: Clock, inbox: Inbox, plaid_client: PlaidProvider,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = MemoryLedgerStore()
    plaid_token = plaid.create_access_token(webhook=f"{inbox.server.base_url}/plaid")
    plaid_item = plaid.backend.item_for(plaid_token).item_id
    teller.set_webhook(f"{inbox.server.base_url}/teller")
    teller_token, enrollment_id = enroll_teller(teller)
    seen: set[str] = set()
    rng = random.Random(14)
    totals = Diff()
    async with teller.client(retry=FAST_RETRY, account_cache_ttl=0) as teller_client:
        assert isinstance(teller_client, TellerClient)
        connections = {
            plaid_item: ("plaid-conn", source_for(plaid_client), plaid_token),
            enrollment_id: ("teller-conn", source_for(teller_client), teller_token),
        }
        for _, source, token in connections.values():  # right after exchange: the initial sync
            await run_sync(store, "plaid-conn" if source.name == "plaid" else "teller-conn", source, token,
                           today=clock.today)
        changes = {"plaid": 0, "teller": 0}
        for _ in range(DAYS):
            clock.advance()
            done = plaid.backend.churn(plaid_token, rng)
            changes["plaid"] += sum(done.values())
            await fire_plaid_webhook(plaid, plaid_token)
            changes["teller"] += sum(teller.backend.churn(enrollment_id, rng).values())
            teller.process_transactions(enrollment_id)
            events = inbox.drain()
            assert len(events) == 2
            for event in events:
                key = event.get("item_id") or event.get("payload", {}).get("enrollment_id")
                connection_id, source, token = connections[key]
                await run_sync(store, connection_id, source, token, today=clock.today)
            for diff in (
                compare(store.transactions("plaid-conn"), plaid_truth(plaid.backend, plaid_token)),
                compare(store.transactions("teller-conn"), teller_truth(teller.backend, teller_token, seen)),
            ):
                for name, ids in vars(diff).items():
                    getattr(totals, name).extend(ids)
    with capsys.disabled():
        print(f"\nledger vs emulators over {DAYS} days ({changes['plaid']} Plaid and {changes['teller']} Teller "
              f"changes, bank posting under new ids): {totals.line()}, amounts exact")
    assert totals.clean, totals
    assert len(store.transactions("plaid-conn")) > 100 and len(store.transactions("teller-conn")) > 1000
    removed = [e for e in store.all_entries("teller-conn").values() if e.removed]
    assert any(e.replaced_by for e in removed), "no pending row was paired with its posted copy"


async def test_plaid_restart_after_mutation_during_pagination_is_exact(
    plaid: PlaidEmulator, plaid_client: PlaidProvider
) -> None:
    token = plaid.create_access_token(transaction_count=450)
    store = MemoryLedgerStore()
    mutated: list[int] = []

    def mutate_once(pages: int, rows: int) -> None:
        if pages == 2 and not mutated:  # the bank changes between page 2 and 3 of the first run
            mutated.append(1)
            plaid.backend.add_transaction(token, "7.77", "LATE ARRIVAL", pending=True)

    outcome = await run_sync(store, "c", source_for(plaid_client), token, progress=mutate_once)
    assert mutated and outcome.added == 451
    assert compare(store.transactions("c"), plaid_truth(plaid.backend, token)).clean


@pytest.mark.parametrize("code", ["INTERNAL_SERVER_ERROR", "RATE_LIMIT", "INSTITUTION_DOWN"])
async def test_plaid_fault_on_page_k_serves_nothing_partial_then_converges(plaid: PlaidEmulator, code: str) -> None:
    token = plaid.create_access_token(transaction_count=450)
    store = MemoryLedgerStore()
    provider = plaid.client(sync_page_size=100, max_retries=0)
    try:
        await run_sync(store, "c", source_for(provider), token)  # day one, complete
        for _ in range(5):
            plaid.backend.churn(token, random.Random(3))
        for _ in range(300):
            plaid.backend.add_transaction(token, "1.00", "BULK")
        cursor_before, before = await store.cursor("c"), store.transactions("c")
        plaid.backend.inject_fault(code, endpoint="/transactions/sync", skip=2)  # page 3 of 4 fails
        with pytest.raises(BankingProviderError):
            await run_sync(store, "c", source_for(provider), token)
        assert store.transactions("c") == before and await store.cursor("c") == cursor_before
        await run_sync(store, "c", source_for(provider), token)
        assert compare(store.transactions("c"), plaid_truth(plaid.backend, token)).clean
    finally:
        await provider.aclose()


async def test_plaid_fault_on_page_k_with_retries_ends_exact(plaid: PlaidEmulator, plaid_client: PlaidProvider) -> None:
    token = plaid.create_access_token(transaction_count=450)
    store = MemoryLedgerStore()
    plaid.backend.inject_fault("INTERNAL_SERVER_ERROR", endpoint="/transactions/sync", skip=2)
    await run_sync(store, "c", source_for(plaid_client), token)
    assert compare(store.transactions("c"), plaid_truth(plaid.backend, token)).clean


@pytest.mark.parametrize("fault", ["429", "500", "drop"])
async def test_teller_fault_mid_sync_serves_nothing_partial_then_converges(
    teller: TellerEmulator, clock: Clock, fault: str
) -> None:
    token, enrollment_id = enroll_teller(teller)
    store = MemoryLedgerStore()
    seen: set[str] = set()
    async with teller.client(retry=NO_RETRY, account_cache_ttl=0) as client:
        source = source_for(client)
        await run_sync(store, "c", source, token, today=clock.today)
        clock.advance(3)
        teller.backend.churn(enrollment_id, random.Random(5))
        cursor_before, before = await store.cursor("c"), store.transactions("c")
        account = teller.backend.accounts(token)[2]
        path = f"/accounts/{account.id}/transactions"
        if fault == "drop":
            teller.faults.drop_next(path=path)
        else:
            teller.faults.fail_next(int(fault), path=path)
        with pytest.raises(BankingProviderError):
            await run_sync(store, "c", source, token, today=clock.today)
        assert store.transactions("c") == before and await store.cursor("c") == cursor_before
        await run_sync(store, "c", source, token, today=clock.today)
    assert compare(store.transactions("c"), teller_truth(teller.backend, token, seen)).clean


async def test_teller_missed_days_are_caught_up_by_the_overlap_window(teller: TellerEmulator, clock: Clock) -> None:
    token, enrollment_id = enroll_teller(teller)
    store = MemoryLedgerStore()
    seen: set[str] = set()
    async with teller.client(retry=FAST_RETRY, account_cache_ttl=0) as client:
        source = source_for(client)
        await run_sync(store, "c", source, token, today=clock.today, settings=SyncSettings(overlap_days=10))
        rng = random.Random(8)
        for _ in range(9):  # nine days without a sync (webhooks lost)
            clock.advance()
            teller.backend.churn(enrollment_id, rng)
        outcome = await run_sync(store, "c", source, token, today=clock.today, settings=SyncSettings(overlap_days=10))
    assert outcome.added > 0 and outcome.removed > 0
    assert compare(store.transactions("c"), teller_truth(teller.backend, token, seen)).clean
    assert dt.date.fromisoformat(str(outcome.cursor).split(":")[1]) == clock.today
