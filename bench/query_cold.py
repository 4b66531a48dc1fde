"""A cold 100,000-transaction range with a simple date filter: ``python -m bench.query_cold``.

The first request for a range fetches it and prepares it for queries (`TransactionIndex`). The provider
here hands back transactions it already holds as models, so what is timed is ours: the range check,
the date order the query needs, the page and its JSON (the provider's own fetch and parsing are not in
it). Each request uses a new token, so each is cold. Printed, measured in one run (medians):

- ``GET /banking/transactions?start_date=..&end_date=..`` (two years, 100,000 transactions, 50 per
  page, newest first) through the ASGI app: judged, under 100 ms;
- the same range prepared with every index built up front (what was done before indexes were built
  for the fields a query uses), for comparison.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

from fastapi import FastAPI

from bench.request_cost import call
from bench.transactions_query import RANGE, TODAY, WireProvider, make_rows
from fin_infra.banking import add_banking
from fin_infra.banking.query import MemoryTransactionCache, TransactionIndex, TransactionQuery
from fin_infra.models import Transaction
from fin_infra.providers.base import DateLike

TARGET_MS = 100.0
ROUNDS = 7


class HeldProvider(WireProvider):
    """Returns transactions already built as models (a list copy per fetch, like a fresh fetch)."""

    def __init__(self, txns: list[Transaction]) -> None:
        super().__init__([])
        self.txns = txns

    async def get_transactions(
        self, access_token: str, start_date: DateLike = None, end_date: DateLike = None, *, account_id: Any = None
    ) -> list[Transaction]:
        self.fetches += 1
        return list(self.txns)


def eager(index: TransactionIndex) -> None:
    """Build every index, as the index did up front before (for the comparison only)."""
    for sort_by in ("date", "amount", "merchant"):
        index._order(sort_by)
    index._amounts_in_order()
    index._categories()
    index._merchant_texts()
    index._settled_positions()


async def measure() -> tuple[float, float, int]:
    txns = [Transaction.model_validate(r) for r in make_rows()]
    app = FastAPI()
    add_banking(app, provider=HeldProvider(txns), transactions_cache=MemoryTransactionCache(ttl=600))
    query = f"start_date={RANGE['start_date']}&end_date={RANGE['end_date']}&page_size=50"
    q = TransactionQuery.build(RANGE["start_date"], RANGE["end_date"], today=TODAY)
    cold, upfront = [], []
    for i in range(ROUNDS):
        path = "/banking/transactions"
        start = time.perf_counter()
        status, body = await call(app, path, query, token=f"cold-{i}")
        cold.append(time.perf_counter() - start)
        if status != 200 or b'"total":100000' not in body:
            raise SystemExit(f"unexpected answer {status}: {body[:200]!r}")
        start = time.perf_counter()
        index = TransactionIndex(list(txns), start=q.start_date, end=q.end_date)
        eager(index)
        index.page(q)
        upfront.append(time.perf_counter() - start)
    return statistics.median(cold), statistics.median(upfront), len(txns)


def main() -> int:
    cold, upfront, n = asyncio.run(measure())
    passed = cold * 1000 < TARGET_MS
    print(f"{n:,} transactions over two years, first request for the range, median of {ROUNDS}")
    print(
        f"  cold range, date filter only (route)   {cold * 1000:7.1f} ms ({cold / n * 1e6:.2f} us per transaction; "
        f"target < {TARGET_MS:.0f} ms: {'PASS' if passed else 'FAIL'})"
    )
    print(
        f"  every index built up front (before)    {upfront * 1000:7.1f} ms -> the lazy index costs "
        f"{cold / upfront:.2f}x of it"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
