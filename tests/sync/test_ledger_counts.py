"""The ledger's count summary stays exact through every kind of change a sync commits (added, modified in
amount, date, category or pending, removed, posted over its pending row, a removed id sent again), equals a
recount from the rows after each commit, and the totals it serves equal the in-memory query layer's.
Migration 0006 counts ledgers synced before it. SQLite and the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from fin_infra.banking.query.filters import filter_transactions
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.banking.sync import Batch, Commit, Removal
from fin_infra.banking.sync.queries import LedgerQueries
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.models import Transaction
from fin_infra.storage import Database
from fin_infra.storage.ledger_counts import BOUNDS, band, bands_within
from fin_infra.storage.ledger_tables import ledger_counts, ledger_merchants
from fin_infra.storage.migrate import current_revision, head_revision
from fin_infra.storage.tables import VERSION_TABLE

START = dt.date(2026, 1, 1)
AMOUNTS = ["-0.009", "0.01", "-1.99", "2", "-25.00", "49.999", "-50", "500", "-500.01", "999.99", "-123456.78", "0"]
CATEGORIES = [(None, []), ("Food", ["Food", "Coffee"]), ("Travel", ["Travel"]), ("Shops", []), (None, ["Coffee"])]


def _txn(rng: random.Random, tid: str, **changes: object) -> Transaction:
    category, path = rng.choice(CATEGORIES)
    fields: dict[str, object] = dict(
        id=tid, account_id=rng.choice(["acc_a", "acc_b"]), amount=Decimal(rng.choice(AMOUNTS)),
        date=START + dt.timedelta(days=rng.randint(0, 30)), description="shop", category=category,
        merchant_name=rng.choice([None, "Starbucks"]),
        category_path=path, pending=rng.random() < 0.3,
    )
    fields.update(changes)
    return Transaction.model_validate(fields)


async def _merchant_keys(store: SQLLedgerStore) -> set[tuple[str, str]]:
    async with store.database.engine().connect() as conn:
        return {(r[0], r[1]) for r in await conn.execute(select(ledger_merchants))}


@pytest.fixture
async def store(ledger_url: str) -> AsyncIterator[SQLLedgerStore]:
    store = SQLLedgerStore(ledger_url)
    yield store
    await store.aclose()


def _queries() -> list[TransactionQuery]:
    window = dict(start_date=START + dt.timedelta(days=3), end_date=START + dt.timedelta(days=25))
    out = []
    for pending in (False, True):
        for low, high in [(None, None), (Decimal("2"), None), (Decimal("25"), Decimal("500")), (Decimal("1"), None),
                          (None, Decimal("49.999")), (Decimal("0.01"), Decimal("0.01")), (Decimal("600"), None)]:
            out.append(TransactionQuery.build(**window, exclude_pending=pending, min_amount=low, max_amount=high))
        for category in ("Food", "Coffee", "Travel", "Nope"):
            out.append(TransactionQuery.build(**window, exclude_pending=pending, category=category))
        for merchant in ("star", "SHOP", "o", "nope"):
            out.append(TransactionQuery.build(**window, exclude_pending=pending, merchant_name=merchant))
    return out


async def test_the_summary_follows_every_change_and_serves_exact_totals(store: SQLLedgerStore) -> None:
    """``truth`` only checks which ids are live (the fold's rules are tested in test_fold.py); totals are
    checked against the in-memory filter over the ledger's own live rows."""
    rng = random.Random(14)
    truth: dict[str, Transaction] = {}
    removed: set[str] = set()
    for day in range(12):
        upserts: list[Transaction] = []
        removals: list[Removal] = []
        for i in range(25):  # new rows, some pending
            upserts.append(_txn(rng, f"d{day}_{i}"))
        for tid in rng.sample(sorted(truth), min(len(truth), 15)):  # modified: amount, date, category, pending
            upserts.append(_txn(rng, tid, account_id=truth[tid].account_id))
        for tid in rng.sample(sorted(truth), min(len(truth), 5)):
            removals.append(Removal(tid))
        pending = [t for t in truth.values() if t.pending and t.id not in {r.id for r in removals}]
        for old in pending[:3]:  # posted under a new id, naming the pending one
            upserts.append(_txn(rng, f"post_{old.id}", pending=False, pending_transaction_id=old.id,
                                account_id=old.account_id))
        upserts += [_txn(rng, tid) for tid in sorted(removed)[:2]]  # a removed id sent again: never resurrected
        await store.stage("c", f"r{day}", Batch(upserts=upserts, removals=removals))
        await store.commit("c", f"r{day}", Commit(f"cursor{day}"))
        for t in upserts:
            if t.id not in removed:
                truth[t.id] = t
        for tid in [r.id for r in removals] + [t.pending_transaction_id for t in upserts if t.pending_transaction_id]:
            truth.pop(tid, None)
            removed.add(tid)

        kept, keys = await store.counts("c"), await _merchant_keys(store)
        await store.rebuild_summaries("c")
        assert kept == await store.counts("c"), f"day {day}: the summary drifted from its rows"
        assert keys >= await _merchant_keys(store), f"day {day}: a live row's merchant key is missing"
        live = await store.transactions("c")
        assert sorted(t.id for t in live) == sorted(truth)
        assert sum(n for (_, _, facet, _), n in kept.items() if facet == "size") == len(live)
        queries = LedgerQueries(store)
        for q in _queries():
            page = await queries.page(["c"], q)
            assert page.total == len(filter_transactions(q, live)), (day, q)


async def test_migration_0006_counts_a_ledger_synced_before_it(ledger_url: str) -> None:
    store = SQLLedgerStore(ledger_url)
    rng = random.Random(6)
    try:
        txns = [_txn(rng, f"t{i}") for i in range(300)]
        await store.stage("c1", "r", Batch(upserts=txns[:200]))
        await store.commit("c1", "r", Commit("a"))
        await store.stage("c2", "r", Batch(upserts=txns[200:], removals=[Removal("t250")]))
        await store.commit("c2", "r", Commit("b"))
        expected = {c: await store.counts(c) for c in ("c1", "c2")}
        keys = await _merchant_keys(store)
        db = store.database
        async with db.engine().begin() as conn:  # the database as 0005 left it: no summary tables
            await conn.run_sync(lambda sync: ledger_counts.drop(sync))
            await conn.run_sync(lambda sync: ledger_merchants.drop(sync))
            await conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0005'"))
        await db.upgrade()
        assert await current_revision(db) == head_revision()
        assert {c: await store.counts(c) for c in ("c1", "c2")} == expected
        assert await _merchant_keys(store) == keys == {("c1", "shop"), ("c2", "shop"), ("c1", "starbucks"),
                                                      ("c2", "starbucks")}
        assert sum(n for (_, _, f, _), n in expected["c2"].items() if f == "size") == 99
    finally:
        await store.aclose()


def test_bands_split_amount_bounds_into_whole_bands_and_cut_ends() -> None:
    assert band(Decimal("0")) == 0 and band(Decimal("-0.01")) == 1 and band(Decimal("1E+20")) == len(BOUNDS) - 1
    whole, cut = bands_within(Decimal("500"), None)
    assert whole == list(range(band(Decimal("500")), len(BOUNDS))) and cut == []
    whole, cut = bands_within(Decimal("25"), Decimal("500"))
    assert [BOUNDS[i] for i in whole] == [Decimal("50"), Decimal("100"), Decimal("200")]
    assert cut == [(Decimal("25"), Decimal("50")), (Decimal("500"), Decimal("1000"))]
    whole, cut = bands_within(Decimal("3"), Decimal("4"))
    assert whole == [] and cut == [(Decimal("3"), Decimal("5"))]


async def test_an_empty_database_upgrades_with_the_summary() -> None:
    db = Database("memory://")
    try:
        await db.upgrade()
        async with db.engine().connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(ledger_counts)) == 0
    finally:
        await db.aclose()


async def test_a_commit_that_grows_the_ledger_by_a_fifth_leaves_it_analysed(ledger_url: str) -> None:
    if not ledger_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner statistics")
    store = SQLLedgerStore(ledger_url)
    rng = random.Random(9)

    async def reltuples() -> float:
        async with store.database.engine().connect() as conn:
            found = await conn.scalar(text("SELECT reltuples FROM pg_class WHERE oid = "
                                           "to_regclass('fin_infra_ledger_transactions')"))
            return float(found)

    try:
        await store.stage("c", "r1", Batch(upserts=[_txn(rng, f"a{i}") for i in range(1500)]))
        await store.commit("c", "r1", Commit("a"))
        assert await reltuples() == 1500  # analysed at once: the planner knows the rows a first sync wrote
        await store.stage("c", "r2", Batch(upserts=[_txn(rng, f"b{i}") for i in range(1000)]))
        await store.commit("c", "r2", Commit("b"))
        assert await reltuples() == 2500  # grew by two thirds: again (smaller commits are left to autovacuum)
    finally:
        await store.aclose()
