"""The fetched-range cache: never shared between tokens, expires, survives its own outages; memory and Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.banking.query import (
    MemoryTransactionCache,
    TransactionIndex,
    TransactionQueries,
    TransactionQuery,
    cache_from_env,
    cache_key,
    make_cache,
)
from fin_infra.banking.query.cache import token_prefix
from tests.query.fakes import ListProvider, txn

REDIS_URL = "redis://127.0.0.1:6379/0"
JAN = TransactionQuery.build("2025-01-01", "2025-01-31")


def two_users() -> ListProvider:
    return ListProvider({
        "access-alice": [txn("a1", "-1.00", "2025-01-02", merchant="Alice's shop")],
        "access-bob": [txn("b1", "-2.00", "2025-01-02", merchant="Bob's shop")],
    })


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_hash_the_token_and_differ_per_token_provider_range_and_account() -> None:
    start, end = dt.date(2025, 1, 1), dt.date(2025, 1, 31)
    key = cache_key("sandbox", "access-alice", start, end, None)
    assert "access-alice" not in key and "alice" not in key
    others = {
        cache_key("sandbox", "access-bob", start, end, None),
        cache_key("plaid", "access-alice", start, end, None),
        cache_key("sandbox", "access-alice", start, end + dt.timedelta(days=1), None),
        cache_key("sandbox", "access-alice", start, end, "acc_1"),
    }
    assert key not in others and len(others) == 4
    assert key.startswith(token_prefix("sandbox", "access-alice"))
    assert key == cache_key("sandbox", "access-alice", start, end, None)  # stable: shared between workers


async def test_two_tokens_never_share_an_entry() -> None:
    provider = two_users()
    cache = MemoryTransactionCache(ttl=60)
    queries = TransactionQueries(provider, cache)
    alice = await queries.page("access-alice", JAN)
    bob = await queries.page("access-bob", JAN)
    again = await queries.page("access-alice", JAN)
    assert [t.id for t in alice] == [t.id for t in again] == ["a1"] and [t.id for t in bob] == ["b1"]
    assert provider.fetches == 2 and len(cache) == 2


async def test_two_tokens_through_the_route() -> None:
    provider = two_users()
    app = FastAPI()
    add_banking(app, provider=provider, cache_ttl=60)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        params = {"start_date": "2025-01-01", "end_date": "2025-01-31"}
        for token, expected in [("access-alice", "a1"), ("access-bob", "b1"), ("access-alice", "a1")]:
            r = await c.get("/banking/transactions", params=params, headers={"Authorization": f"Bearer {token}"})
            assert [t["id"] for t in r.json()["transactions"]] == [expected]
    assert provider.fetches == 2


async def test_entries_expire_and_ttl_zero_turns_caching_off() -> None:
    clock = Clock()
    provider = two_users()
    queries = TransactionQueries(provider, MemoryTransactionCache(ttl=30, clock=clock))
    await queries.page("access-alice", JAN)
    clock.now += 29
    await queries.page("access-alice", JAN)
    assert provider.fetches == 1
    clock.now += 2
    await queries.page("access-alice", JAN)
    assert provider.fetches == 2

    off = TransactionQueries(provider, make_cache(ttl=0))
    await off.page("access-alice", JAN)
    await off.page("access-alice", JAN)
    assert provider.fetches == 4


async def test_least_recently_used_ranges_are_dropped_beyond_max_entries() -> None:
    cache = MemoryTransactionCache(ttl=60, max_entries=2)
    index = TransactionIndex([], start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 1))
    for key in ("k1", "k2", "k3"):
        await cache.set(key, index)
    assert await cache.get("k1") is None and await cache.get("k3") is index and len(cache) == 2


async def test_forget_drops_only_that_tokens_ranges() -> None:
    provider = two_users()
    queries = TransactionQueries(provider, MemoryTransactionCache(ttl=60))
    await queries.page("access-alice", JAN)
    await queries.page("access-bob", JAN)
    await queries.forget("access-alice")
    await queries.page("access-bob", JAN)
    assert provider.fetches == 2
    await queries.page("access-alice", JAN)
    assert provider.fetches == 3


class BrokenCache:
    ttl = 60.0

    async def get(self, key: str) -> TransactionIndex | None:
        raise ConnectionError("cache down")

    async def set(self, key: str, index: TransactionIndex) -> None:
        raise ConnectionError("cache down")

    async def forget(self, prefix: str) -> None:
        raise ConnectionError("cache down")

    async def aclose(self) -> None:
        return None


async def test_a_cache_outage_costs_a_refetch_not_the_request(caplog: pytest.LogCaptureFixture) -> None:
    provider = two_users()
    queries = TransactionQueries(provider, BrokenCache())
    page = await queries.page("access-alice", JAN)
    assert [t.id for t in page] == ["a1"] and provider.fetches == 1
    assert "cache" in caplog.text and "access-alice" not in caplog.text


def test_configuration_from_the_environment() -> None:
    assert isinstance(cache_from_env({}), MemoryTransactionCache)
    assert cache_from_env({}).ttl == 120
    assert cache_from_env({"FIN_INFRA_CACHE_TTL": "5"}).ttl == 5
    assert cache_from_env({"FIN_INFRA_CACHE_URL": "memory://"}).ttl == 120
    with pytest.raises(ProviderConfigurationError, match="FIN_INFRA_CACHE_TTL"):
        cache_from_env({"FIN_INFRA_CACHE_TTL": "soon"})
    for bad in ("-1", "nan", "inf"):
        with pytest.raises(ProviderConfigurationError, match="ttl"):
            cache_from_env({"FIN_INFRA_CACHE_TTL": bad})
    with pytest.raises(ProviderConfigurationError, match="memory://, redis://"):
        make_cache("memcached://127.0.0.1")


# --- Redis ---------------------------------------------------------------------------------------------


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379 ({type(exc).__name__}); scripts/ensure-services.sh "
                    "starts it")
    finally:
        await client.aclose()
    yield REDIS_URL


def odd_amounts() -> ListProvider:
    amounts = ["-5432.10", "0.1", "0.2", "-0.30", "12345678901234567890.123456789", "-0.00", "1E+2", "-7"]
    txns = [txn(f"x{i}", a, "2025-01-02", merchant="Café ☕", category="Food & Drink", path=["Food & Drink", "Coffee"],
                pending=i % 2 == 0) for i, a in enumerate(amounts)]
    return ListProvider({"access-" + secrets.token_hex(8): txns})


async def test_redis_round_trips_every_field_and_decimal_exactly(redis_url: str) -> None:
    provider = odd_amounts()
    token = next(iter(provider.data))
    writer = make_cache(redis_url, ttl=30)
    reader = make_cache(redis_url, ttl=30)  # another worker: nothing decoded locally yet
    try:
        first = await TransactionQueries(provider, writer).page(token, JAN)
        second = await TransactionQueries(provider, reader).page(token, JAN)
        assert provider.fetches == 1  # the second worker read Redis, not the provider
        assert list(second) == list(first)
        assert [str(t.amount) for t in second] == [str(t.amount) for t in first]  # same digits and exponent
        assert {str(t.amount) for t in second} >= {"-5432.10", "12345678901234567890.123456789", "1E+2", "-0.00"}
        assert all(isinstance(t.amount, Decimal) for t in second)
    finally:
        await TransactionQueries(provider, writer).forget(token)
        await writer.aclose()
        await reader.aclose()


async def test_redis_entries_expire_and_forget_works(redis_url: str) -> None:
    provider = odd_amounts()
    token = next(iter(provider.data))
    cache = make_cache(redis_url, ttl=0.2)
    queries = TransactionQueries(provider, cache)
    try:
        await queries.page(token, JAN)
        await queries.page(token, JAN)
        assert provider.fetches == 1
        await asyncio.sleep(0.3)
        await queries.page(token, JAN)  # expired in Redis: the local copy is not served either
        assert provider.fetches == 2
        await queries.forget(token)
        await queries.page(token, JAN)
        assert provider.fetches == 3
    finally:
        await queries.forget(token)
        await cache.aclose()


async def test_redis_two_tokens_never_share_an_entry(redis_url: str) -> None:
    provider = two_users()
    cache = make_cache(redis_url, ttl=30)
    queries = TransactionQueries(provider, cache)
    try:
        assert [t.id for t in await queries.page("access-alice", JAN)] == ["a1"]
        assert [t.id for t in await queries.page("access-bob", JAN)] == ["b1"]
        assert [t.id for t in await queries.page("access-alice", JAN)] == ["a1"]
        assert provider.fetches == 2
    finally:
        await queries.forget("access-alice")
        await queries.forget("access-bob")
        await cache.aclose()


async def test_redis_through_add_banking_and_the_sync_face(redis_url: str) -> None:
    provider = odd_amounts()
    token = next(iter(provider.data))
    app = FastAPI()
    add_banking(app, provider=provider, cache_url=redis_url, cache_ttl=30)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            params = {"start_date": "2025-01-01", "end_date": "2025-01-31", "page_size": "3"}
            r = await c.get("/banking/transactions", params=params, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json()["total"] == 8
        # the synchronous face runs on its own event loop: it gets its own Redis client, same entries
        page = await asyncio.to_thread(
            lambda: provider.transactions(token, "2025-01-01", "2025-01-31", page=2, page_size=3)
        )
        assert page.total == 8 and len(page) == 3 and provider.fetches == 1
    finally:
        await provider.transaction_queries.forget(token)
        await provider.transaction_queries.cache.aclose()



async def test_memory_is_bounded_by_the_transactions_held() -> None:
    def index(n: int) -> TransactionIndex:
        txns = [txn(f"t{i}", "-1.00", "2025-01-02") for i in range(n)]
        return TransactionIndex(txns, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))

    cache = MemoryTransactionCache(ttl=60, max_transactions=10)
    await cache.set("a", index(4))
    await cache.set("b", index(4))
    await cache.set("a", index(4))  # replacing an entry does not count it twice
    assert await cache.get("b") is not None and len(cache) == 2
    await cache.set("c", index(4))  # 12 > 10: the least recently used ("a") goes
    assert await cache.get("a") is None and len(cache) == 2
    await cache.set("huge", index(11))  # bigger than the whole cache: not kept, nothing evicted for it
    assert await cache.get("huge") is None and len(cache) == 2


class GatedProvider(ListProvider):
    """Holds every fetch until released, so requests overlap for sure."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.gate = asyncio.Event()
        self.fail = False

    async def get_transactions(self, *args: object, **kwargs: object) -> list:  # type: ignore[override]
        self.fetches += 1
        await self.gate.wait()
        if self.fail:
            from fin_infra.banking.exceptions import ProviderUnavailableError

            raise ProviderUnavailableError("down", provider=self.name)
        return self.data["access-alice"]


