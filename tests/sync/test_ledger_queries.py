"""The SQL query path over the ledger gives exactly the in-memory query layer's answer (filters, sorting,
paging, totals) for the same data and parameters: hypothesis over generated queries, on SQLite and the
real PostgreSQL. Scale with FIN_INFRA_QUERY_EXAMPLES (thousands: FIN_INFRA_QUERY_EXAMPLES=3000)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fin_infra.banking.query.filters import filter_transactions
from fin_infra.banking.query.paging import paginate
from fin_infra.banking.query.sorting import sort_transactions
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.banking.sync import Batch, Commit
from fin_infra.banking.sync.queries import LedgerQueries
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.models import Transaction

EXAMPLES = int(os.environ.get("FIN_INFRA_QUERY_EXAMPLES", "300"))
START = dt.date(2026, 1, 1)
MERCHANTS = ["Starbucks", "STARBUCKS #12", "Straße Café", "STRASSE", "İstanbul Kebab", "ﬁne foods", "50% OFF_SALE",
             "", "a", "Amazon", "amazon mktplace"]
CATEGORIES = [None, "Food & Drink", "Travel", "food & drink", "Shops"]
PATHS = [[], ["Food & Drink", "Coffee"], ["Travel", "Airlines"], ["Shops"], ["Coffee"]]
AMOUNTS = ["-12.50", "12.5", "-0.01", "0", "100", "-100.00", "99.999", "-1234567.89", "7", "-7.000"]


def dataset(seed: int, n: int) -> list[Transaction]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        merchant = rng.choice([*MERCHANTS, None, None])  # type: ignore[list-item]
        out.append(Transaction(
            id=f"t{rng.randint(0, 10**6):07d}{i}", account_id=rng.choice(["acc_a", "acc_b"]),
            amount=Decimal(rng.choice(AMOUNTS)), date=START + dt.timedelta(days=rng.randint(0, 40)),
            description=rng.choice(MERCHANTS), merchant_name=merchant, category=rng.choice(CATEGORIES),
            category_path=rng.choice(PATHS), pending=rng.random() < 0.2,
        ))
    return out


QUERIES = st.builds(
    lambda start, days, account, low, high, merchant, category, pending, sort_by, order, page, size: (
        dict(start_date=START + dt.timedelta(days=start), end_date=START + dt.timedelta(days=start + days),
             account_id=account, min_amount=low, max_amount=high if low is None or high is None or high >= low else low,
             merchant_name=merchant, category=category, exclude_pending=pending, sort_by=sort_by, sort_order=order,
             page=page, page_size=size)
    ),
    st.integers(-5, 40), st.integers(0, 45), st.none() | st.sampled_from(["acc_a", "acc_b", "acc_x"]),
    st.none() | st.sampled_from([Decimal(a).copy_abs() for a in AMOUNTS]),
    st.none() | st.sampled_from([Decimal(a).copy_abs() for a in AMOUNTS]),
    st.none() | st.sampled_from(["star", "STRASSE", "straße", "İ", "i̇", "fi", "%", "_", "mkt", "a", "Café"]),
    st.none() | st.sampled_from(["Food & Drink", "Coffee", "Travel", "food & drink", "Airlines", "Nope"]),
    st.booleans(), st.sampled_from(["date", "amount", "merchant"]), st.sampled_from(["asc", "desc"]),
    st.none() | st.integers(1, 6), st.none() | st.integers(1, 30),
)


def reference(txns: list[Transaction], q: TransactionQuery) -> tuple[list[str], int]:
    chosen = sort_transactions(filter_transactions(q, txns), q.sort_by, q.sort_order)
    return [t.id for t in paginate(chosen, q.page, q.page_size)], len(chosen)


@pytest.fixture
async def loaded(ledger_url: str) -> AsyncIterator[tuple[LedgerQueries, list[Transaction]]]:
    store = SQLLedgerStore(ledger_url)
    txns = dataset(7, 400)
    await store.stage("c", "r", Batch(upserts=txns))
    await store.commit("c", "r", Commit("x"))
    yield LedgerQueries(store), txns
    await store.aclose()


async def test_sql_queries_equal_the_in_memory_query_layer(loaded: tuple[LedgerQueries, list[Transaction]]) -> None:
    queries, txns = loaded
    loop = asyncio.get_running_loop()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(QUERIES)
    def check(params: dict[str, object]) -> None:
        q = TransactionQuery.build(**params)  # type: ignore[arg-type]
        page = asyncio.run_coroutine_threadsafe(queries.page(["c"], q), loop).result()
        assert ([t.id for t in page], page.total) == reference(txns, q), q
        assert all(t == next(x for x in txns if x.id == t.id) for t in page)

    await asyncio.to_thread(check)


async def test_removed_rows_are_never_answered(loaded: tuple[LedgerQueries, list[Transaction]]) -> None:
    queries, txns = loaded
    from fin_infra.banking.sync import Removal

    gone = txns[:50]
    await queries.store.stage("c", "r2", Batch(removals=[Removal(t.id) for t in gone]))
    await queries.store.commit("c", "r2", Commit("y"))
    q = TransactionQuery.build(START - dt.timedelta(days=1), START + dt.timedelta(days=60))
    page = await queries.page(["c"], q)
    assert ([t.id for t in page], page.total) == reference(txns[50:], q)


async def test_a_remembered_total_follows_every_commit_in_every_process(
    loaded: tuple[LedgerQueries, list[Transaction]],
) -> None:
    queries, txns = loaded
    other = LedgerQueries(queries.store)  # another server on the same database: its own remembered totals
    q = TransactionQuery.build(START - dt.timedelta(days=1), START + dt.timedelta(days=60), page=2, page_size=10,
                               merchant_name="star")
    for ask in (queries, other, queries):  # the second ask of `queries` is answered with a remembered total
        page = await ask.page(["c"], q)
        assert ([t.id for t in page], page.total) == reference(txns, q)
    more = [Transaction(id=f"new{i}", account_id="acc_a", amount=Decimal("-3.00"), date=START, description="STAR",
                        merchant_name=None) for i in range(3)]
    await queries.store.stage("c", "r3", Batch(upserts=more))
    await queries.store.commit("c", "r3", Commit("z"))
    for ask in (other, queries):
        page = await ask.page(["c"], q)
        assert ([t.id for t in page], page.total) == reference(txns + more, q)
    assert page.total == reference(txns, q)[1] + 3


@pytest.mark.parametrize("connections", [["c"], ["never-synced"]])
async def test_a_page_on_postgresql_is_planned_for_its_values_without_parallel_workers(
    loaded: tuple[LedgerQueries, list[Transaction]], connections: list[str]
) -> None:
    from sqlalchemy import text

    queries, _ = loaded
    if queries.store.database.dialect_name != "postgresql":
        pytest.skip("PostgreSQL's plan settings")
    q = TransactionQuery.build(START, START + dt.timedelta(days=30), merchant_name="star")
    async with (await queries.store.engine()).connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        await queries._count_key(conn, connections, q)  # the page's first read sets them, for its transaction
        settings = [await conn.scalar(text(f"SHOW {name}")) for name in ("plan_cache_mode",
                                                                           "max_parallel_workers_per_gather")]
    assert settings == ["force_custom_plan", "0"]


async def test_several_connections_are_one_list(ledger_url: str) -> None:
    store = SQLLedgerStore(ledger_url)
    try:
        first, second = dataset(3, 120), dataset(4, 120)
        for cid, txns in (("c1", first), ("c2", second)):
            await store.stage(cid, "r", Batch(upserts=txns))
            await store.commit(cid, "r", Commit("x"))
        everything = first + second
        queries = LedgerQueries(store)
        window = dict(start_date=START, end_date=START + dt.timedelta(days=40), page_size=15)
        for options in ({}, {"merchant_name": "star"}, {"merchant_name": "%"}, {"category": "Coffee"},
                        {"min_amount": Decimal("7"), "sort_by": "amount"}, {"account_id": "acc_b", "page": 2},
                        {"exclude_pending": True, "sort_by": "merchant", "sort_order": "asc", "page": 3}):
            q = TransactionQuery.build(**{**window, **options})  # type: ignore[arg-type]
            page = await queries.page(["c2", "c1", "c2"], q)
            assert ([t.id for t in page], page.total) == reference(everything, q), options
    finally:
        await store.aclose()
