"""`TransactionIndex`: one fetched range, prepared so that every query over it is cheap.

Made when a range is fetched (and cached with it); each part is built the first time a query needs it:
the three sort orders, inverted indexes by category and by casefolded merchant text, the absolute
amounts in order (so amount bounds are two binary searches), the set of settled transactions, and each
transaction's JSON, made when first served. A query then intersects a few prepared sets, walks or
sorts by a precomputed rank, and remembers its ordered result, so the next page of the same query is a
slice.

Results are the same as the plain functions in `filters` and `sorting` (the tests check it).

    >>> from fin_infra.models import Transaction
    >>> txns = [Transaction(id=f"t{i}", account_id="a", amount=-i, date="2025-01-02", description=f"shop {i}")
    ...         for i in range(1, 6)]
    >>> index = TransactionIndex(txns, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    >>> q = TransactionQuery.build("2025-01-01", "2025-01-31", min_amount=2, sort_by="amount", page_size=2)
    >>> [index.transactions[i].id for i in index.page(q)[0]], index.page(q)[1]
    (['t5', 't4'], 4)
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from itertools import compress
from typing import Any

from pydantic import BaseModel

from fin_infra._json import dumpb
from fin_infra.banking.query.filters import merchant_text
from fin_infra.banking.query.paging import page_bounds
from fin_infra.banking.query.value import SORT_FIELDS, TransactionQuery
from fin_infra.models import Transaction

_EMPTY: frozenset[int] = frozenset()
_REMEMBERED_SELECTIONS = 16  # ordered results kept per range: the pages of recent queries are slices


_SAMPLE = 16
# Per transaction, besides the model: three orders, ranks, amount list, set memberships, the JSON slot and
# remembered selections (pointers and small ints), measured with tracemalloc on 100,000 transactions.
_INDEX_BYTES_PER_TXN = 400
_BASE_BYTES = 4096


def _deep_size(obj: Any, seen: set[int]) -> int:
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        size += sum(_deep_size(v, seen) for v in obj)
    elif isinstance(obj, BaseModel):
        size += _deep_size(obj.__dict__, seen)
    return size


def estimate_bytes(txns: Sequence[Transaction]) -> int:
    """Bytes ``txns`` take as a prepared range: a sample's measured size (raw payloads included), scaled."""
    n = len(txns)
    if n == 0:
        return _BASE_BYTES
    step = max(1, n // _SAMPLE)
    sample = txns[::step][:_SAMPLE]
    per_txn = sum(_deep_size(t, set()) + 2 * len(t.description) for t in sample) / len(sample)
    return _BASE_BYTES + int(n * (per_txn + _INDEX_BYTES_PER_TXN))


class TransactionIndex:
    """The transactions of one fetch (``start``..``end`` inclusive, one account or all), prepared for queries.

    Transactions outside the range or account asked for are dropped here, whatever the provider sent.
    Each index (a sort order, the category and merchant lookups, the settled set) is built the first
    time a query needs it, so a range served only by date never pays for the others. Immutable once
    built, apart from caches that any thread may fill (two threads building one at once build the same).
    """

    def __init__(
        self,
        transactions: Sequence[Transaction],
        *,
        start: dt.date,
        end: dt.date,
        account_id: str | None = None,
    ) -> None:
        txns = tuple(transactions)
        dates = [t.date for t in txns]
        if account_id is not None or (dates and not (start <= min(dates) and max(dates) <= end)):
            txns = tuple(
                t for t in txns if start <= t.date <= end and (account_id is None or t.account_id == account_id)
            )
            dates = [t.date for t in txns]
        self.transactions: tuple[Transaction, ...] = txns
        self.start, self.end, self.account_id = start, end, account_id
        self._dates = dates
        self._by_id: list[int] | None = None
        self._sizes: list[Decimal] | None = None
        self._merchants: list[str] | None = None
        self._orders: dict[str, list[int]] = {}
        self._sizes_in_order: list[Decimal] | None = None
        self._ranks: dict[str, list[int]] = {}
        self._by_category: dict[str, frozenset[int]] | None = None
        self._by_merchant: dict[str, frozenset[int]] | None = None
        self._settled: frozenset[int] | None = None
        self._json: list[bytes | None] = [None] * len(txns)
        self._selections: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = estimate_bytes(txns)
        """About how much memory this range takes once fully used (models, indexes, served JSON): what
        caches bound. An estimate from a sample of the transactions, so it costs nothing per transaction."""

    def __len__(self) -> int:
        return len(self.transactions)

    # --- prepared on first use -------------------------------------------------------------------

    def _keys(self, sort_by: str) -> list[Any]:
        if sort_by == "date":
            return self._dates
        if sort_by == "amount":
            if self._sizes is None:
                self._sizes = [abs(t.amount) for t in self.transactions]
            return self._sizes
        if self._merchants is None:
            self._merchants = [merchant_text(t).casefold() for t in self.transactions]
        return self._merchants

    def _order(self, sort_by: str) -> list[int]:
        """Positions in the total order (primary key, id, position) of `sorting.sort_transactions`."""
        order = self._orders.get(sort_by)
        if order is None:
            keys = self._keys(sort_by)
            # Python's sort is stable: sorting the id order by the primary key gives the total order
            # without building tuples. The id order is shared by the three sort orders.
            order = sorted(self._id_order(), key=keys.__getitem__)
            self._orders[sort_by] = order
        return order

    def _id_order(self) -> list[int]:
        if self._by_id is None:
            ids = [t.id for t in self.transactions]
            self._by_id = sorted(range(len(ids)), key=ids.__getitem__)
        return self._by_id

    def _amounts_in_order(self) -> list[Decimal]:
        if self._sizes_in_order is None:
            sizes = self._keys("amount")
            self._sizes_in_order = [sizes[i] for i in self._order("amount")]
        return self._sizes_in_order

    def _categories(self) -> dict[str, frozenset[int]]:
        if self._by_category is None:
            # Lists, not per-transaction sets: building 100k small sets costs more than the rest.
            by_category: dict[str, list[int]] = {}
            for i, t in enumerate(self.transactions):
                top = t.category
                if top is not None:
                    by_category.setdefault(top, []).append(i)
                for level in t.category_path:
                    if level != top:
                        by_category.setdefault(level, []).append(i)
            self._by_category = {k: frozenset(v) for k, v in by_category.items()}
        return self._by_category

    def _merchant_texts(self) -> dict[str, frozenset[int]]:
        if self._by_merchant is None:
            by_text: dict[str, list[int]] = {}
            for i, text in enumerate(self._keys("merchant")):
                by_text.setdefault(text, []).append(i)
            self._by_merchant = {text: frozenset(positions) for text, positions in by_text.items()}
        return self._by_merchant

    def _settled_positions(self) -> frozenset[int]:
        if self._settled is None:
            settled = [not t.pending for t in self.transactions]
            self._settled = frozenset(compress(range(len(settled)), settled))
        return self._settled

    def _rank(self, sort_by: str) -> list[int]:
        rank = self._ranks.get(sort_by)
        if rank is None:
            rank = [0] * len(self.transactions)
            for r, i in enumerate(self._order(sort_by)):
                rank[i] = r
            self._ranks[sort_by] = rank
        return rank

    def _merchant_positions(self, needle: str) -> frozenset[int]:
        hits = [positions for text, positions in self._merchant_texts().items() if needle in text]
        if not hits:
            return _EMPTY
        return hits[0] if len(hits) == 1 else frozenset().union(*hits)

    def select(self, q: TransactionQuery) -> list[int]:
        """Positions (into `transactions`) of every match of ``q``, in the query's order.

        The range and account of ``q`` are those of this index (the cache key sees to it).
        """
        if q.sort_by not in SORT_FIELDS:
            raise ValueError(f"unknown sort_by {q.sort_by!r}")
        key = q.selection_key
        with self._lock:
            remembered = self._selections.get(key)
            if remembered is not None:
                self._selections.move_to_end(key)
                return remembered
        result = self._compute(q)
        with self._lock:
            self._selections[key] = result
            while len(self._selections) > _REMEMBERED_SELECTIONS:
                self._selections.popitem(last=False)
        return result

    def _compute(self, q: TransactionQuery) -> list[int]:
        order = self._order(q.sort_by)
        sets: list[frozenset[int]] = []
        if q.category is not None:
            sets.append(self._categories().get(q.category, _EMPTY))
        if q.merchant_name is not None:
            sets.append(self._merchant_positions(q.merchant_name.casefold()))
        if q.exclude_pending:
            sets.append(self._settled_positions())
        lo, hi = 0, len(order)
        if q.min_amount is not None:
            lo = bisect_left(self._amounts_in_order(), q.min_amount)
        if q.max_amount is not None:
            hi = bisect_right(self._amounts_in_order(), q.max_amount)
        bounded = lo > 0 or hi < len(order)
        if bounded and q.sort_by != "amount":
            # The matches of the bounds are a slice of the amount order; as a set they intersect in C.
            sets.append(frozenset(self._order("amount")[lo:hi]) if lo < hi else _EMPTY)
            lo, hi = 0, len(order)
        walk = order[lo:hi] if lo < hi else []
        if not sets:
            result = walk
        else:
            sets.sort(key=len)
            candidates = sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]
            if len(candidates) * 8 < len(walk):
                # Few matches: sorting them by rank beats walking the whole order.
                rank = self._rank(q.sort_by)
                result = sorted((i for i in candidates if lo <= rank[i] < hi), key=rank.__getitem__)
            else:
                result = [i for i in walk if i in candidates]
        if q.sort_order == "desc":
            result.reverse()
        return result

    def page(self, q: TransactionQuery) -> tuple[list[int], int]:
        """(positions on page ``q.page``, total number of matches)."""
        selected = self.select(q)
        start, stop = page_bounds(q.page, q.page_size, len(selected))
        return selected[start:stop], len(selected)

    def json_array_items(self, positions: list[int]) -> bytes:
        """The JSON of the transactions at ``positions``, comma-separated (the inside of a JSON array)."""
        cached = self._json
        texts = [cached[i] for i in positions]
        if None in texts:
            texts = [self.json_of(i) for i in positions]
        return b",".join(texts)  # type: ignore[arg-type]  # no None left

    def json_of(self, position: int) -> bytes:
        """The JSON of one transaction (made once, on first use: only served pages are serialised)."""
        text = self._json[position]
        if text is None:
            text = dumpb(self.transactions[position])
            self._json[position] = text
        return text
