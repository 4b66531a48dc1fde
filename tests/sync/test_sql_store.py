"""`SQLLedgerStore` on SQLite and the real PostgreSQL behaves exactly as the reference `MemoryLedgerStore`:
same entries, same counts, same cursor after every commit (hypothesis over random runs), and it keeps
accounts and balance snapshots with them."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fin_infra.banking.sync import Batch, Commit, MemoryLedgerStore, Removal
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.models import BankAccount, Transaction
from fin_infra.storage.tables import balance_history

EXAMPLES = int(os.environ.get("FIN_INFRA_HYPOTHESIS_EXAMPLES", "15"))
IDS = st.sampled_from([f"t{i}" for i in range(10)])


@st.composite
def transactions(draw: st.DrawFn) -> Transaction:
    tid = draw(IDS)
    replaces = draw(st.none() | IDS)
    return Transaction(
        id=tid, account_id=draw(st.sampled_from(["a1", "a2"])),
        amount=draw(st.decimals(min_value=-10000, max_value=10000, places=2, allow_nan=False)),
        date=dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 60))),
        description=draw(st.sampled_from(["SQ *CAFE", "Whole Foods", "ünïcode ☕", ""])),
        merchant_name=draw(st.none() | st.just("Cafe")), category=draw(st.none() | st.just("Food")),
        pending=draw(st.booleans()), pending_transaction_id=replaces if replaces != tid else None,
        raw=draw(st.none() | st.just({"amount": "1.10", "nested": {"k": [1, None, 2**70, 0.1]}, "ü": "☕"})),
    )


BATCH = st.builds(lambda u, r: Batch(upserts=u, removals=[Removal(i, "a1") for i in r]),
                  st.lists(transactions(), max_size=4), st.lists(IDS, max_size=2))
RUNS = st.lists(st.lists(BATCH, max_size=4), min_size=1, max_size=4)


@pytest.fixture
async def sql_store(ledger_url: str) -> AsyncIterator[SQLLedgerStore]:
    store = SQLLedgerStore(ledger_url)
    yield store
    await store.aclose()


async def test_sql_store_equals_the_memory_store(sql_store: SQLLedgerStore) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(RUNS)
    def check(runs: list[list[Batch]]) -> None:
        asyncio.run_coroutine_threadsafe(compare_runs(sql_store, runs), loop).result()

    loop = asyncio.get_running_loop()
    await asyncio.to_thread(check)


async def compare_runs(sql: SQLLedgerStore, runs: list[list[Batch]]) -> None:
    memory = MemoryLedgerStore()
    conn = uuid.uuid4().hex
    for n, run in enumerate(runs):
        for batch in run[:-1]:
            await memory.stage(conn, f"r{n}", batch)
            await sql.stage(conn, f"r{n}", batch)
        commit = Commit(f"cursor-{n}", final=run[-1] if run else Batch())
        assert await sql.commit(conn, f"r{n}", commit) == await memory.commit(conn, f"r{n}", commit)
        assert await sql.all_entries(conn) == memory.all_entries(conn)
        assert await sql.transactions(conn) == memory.transactions(conn)
        assert await sql.cursor(conn) == await memory.cursor(conn) == f"cursor-{n}"


async def test_discarded_staging_never_reaches_the_ledger(sql_store: SQLLedgerStore) -> None:
    t = Transaction(id="t", account_id="a", amount="-1.00", date="2026-01-01", description="x")
    await sql_store.stage("c", "dead-run", Batch(upserts=[t]))
    await sql_store.discard("c", "next-run")  # the next run of the connection drops a dead run's staging
    await sql_store.commit("c", "next-run", Commit("c1"))
    assert await sql_store.transactions("c") == [] and await sql_store.cursor("c") == "c1"


async def test_accounts_and_a_balance_snapshot_per_sync(sql_store: SQLLedgerStore) -> None:
    account = BankAccount(id="acc", name="Checking", type="depository", balance="1234.56", currency="USD",
                          raw={"ledger": "1234.56"})
    day = dt.date(2026, 2, 3)
    await sql_store.commit("c", "r1", Commit("x", [account], day))
    await sql_store.commit("c", "r2", Commit("y", [account.model_copy(update={"balance": Decimal("99.01")})], day))
    assert [a.balance for a in await sql_store.accounts("c")] == [Decimal("99.01")]
    async with (await sql_store.engine()).connect() as conn:
        rows = (await conn.execute(select(balance_history))).all()
    assert [(r.connection_id, r.account_id, r.date, r.balance) for r in rows] == [("c", "acc", day, Decimal("99.01"))]
