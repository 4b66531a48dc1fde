"""The ledger's count summary: how many live transactions each connection has per day, split two ways, so an
exact ``total`` for the common queries is a sum of a few hundred rows instead of a count of every match.

Each live transaction counts once in the ``size`` facet (its day, pending or not, the band of its absolute
amount) and once per category level in the ``category`` facet (its day, pending or not, the level: the levels
``category=`` matches exactly). Bands are 1-2-5 steps from 0.01 (band 0 is below 0.01; the last has no top).

It is derived data, kept exact in the same database transaction as the rows it counts: each commit adds the
difference between the changed rows' old and new contributions (`deltas`). `recount` counts a connection from
its rows: migration 0006 for ledgers synced before it, `SQLLedgerStore.rebuild_summaries` after a bulk load
outside syncs. `fin_infra.banking.sync.queries.LedgerQueries` sums it for queries filtered only by dates,
pending, and either amounts or a category; anything else (an account, a merchant, a category with amounts)
is counted from the rows.

    >>> band(Decimal("-4.99")), band(Decimal("5")), BOUNDS[band(Decimal("5"))]
    (8, 9, Decimal('5'))
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select

from fin_infra.models import Transaction
from fin_infra.storage.ledger_keys import SEP, size_key
from fin_infra.storage.ledger_tables import ledger_transactions, live_rows

SIZE = "size"
CATEGORY = "category"
BOUNDS: tuple[Decimal, ...] = (
    Decimal(0), *(Decimal(m).scaleb(e) for e in range(-2, 13) for m in (1, 2, 5)),
)
"""The lower bound of each amount band (absolute amounts): band i holds BOUNDS[i] <= |amount| < BOUNDS[i + 1]."""

Key = tuple[dt.date, bool, str, str]  # (date, pending, facet, value)


def band(amount: Decimal) -> int:
    """The band of ``|amount|``."""
    return bisect_right(BOUNDS, abs(amount)) - 1


def bands_within(low: Decimal | None, high: Decimal | None) -> tuple[list[int], list[tuple[Decimal, Decimal | None]]]:
    """For absolute amounts in ``[low, high]`` (either open): the bands wholly inside, and the parts of the
    bands a bound cuts through as ``[from, to)`` ranges (``to`` None: no top) to count from the rows."""
    whole: list[int] = []
    cut: list[tuple[Decimal, Decimal | None]] = []
    for i, bottom in enumerate(BOUNDS):
        top = BOUNDS[i + 1] if i + 1 < len(BOUNDS) else None
        if (high is not None and bottom > high) or (low is not None and top is not None and top <= low):
            continue  # no amount of the band is in range
        if (low is None or low <= bottom) and (high is None or (top is not None and top <= high)):
            whole.append(i)
        else:
            cut.append((max(bottom, low) if low is not None else bottom, top))
    return whole, cut


def band_value(index: int) -> str:
    """How band ``index`` is written in the summary's ``value`` column."""
    return f"{index:02d}"


def contributions(t: Transaction) -> list[Key]:
    """The summary rows one live transaction counts in."""
    pending = bool(t.pending)
    levels = {*t.category_path, *([t.category] if t.category is not None else [])}
    return [(t.date, pending, SIZE, band_value(band(t.amount))),
            *((t.date, pending, CATEGORY, c) for c in levels if c)]  # "" is never asked for (category= is no filter)


def deltas(changes: Iterable[tuple[Transaction | None, Transaction | None]]) -> Counter[Key]:
    """How the summary moves for ``(old, new)`` live versions of changed rows (None: not live then)."""
    out: Counter[Key] = Counter()
    for old, new in changes:
        if old == new:
            continue
        if old is not None:
            out.subtract(contributions(old))
        if new is not None:
            out.update(contributions(new))
    return out


def summary_rows(connection_id: str, counts: Mapping[Key, int]) -> list[dict[str, Any]]:
    """``counts`` as rows of the summary table (zero changes left out)."""
    return [
        {"connection_id": connection_id, "date": date, "pending": pending, "facet": facet, "value": value, "n": n}
        for (date, pending, facet, value), n in counts.items() if n
    ]


def band_of(size_key_column: Any) -> Any:
    """SQL: the band (an integer) of a row from its ``size_key`` (fixed-width text: text order = size order)."""
    return case(
        *((size_key_column < size_key(bound), i - 1) for i, bound in enumerate(BOUNDS) if i), else_=len(BOUNDS) - 1
    )


def recount_queries(connection_id: str) -> tuple[Select[Any], Select[Any]]:
    """The two reads `recount` takes: the connection's live rows counted by (date, pending, band) and by
    (date, pending, category_keys)."""
    t = ledger_transactions.c
    live = (t.connection_id == connection_id, live_rows())
    bands = band_of(t.size_key)
    return (
        select(t.date, t.pending, bands, func.count()).where(*live).group_by(t.date, t.pending, bands),
        select(t.date, t.pending, t.category_keys, func.count())
        .where(*live, t.category_keys != "").group_by(t.date, t.pending, t.category_keys),
    )


def recount(
    by_band: Iterable[tuple[dt.date, bool, int, int]], by_category: Iterable[tuple[dt.date, bool, str | None, int]]
) -> Counter[Key]:
    """A connection's summary from its live rows counted by (date, pending, `band_of`) and by (date, pending,
    category_keys): the results of `recount_queries`."""
    out: Counter[Key] = Counter()
    for date, pending, index, n in by_band:
        out[(date, bool(pending), SIZE, band_value(int(index)))] += n
    for date, pending, categories, n in by_category:
        for level in (categories or "").split(SEP):
            if level:
                out[(date, bool(pending), CATEGORY, level)] += n
    return out