async def test_concurrent_requests_for_one_range_share_one_fetch() -> None:
    provider = GatedProvider({"access-alice": [txn("a1", "-1.00", "2025-01-02")]})
    queries = TransactionQueries(provider, MemoryTransactionCache(ttl=60))
    asks = [TransactionQuery.build("2025-01-01", "2025-01-31", page=p, page_size=1) for p in (1, 2, 3)]
    pages = [asyncio.create_task(queries.page("access-alice", q)) for q in asks]
    await asyncio.sleep(0.01)
    provider.gate.set()
    results = await asyncio.gather(*pages)
    assert provider.fetches == 1 and [len(r) for r in results] == [1, 0, 0]


async def test_a_shared_fetch_that_fails_fails_every_waiter_and_is_not_cached() -> None:
    from fin_infra.banking.exceptions import ProviderUnavailableError

    provider = GatedProvider({"access-alice": [txn("a1", "-1.00", "2025-01-02")]})
    provider.fail = True
    queries = TransactionQueries(provider, MemoryTransactionCache(ttl=60))
    tasks = [asyncio.create_task(queries.page("access-alice", JAN)) for _ in range(3)]
    await asyncio.sleep(0.01)
    provider.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ProviderUnavailableError) for r in results) and provider.fetches == 1
    provider.fail = False
    assert [t.id for t in await queries.page("access-alice", JAN)] == ["a1"] and provider.fetches == 2


