"""The transactions range cache: bounded by memory per token and in all, expired ranges freed, and a
`forget` that sticks even when a fetch is in flight."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import weakref

from fin_infra.banking.query import MemoryTransactionCache, TransactionIndex, TransactionQueries, TransactionQuery
from fin_infra.banking.query.cache import cache_key, token_prefix
from fin_infra.models import Transaction
from tests.query.fakes import ListProvider, txn

START = dt.date(2025, 1, 1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def index(n: int, *, raw_bytes: int = 0) -> TransactionIndex:
    txns = [
        Transaction(id=f"t{i}", account_id="acc_1", amount="-1.00", date="2025-01-02", description="X",
                    raw={"blob": "x" * raw_bytes} if raw_bytes else None)
        for i in range(n)
    ]  # fmt: skip
    return TransactionIndex(txns, start=START, end=dt.date(2025, 1, 31))


def key(token: str, day: int) -> str:
    return cache_key("list", token, START, START + dt.timedelta(days=day), None)


def test_a_range_knows_about_how_much_memory_it_takes() -> None:
    small, big = index(100), index(100, raw_bytes=10_000)
    assert 100 * 300 < small.nbytes < 100 * 5_000
    assert big.nbytes > small.nbytes + 100 * 10_000  # the provider's raw payload counts
    assert index(0).nbytes > 0


async def test_one_token_cannot_pin_more_than_its_bound_however_many_ranges_it_asks_for() -> None:
    one = index(50, raw_bytes=2_000).nbytes
    cache = MemoryTransactionCache(ttl=60, max_bytes=100 * one, max_bytes_per_token=5 * one + one // 2)
    for day in range(600):
        await cache.set(key("access-greedy", day), index(50, raw_bytes=2_000))
    assert cache.token_bytes(token_prefix("list", "access-greedy")) <= 5 * one + one // 2
    assert len(cache) == 5
    assert await cache.get(key("access-greedy", 599)) is not None  # the most recent are kept
    assert await cache.get(key("access-greedy", 0)) is None
    # another token is not evicted by the greedy one
    await cache.set(key("access-other", 0), index(50, raw_bytes=2_000))
    for day in range(600, 620):
        await cache.set(key("access-greedy", day), index(50, raw_bytes=2_000))
    assert await cache.get(key("access-other", 0)) is not None


async def test_all_tokens_together_stay_under_the_total_bound() -> None:
    one = index(20).nbytes
    cache = MemoryTransactionCache(ttl=60, max_bytes=10 * one, max_bytes_per_token=3 * one)
    for user in range(50):
        for day in range(3):
            await cache.set(key(f"access-u{user}", day), index(20))
    assert cache.nbytes <= 10 * one and len(cache) == 10


async def test_a_range_bigger_than_a_bound_is_served_not_kept() -> None:
    cache = MemoryTransactionCache(ttl=60, max_bytes_per_token=1000)
    await cache.set(key("access-a", 0), index(10))
    assert len(cache) == 0 and cache.nbytes == 0


async def test_expired_ranges_are_freed_at_the_next_call_whatever_it_is_for() -> None:
    clock = Clock()
    cache = MemoryTransactionCache(ttl=30, clock=clock)
    big = index(200)
    watch = weakref.ref(big)
    for day in range(5):
        await cache.set(key("access-a", day), big if day == 0 else index(10))
    del big
    clock.now += 31
    assert await cache.get(key("access-b", 0)) is None  # a call about another token entirely
    gc.collect()
    assert len(cache) == 0 and cache.nbytes == 0 and watch() is None
    assert cache.token_bytes(token_prefix("list", "access-a")) == 0


class GatedProvider(ListProvider):
    """Each fetch waits for the test to release it, then serves the data as it is at that moment."""

    def __init__(self, data: dict[str, list[Transaction]]) -> None:
        super().__init__(data)
        self.gates: list[asyncio.Event] = []

    async def get_transactions(self, *args: object, **kwargs: object) -> list[Transaction]:  # type: ignore[override]
        gate = asyncio.Event()
        self.gates.append(gate)
        snapshot = list(self.data["access-alice"])  # what the provider had when the request reached it
        await gate.wait()
        self.fetches += 1
        return snapshot


JAN = TransactionQuery.build("2025-01-01", "2025-01-31")


async def test_forget_during_a_fetch_is_not_undone_by_that_fetch() -> None:
    provider = GatedProvider({"access-alice": [txn("old", "-1.00", "2025-01-02")]})
    queries = TransactionQueries(provider, MemoryTransactionCache(ttl=60))
    first = asyncio.create_task(queries.page("access-alice", JAN))
    await asyncio.sleep(0.01)
    provider.data["access-alice"] = [txn("new", "-2.00", "2025-01-03")]  # the data changes...
    await queries.forget("access-alice")  # ...and the app is told (e.g. by a webhook)
    joined_after = asyncio.create_task(queries.page("access-alice", JAN))
    await asyncio.sleep(0.01)
    assert len(provider.gates) == 2, "a request after forget() must not join the older fetch"
    for gate in provider.gates:
        gate.set()
    assert [t.id for t in await first] == ["old"]  # the request that started before is answered
    assert [t.id for t in await joined_after] == ["new"]
    assert [t.id for t in await queries.page("access-alice", JAN)] == ["new"]  # the cache holds the new data
    assert provider.fetches == 2


async def test_forget_while_the_only_fetch_is_in_flight_leaves_nothing_cached() -> None:
    provider = GatedProvider({"access-alice": [txn("old", "-1.00", "2025-01-02")]})
    cache = MemoryTransactionCache(ttl=60)
    queries = TransactionQueries(provider, cache)
    first = asyncio.create_task(queries.page("access-alice", JAN))
    await asyncio.sleep(0.01)
    await queries.forget("access-alice")
    provider.gates[0].set()
    await first
    assert len(cache) == 0
    provider.data["access-alice"] = [txn("new", "-2.00", "2025-01-03")]
    follow = asyncio.create_task(queries.page("access-alice", JAN))
    await asyncio.sleep(0.01)
    provider.gates[1].set()
    assert [t.id for t in await follow] == ["new"]
