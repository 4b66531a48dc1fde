"""Finicity's transaction paging: ``start`` (1-based) / ``limit`` pages over an epoch-second range, until
``moreAvailable`` is ``"false"``.

    >>> _epoch(dt.date(2026, 1, 1)), _epoch(dt.date(2026, 1, 1), end=True)
    (1767225600, 1767311999)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fin_infra.banking.exceptions import BankingProviderError, InvalidCredentialsError
from fin_infra.providers.banking.finicity import errors, normalize
from fin_infra.providers.banking.finicity.connection import FinicityConnection
from fin_infra.providers.banking.teller.concurrency import gather_all

MAX_PAGES = 10_000


def _epoch(day: dt.date, *, end: bool = False) -> int:
    """The first (or, with ``end``, the last) second of ``day`` in UTC, as epoch seconds."""
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, dt.UTC)
    return int(moment.timestamp())


async def fetch_pages(
    http: FinicityConnection,
    path: str,
    start: dt.date,
    end: dt.date,
    limit: int,
    *,
    not_found: type[BankingProviderError] = InvalidCredentialsError,
) -> list[Mapping[str, Any]]:
    """Every transaction at ``path`` in [start, end]: ``start``/``limit`` pages until ``moreAvailable`` is false.

    The first page says how many there are (``found``); the rest are fetched concurrently, then
    sequentially past that count if Finicity still says more are available (rows added meanwhile).
    Rows are de-duplicated by id (a row that moved between pages counts once).
    """
    base = {"fromDate": _epoch(start), "toDate": _epoch(end, end=True), "limit": limit, "sort": "asc",
            "includePending": "true"}  # fmt: skip

    async def page(first: int) -> tuple[list[Mapping[str, Any]], bool, int]:
        data = normalize.mapping(await http.get_json(path, {**base, "start": first}, not_found=not_found))
        rows, more, found = data.get("transactions"), data.get("moreAvailable"), data.get("found")
        if not isinstance(rows, list) or not all(isinstance(r, Mapping) and r.get("id") is not None for r in rows):
            raise errors.invalid_response("a transaction page of the wrong shape")
        if str(more).lower() not in ("true", "false") or not isinstance(found, int):
            raise errors.invalid_response("a transaction page without moreAvailable / found")
        return rows, str(more).lower() == "true", found

    rows, more, found = await page(1)
    collected: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        collected.setdefault(str(row["id"]), row)
    next_start = 1 + limit
    if more and found > len(rows):
        starts = list(range(next_start, found + 1, limit))
        results = await gather_all([page(s) for s in starts])
        for chunk, _, _ in results:
            for row in chunk:
                collected.setdefault(str(row["id"]), row)
        next_start = starts[-1] + limit if starts else next_start
        more = results[-1][1] if results else more
    pages = 0
    while more:  # more than ``found`` said at first: keep going one page at a time
        pages += 1
        if pages > MAX_PAGES:
            raise errors.invalid_response("transaction pages that never end")
        chunk, more, _ = await page(next_start)
        if not chunk:
            break
        for row in chunk:
            collected.setdefault(str(row["id"]), row)
        next_start += limit
    return [r for r in collected.values() if start <= normalize.transaction_date(r) <= end]
