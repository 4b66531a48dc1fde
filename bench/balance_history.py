"""Balance history at scale: 1,000 accounts x 365 days in SQLite and PostgreSQL.

    .venv/bin/python -m bench.balance_history

Prints, per backend, bulk-insert throughput (rows/s, one `atrack_balances`-style upsert of all rows)
and the median time to read one account's year through `aget_balance_history`, next to the same read
done by filtering an in-memory list of every row, measured in the same run. Target: a year's read
under 5 ms on PostgreSQL. PostgreSQL is ``FIN_INFRA_BENCH_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test); a throwaway table is created and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from fin_infra.banking.history import aget_balance_history
from fin_infra.banking.history.stores import BalanceStore, MemoryBalanceStore
from fin_infra.banking.history.stores.sql import SQLBalanceStore
from fin_infra.models import BalanceSnapshot

ACCOUNTS = 1_000
DAYS = 365
READS = 300
LIST_READS = 30
TARGET_MS = 5.0
START = dt.date(2025, 1, 1)
END = START + dt.timedelta(days=DAYS - 1)
POSTGRES_URL = os.environ.get("FIN_INFRA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def make_rows() -> list[BalanceSnapshot]:
    rng = random.Random(7)
    rows = []
    for a in range(ACCOUNTS):
        cents = rng.randint(0, 5_000_000)
        for d in range(DAYS):
            cents += rng.randint(-20_000, 20_000)
            rows.append(
                BalanceSnapshot(
                    account_id=f"acc_{a:05d}", date=START + dt.timedelta(days=d), balance=Decimal(cents) / 100
                )
            )
    return rows


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def list_filter_ms(rows: list[BalanceSnapshot], accounts: list[str]) -> float:
    samples = []
    for account in accounts[:LIST_READS]:
        t0 = time.perf_counter()
        got = sorted((s for s in rows if s.account_id == account and START <= s.date <= END), key=lambda s: s.date)
        samples.append(time.perf_counter() - t0)
        assert len(got) == DAYS
    return median_ms(samples)


async def measure(store: BalanceStore, rows: list[BalanceSnapshot], accounts: list[str]) -> tuple[float, float]:
    """(rows per second inserted, median ms per one-account-year read)."""
    await store.create_schema()
    t0 = time.perf_counter()
    await store.upsert_many(rows)
    rate = len(rows) / (time.perf_counter() - t0)
    for account in accounts[:10]:  # warm the pool and statement caches
        await aget_balance_history(account, START, END, store=store)
    samples = []
    for account in accounts:
        t0 = time.perf_counter()
        got = await aget_balance_history(account, START, END, store=store)
        samples.append(time.perf_counter() - t0)
        assert len(got) == DAYS and got[0].date == START
    return rate, median_ms(samples)


async def main() -> None:
    print(f"building {ACCOUNTS:,} accounts x {DAYS} days = {ACCOUNTS * DAYS:,} snapshots ...", flush=True)
    rows = make_rows()
    accounts = random.Random(1).sample(sorted({r.account_id for r in rows}), READS)
    list_ms = list_filter_ms(rows, accounts)
    memory_rate, memory_ms = await measure(MemoryBalanceStore(), rows, accounts)
    results: list[tuple[str, float, float] | tuple[str, str]] = [("memory store", memory_rate, memory_ms)]

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLBalanceStore(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            results.append(("SQLite (file)", *await measure(sqlite, rows, accounts)))
        finally:
            await sqlite.aclose()

    pg = SQLBalanceStore(POSTGRES_URL, table_name=f"bench_history_{uuid.uuid4().hex[:10]}")
    try:
        results.append(("PostgreSQL", *await measure(pg, rows, accounts)))
    except OSError as exc:
        results.append(("PostgreSQL", f"skipped: not reachable at {POSTGRES_URL} ({exc})"))
    finally:
        with contextlib.suppress(OSError):
            await pg.drop_schema()
        await pg.aclose()

    print(f"\none account's year ({DAYS} rows), median of {READS} reads; bulk insert of {len(rows):,} rows")
    print(f"{'backend':<16}{'insert rows/s':>16}{'read ms':>10}{'vs list filter':>16}")
    print(f"{'in-memory list':<16}{'-':>16}{list_ms:>10.2f}{'1.0x':>16}   (filtering a list of every row)")
    for result in results:
        if len(result) == 2:
            print(f"{result[0]:<16}{result[1]}")
            continue
        name, rate, ms = result
        print(f"{name:<16}{rate:>16,.0f}{ms:>10.2f}{f'{list_ms / ms:.1f}x faster':>16}")
        if name == "PostgreSQL":
            verdict = "PASS" if ms < TARGET_MS else "FAIL"
            print(f"\nPostgreSQL year read {ms:.2f} ms vs target {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
