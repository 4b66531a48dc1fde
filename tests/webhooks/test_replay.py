"""Replay stores: first sighting True, repeats False until the id expires; bounded memory; Redis when available."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from fin_infra.banking.webhooks import MemoryReplayStore, RedisReplayStore, ReplayStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_store_remembers_until_expiry() -> None:
    clock = Clock()
    store = MemoryReplayStore(clock=clock)
    assert isinstance(store, ReplayStore)
    assert await store.add_if_new("plaid:a", ttl=60) is True
    assert await store.add_if_new("plaid:a", ttl=60) is False
    assert await store.add_if_new("plaid:b", ttl=60) is True
    clock.now += 59
    assert await store.add_if_new("plaid:a", ttl=60) is False
    clock.now += 2
    assert len(store) == 0  # both expired and purged
    assert await store.add_if_new("plaid:a", ttl=60) is True


async def test_memory_store_is_bounded() -> None:
    clock = Clock()
    store = MemoryReplayStore(max_entries=100, clock=clock)
    for i in range(250):
        clock.now += 0.001
        assert await store.add_if_new(f"id{i}", ttl=3600)
    assert len(store) == 100
    assert await store.add_if_new("id249", ttl=3600) is False  # the newest are the ones kept


async def test_memory_store_concurrent_first_sighting_is_unique() -> None:
    store = MemoryReplayStore()
    results = await asyncio.gather(*(store.add_if_new("teller:wh_1", ttl=60) for _ in range(50)))
    assert results.count(True) == 1


async def test_redis_store() -> None:
    redis_asyncio = pytest.importorskip("redis.asyncio")
    client = redis_asyncio.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        await client.ping()
    except Exception as exc:  # no server on loopback: say so rather than pass silently
        await client.aclose()
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({type(exc).__name__})")
    prefix = f"fin-infra-test:{uuid.uuid4()}:"
    store = RedisReplayStore(client, prefix=prefix)
    try:
        assert isinstance(store, ReplayStore)
        assert await store.add_if_new("plaid:x", ttl=30) is True
        assert await store.add_if_new("plaid:x", ttl=30) is False
        assert 0 < await client.ttl(prefix + "plaid:x") <= 30
        results = await asyncio.gather(*(store.add_if_new("plaid:y", ttl=30) for _ in range(20)))
        assert results.count(True) == 1
    finally:
        await client.delete(prefix + "plaid:x", prefix + "plaid:y")
        await client.aclose()