async def test_a_cancelled_fetch_lets_the_waiters_fetch_for_themselves() -> None:
    provider = GatedProvider({"access-alice": [txn("a1", "-1.00", "2025-01-02")]})
    queries = TransactionQueries(provider, MemoryTransactionCache(ttl=60))
    leader = asyncio.create_task(queries.page("access-alice", JAN))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(queries.page("access-alice", JAN))
    await asyncio.sleep(0.01)
    leader.cancel()
    await asyncio.sleep(0.01)
    provider.gate.set()
    assert [t.id for t in await waiter] == ["a1"] and provider.fetches == 2
    assert leader.cancelled()


async def test_redis_damaged_entries_are_misses_and_the_local_copy_is_bounded(redis_url: str) -> None:
    import redis.asyncio as aioredis

    from fin_infra.banking.query.redis_cache import RedisTransactionCache

    provider = odd_amounts()
    token = next(iter(provider.data))
    cache = RedisTransactionCache(redis_url, ttl=30, local_transactions=1)  # too small to keep any range here
    queries = TransactionQueries(provider, cache)
    raw = aioredis.Redis.from_url(redis_url)
    try:
        first = await queries.page(token, JAN)
        assert list(await queries.page(token, JAN)) == list(first) and provider.fetches == 1  # decoded from Redis
        key = cache_key(provider.name, token, JAN.start_date, JAN.end_date, None)
        await raw.set(key, b"not a cache entry", px=30_000)
        assert list(await queries.page(token, JAN)) == list(first) and provider.fetches == 2  # a miss: refetched
    finally:
        await queries.forget(token)
        await raw.aclose()
        await cache.aclose()
