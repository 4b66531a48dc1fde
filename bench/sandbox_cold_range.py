"""A cold 365-day range on the sandbox: time and memory per request, and the range cache's memory bound.

    .venv/bin/python -m bench.sandbox_cold_range

Cold means a token never seen (a fresh sandbox user): the provider generates the year (a seeded
random generator per day, then ~770 models), and the query layer prepares the range (three orders,
inverted indexes) and caches it. Printed:

- ms per cold request through ``GET /banking/transactions`` (ASGI, median over fresh tokens), next to a
  warm request for the same range (served from the cache): the ratio is what the cache buys;
- bytes a cold request leaves behind (tracemalloc): the cached range (models, indexes) and the
  generator's bounded row cache;
- one token asking for 600 distinct ranges: what the cache holds for it, against what an unbounded
  cache would hold (the sum of the ranges' sizes, about 1 GB). Target: held <= the per-token bound
  (32 MiB), whatever number of ranges it asks for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import statistics
import sys
import time
import tracemalloc

import httpx
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.query import MemoryTransactionCache
from fin_infra.providers.banking.sandbox import SandboxProvider
from fin_infra.providers.banking.sandbox.catalogue import INSTITUTIONS
from fin_infra.providers.banking.sandbox.tokens import access_token_for

RUNS = 15
TODAY = dt.date(2026, 1, 31)
START = TODAY - dt.timedelta(days=364)


async def cold_requests(runs: int, tag: str) -> tuple[list[float], list[float], list[int]]:
    app = FastAPI()
    cache = MemoryTransactionCache(ttl=600)
    add_banking(app, provider=SandboxProvider(today=lambda: TODAY), transactions_cache=cache)
    params = {"start_date": START.isoformat(), "end_date": TODAY.isoformat()}
    times: list[float] = []
    warm: list[float] = []
    kept: list[int] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for i in range(runs):
            token = access_token_for(INSTITUTIONS[i % len(INSTITUTIONS)].id, f"{tag}{i:012x}")
            gc.collect()
            started = time.perf_counter()
            auth = {"Authorization": f"Bearer {token}"}
            response = await client.get("/banking/transactions", params=params, headers=auth)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            started = time.perf_counter()
            await client.get("/banking/transactions", params=params, headers={"Authorization": f"Bearer {token}"})
            warm.append((time.perf_counter() - started) * 1000)
        for i in range(3):  # memory, measured apart (tracemalloc slows everything down)
            token = access_token_for(INSTITUTIONS[0].id, f"{tag}f{i:011x}")
            gc.collect()
            tracemalloc.start()
            await client.get("/banking/transactions", params=params, headers={"Authorization": f"Bearer {token}"})
            gc.collect()
            kept.append(tracemalloc.get_traced_memory()[0])
            tracemalloc.stop()
    return times, warm, kept


async def per_token_bound() -> tuple[int, int, int, int]:
    """One token asking for 600 distinct ranges: what the cache holds for it, against its bound."""
    cache = MemoryTransactionCache(ttl=600, max_bytes_per_token=32 * 1024 * 1024)
    provider = SandboxProvider(today=lambda: TODAY)
    provider.set_transactions_cache(cache)
    token = access_token_for(INSTITUTIONS[0].id, "b0b0b0b0b0b0b0b0")
    from fin_infra.banking.query import TransactionQuery

    unbounded = 0
    for i in range(600):
        q = TransactionQuery.build(START - dt.timedelta(days=i % 300), TODAY - dt.timedelta(days=i // 300))
        unbounded += (await provider.transaction_queries.run(token, q)).index.nbytes
    from fin_infra.banking.query.cache import token_prefix

    held = cache.token_bytes(token_prefix("sandbox", token))
    return held, cache.max_bytes_per_token, len(cache), unbounded


def main() -> int:
    cold, warm, kept = asyncio.run(cold_requests(RUNS, "c01d"))
    cold_ms, warm_ms = statistics.median(cold), statistics.median(warm)
    print(f"cold 365-day range: {cold_ms:7.1f} ms, {statistics.median(kept) / 1e6:.2f} MB kept per request")
    print(f"warm (cached):      {warm_ms:7.1f} ms   ratio {cold_ms / warm_ms:.0f}x")
    held, bound, entries, unbounded = asyncio.run(per_token_bound())
    print(
        f"one token, 600 distinct ranges: {held / 1e6:.1f} MB held in {entries} ranges, bound {bound / 1e6:.1f} MB; "
        f"unbounded it would be {unbounded / 1e6:.0f} MB (ratio {unbounded / max(held, 1):.0f}x)"
    )
    return 0 if held <= bound else 1


if __name__ == "__main__":
    sys.exit(main())
