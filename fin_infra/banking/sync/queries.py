"""`LedgerQueries`: the transactions query (filters, sort, page, totals) answered from the ledger in SQL, with
exactly the in-memory query layer's semantics (`fin_infra.banking.query.filters` / ``sorting`` / ``paging``).

Exactness comes from keys stored with each row (`fin_infra.storage.ledger_keys`): the casefolded merchant text,
the absolute amount as fixed-width digits, the category levels between separators; text is compared byte-wise (SQLite's
default, ``COLLATE "C"`` columns on PostgreSQL), which is Python's code-point order for UTF-8. Ties are broken by
transaction id, then connection id; ``desc`` is the exact reverse of ``asc``.

Speed (migration 0005, ``python -m bench.ledger_queries``): each sort key has a partial index of the live rows
carrying every filtered column, so

- the page is a deferred join: the page's ``(connection_id, id)`` pairs come from an index-only scan in sort
  order (``OFFSET`` skips index entries, never table rows), then only those rows are read from the table.
  The API is page-numbered (``page=N``, documented), so there is no keyset cursor to seek from; a deep page
  costs one index entry per skipped row. (Index-only while the table's pages are all-visible, as autovacuum
  keeps them; entries of rows a sync just wrote are checked in the table until then.)
- the total is exact (``total`` and ``total_pages`` are documented counts, and the in-memory path's are
  exact): summed from the count summary (`fin_infra.storage.ledger_counts`, migration 0006) when the query is
  filtered only by dates, pending, and amounts or a category, else an index-only count; remembered per
  (connections, their ``last_synced_at``, filters and range). The ledger only changes in a sync's commit,
  which moves ``last_synced_at`` (a purge deletes it), so a remembered total is never served for data it
  wasn't counted on; paging through a result, or asking again before the next sync, doesn't count again. The
  cache is per process and bounded (``count_cache_size``).
- on PostgreSQL a page is read in one ``REPEATABLE READ`` snapshot (the version, the total and the rows agree
  even while a sync commits), planned for its own values (``plan_cache_mode``), without parallel workers.
- ``merchant_name`` is a substring test on the casefolded key, made on the connections' distinct merchant keys
  (``fin_infra_ledger_merchants``, migration 0006; on PostgreSQL an escaped ``LIKE '%...%'`` its trigram index
  answers for needles of 3+ characters, SQLite's ``instr``); the rows of the keys found come from the merchant
  index, index-only. The keys table may hold keys no live row has any more: they match no row.

    >>> queries = LedgerQueries(store)  # doctest: +SKIP
    >>> q = TransactionQuery.build("2026-01-01", "2026-01-31", page_size=20)
    >>> page = await queries.page(["conn_1"], q)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fin_infra.banking.query.paging import TransactionPage, page_bounds
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.banking.sync.sql import SQLLedgerStore, entry_from_row
from fin_infra.models import Transaction
from fin_infra.storage import ledger_counts as counting
from fin_infra.storage.ledger_keys import SEP, size_key
from fin_infra.storage.ledger_tables import ledger_counts, ledger_merchants, ledger_state, live_rows
from fin_infra.storage.ledger_tables import ledger_transactions as T

# For the rest of a page's transaction on PostgreSQL: a plan for these values, not a generic one (a date range or
# a merchant changes the best plan); no parallel workers (a page is a short index scan: workers only add start-up
# and contention). Volatile, so PostgreSQL evaluates it even though no column of it is read.
_PLAN_SETTINGS = select(
    func.set_config("plan_cache_mode", "force_custom_plan", True).label("plan_cache_mode"),
    func.set_config("max_parallel_workers_per_gather", "0", True).label("max_parallel_workers_per_gather"),
).subquery("page_settings")


# Which filters a query has (several connections, account, pending, min, max, category, merchant) and its order:
# queries of one shape share their statements, their values bound at execution.
_Shape = tuple[bool, bool, bool, bool, bool, bool, bool, str, str]


def _shape(ids: list[str], q: TransactionQuery) -> _Shape:
    return (len(ids) > 1, q.account_id is not None, q.exclude_pending, q.min_amount is not None,
            q.max_amount is not None, q.category is not None, q.merchant_name is not None, q.sort_by, q.sort_order)


@dataclass(frozen=True)
class LedgerPage:
    """A page from the ledger: (connection id, transaction) pairs, the total, and each connection's
    ``last_synced_at`` (None: never synced) as of the same read."""

    rows: list[tuple[str, Transaction]]
    total: int
    synced: dict[str, dt.datetime | None]


class LedgerQueries:
    """Transaction queries over the ledger of one or more connections (merged as one list)."""

    def __init__(self, store: SQLLedgerStore, *, count_cache_size: int = 1024) -> None:
        self.store = store
        self._pg = store.database.dialect_name == "postgresql"
        self._counts: OrderedDict[Hashable, int] = OrderedDict()
        self._count_cache_size = count_cache_size
        self._built: dict[_Shape, tuple[Any, Any]] = {}  # at most 2 * 2**6 * 3 * 2 shapes

    def _contains(self, column: Any, needle: Any) -> ColumnElement[bool]:
        return func.strpos(column, needle) > 0 if self._pg else func.instr(column, needle) > 0

    def _where(self, shape: _Shape, values: dict[str, Any] | None = None) -> list[ColumnElement[bool]]:
        """The SQL form of `filters.matches` (plus: live rows of these connections, as the indexes define them)
        for a query of ``shape``, its values as bound parameters: bound to ``values``, or left for the execution
        to give (a statement built once per shape: `_statements`)."""

        def param(name: str) -> Any:
            expanding = name == "connection_ids"
            if values is None:
                return bindparam(name, expanding=expanding)
            return bindparam(name, values[name], expanding=expanding)

        several, account, pending, low, high, category, merchant = shape[:7]
        connection = (T.c.connection_id.in_(param("connection_ids")) if several
                      else T.c.connection_id == param("connection_id"))
        clauses: list[ColumnElement[bool]] = [
            connection, live_rows(), T.c.date >= param("start_date"), T.c.date <= param("end_date"),
        ]
        if account:
            clauses.append(T.c.account_id == param("account_id"))
        if pending:
            clauses.append(T.c.pending.is_(False))
        if low:
            clauses.append(T.c.size_key >= param("min_size"))
        if high:
            clauses.append(T.c.size_key <= param("max_size"))
        if category:
            clauses.append(self._contains(T.c.category_keys, param("category_key")))
        if merchant:
            # The needle is matched against the connections' few distinct merchant keys (migration 0006), then
            # their rows come from the merchant index. PostgreSQL: LIKE on the byte-ordered key ("C" collation:
            # case-sensitive, exact substring; % _ escaped) so the keys' trigram index can serve it; SQLite's LIKE
            # ignores ASCII case, so instr() there.
            m = ledger_merchants.c
            keys_of = m.connection_id.in_(param("connection_ids")) if several else m.connection_id == param(
                "connection_id")
            found = (m.merchant_key.like(param("merchant_pattern"), escape="/") if self._pg
                     else self._contains(m.merchant_key, param("merchant")))
            clauses.append(T.c.merchant_key.in_(select(m.merchant_key).where(keys_of, found)))
        return clauses

    def _values(self, ids: list[str], q: TransactionQuery) -> dict[str, Any]:
        """The bound values of `_where` for ``q`` over the connections ``ids`` (sorted, distinct)."""
        values: dict[str, Any] = {"start_date": q.start_date, "end_date": q.end_date}
        if len(ids) > 1:
            values["connection_ids"] = ids
        else:
            values["connection_id"] = ids[0]
        if q.account_id is not None:
            values["account_id"] = q.account_id
        if q.min_amount is not None:
            values["min_size"] = size_key(q.min_amount)
        if q.max_amount is not None:
            values["max_size"] = size_key(q.max_amount)
        if q.category is not None:
            values["category_key"] = SEP + q.category + SEP
        if q.merchant_name is not None:
            needle = q.merchant_name.casefold()
            if self._pg:
                values["merchant_pattern"] = "%" + needle.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
            else:
                values["merchant"] = needle
        return values

    def _statements(self, shape: _Shape) -> tuple[Any, Any]:
        """(count, page) statements for queries of ``shape``, built once: building and keying them cost more
        than a remembered page's whole query."""
        found = self._built.get(shape)
        if found is None:
            where = and_(*self._where(shape))
            order = self._order(shape[7], shape[8])
            chosen = (select(T.c.connection_id, T.c.id).where(where).order_by(*order)
                      .offset(bindparam("offset")).limit(bindparam("limit")).subquery("chosen"))
            page = (select(T).join(chosen, and_(T.c.connection_id == chosen.c.connection_id, T.c.id == chosen.c.id))
                    .order_by(*order))
            found = self._built[shape] = (select(func.count()).select_from(T).where(where), page)
        return found

    @staticmethod
    def _order(sort_by: str, sort_order: str) -> list[Any]:
        primary = {"date": T.c.date, "amount": T.c.size_key, "merchant": T.c.merchant_key}
        keys = [primary[sort_by], T.c.id, T.c.connection_id]
        return [k.desc() for k in keys] if sort_order == "desc" else [k.asc() for k in keys]

    async def page(self, connection_ids: Sequence[str], q: TransactionQuery) -> TransactionPage:
        """One page of the query over the connections' live transactions, with the total."""
        found = await self.tagged_page(connection_ids, q)
        return TransactionPage([t for _, t in found.rows], total=found.total, page=q.page, page_size=q.page_size)

    async def tagged_page(self, connection_ids: Sequence[str], q: TransactionQuery) -> LedgerPage:
        """The page as (connection id, transaction) pairs, the total (see the module docstring), and each
        connection's ``last_synced_at``, all read in one snapshot on PostgreSQL."""
        if not connection_ids:
            return LedgerPage([], 0, {})
        ids = sorted(set(connection_ids))
        values = self._values(ids, q)
        count, page = self._statements(_shape(ids, q))
        engine = await self.store.engine()
        async with engine.connect() as conn:
            if self._pg:
                conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            key, synced = await self._count_key(conn, ids, q)  # on PostgreSQL: the plan settings too
            total = self._counts.get(key)
            if total is None:
                total = await self._summed(conn, ids, q)
            if total is None:
                total = int(await conn.scalar(count, values) or 0)
            self._remember(key, total)
            start, stop = page_bounds(q.page, q.page_size, total)
            rows: list[Any] = []
            if stop > start:
                rows = list(await conn.execute(page, {**values, "offset": start, "limit": stop - start}))
        pairs = [(row.connection_id, entry_from_row(row).txn) for row in rows]
        return LedgerPage([(cid, t) for cid, t in pairs if t is not None], total, synced)

    async def _count(self, conn: AsyncConnection, where: ColumnElement[bool]) -> int:
        return int(await conn.scalar(select(func.count()).select_from(T).where(where)) or 0)

    async def _summed(self, conn: AsyncConnection, ids: list[str], q: TransactionQuery) -> int | None:
        """The total from the count summary (`fin_infra.storage.ledger_counts`), when the query's filters are ones
        it splits by: dates, pending, and amounts or a category. Bands an amount bound cuts through are counted
        from the rows."""
        if q.account_id is not None or q.merchant_name is not None:
            return None
        amounts = q.min_amount is not None or q.max_amount is not None
        if amounts and q.category is not None:
            return None
        c = ledger_counts.c
        where = [c.connection_id.in_(ids), c.date >= q.start_date, c.date <= q.end_date]
        if q.exclude_pending:
            where.append(c.pending.is_(False))
        if q.category is not None:
            where += [c.facet == counting.CATEGORY, c.value == q.category]
        else:
            where.append(c.facet == counting.SIZE)
        cut: list[tuple[Decimal, Decimal | None]] = []
        if amounts:
            whole, cut = counting.bands_within(q.min_amount, q.max_amount)
            where.append(c.value.in_([counting.band_value(i) for i in whole]))
        total = int(await conn.scalar(select(func.coalesce(func.sum(c.n), 0)).where(*where)) or 0)
        for low, high in cut:
            within = [*self._where(_shape(ids, q), self._values(ids, q)), T.c.size_key >= size_key(low)]
            if high is not None:
                within.append(T.c.size_key < size_key(high))
            total += await self._count(conn, and_(*within))
        return total

    async def _count_key(
        self, conn: AsyncConnection, ids: list[str], q: TransactionQuery
    ) -> tuple[Hashable, dict[str, dt.datetime | None]]:
        """What a total depends on: each connection's ledger version (its ``last_synced_at``), the range and
        the filters (not the sort or the page); and those versions. ``ids``: sorted, distinct."""
        state = ledger_state.c
        read = select(state.connection_id, state.last_synced_at)
        if self._pg:  # the page's plan settings, in the same round trip (a one-row subquery, always evaluated)
            read = read.select_from(_PLAN_SETTINGS.outerjoin(ledger_state, state.connection_id.in_(ids)))
        else:
            read = read.where(state.connection_id.in_(ids))
        versions: dict[str, dt.datetime | None] = dict.fromkeys(ids)
        versions.update((row[0], row[1]) for row in await conn.execute(read) if row[0] is not None)
        key = (
            tuple(versions.items()), q.start_date, q.end_date, q.account_id,
            q.min_amount, q.max_amount, q.merchant_name.casefold() if q.merchant_name is not None else None,
            q.category, q.exclude_pending,
        )
        return key, versions

    def _remember(self, key: Hashable, total: int) -> None:
        with suppress(KeyError):  # another thread's eviction between two steps: nothing to keep in order
            self._counts[key] = total
            self._counts.move_to_end(key)
            while len(self._counts) > self._count_cache_size:
                self._counts.popitem(last=False)
