"""`LedgerQueries`: the transactions query (filters, sort, page, totals) answered from the ledger in SQL, with
exactly the in-memory query layer's semantics (`fin_infra.banking.query.filters` / ``sorting`` / ``paging``).

Exactness comes from keys stored with each row (`query_keys`): the casefolded merchant text, the absolute
amount as fixed-width digits, the category levels between separators; text is compared byte-wise (SQLite's
default, ``COLLATE "C"`` columns on PostgreSQL), which is Python's code-point order for UTF-8. Ties are broken by
transaction id, then connection id; ``desc`` is the exact reverse of ``asc``.

    >>> queries = LedgerQueries(store)  # doctest: +SKIP
    >>> q = TransactionQuery.build("2026-01-01", "2026-01-31", page_size=20)
    >>> page = await queries.page(["conn_1"], q)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select, text

from fin_infra.banking.query.paging import TransactionPage, page_bounds
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.banking.sync.query_keys import SEP, size_key
from fin_infra.banking.sync.sql import SQLLedgerStore, entry_from_row
from fin_infra.models import Transaction
from fin_infra.storage.ledger_tables import ledger_transactions as T


class LedgerQueries:
    """Transaction queries over the ledger of one or more connections (merged as one list)."""

    def __init__(self, store: SQLLedgerStore) -> None:
        self.store = store
        self._pg = store.database.dialect_name == "postgresql"

    def _text(self, column: Any) -> Any:
        return column  # the key columns compare byte-wise already (COLLATE "C" on PostgreSQL: ledger_tables)

    def _contains(self, column: Any, needle: str) -> ColumnElement[bool]:
        position = func.strpos(column, literal(needle)) if self._pg else func.instr(column, literal(needle))
        return position > 0

    def where(self, connection_ids: Sequence[str], q: TransactionQuery) -> list[ColumnElement[bool]]:
        """The SQL form of `filters.matches` (plus: live rows of these connections)."""
        clauses: list[ColumnElement[bool]] = [
            T.c.connection_id.in_(list(connection_ids)), T.c.removed.is_(False), T.c.amount.is_not(None),
            T.c.date >= q.start_date, T.c.date <= q.end_date,
        ]
        if q.account_id is not None:
            clauses.append(T.c.account_id == q.account_id)
        if q.exclude_pending:
            clauses.append(T.c.pending.is_(False))
        if q.min_amount is not None:
            clauses.append(self._text(T.c.size_key) >= size_key(q.min_amount))
        if q.max_amount is not None:
            clauses.append(self._text(T.c.size_key) <= size_key(q.max_amount))
        if q.category is not None:
            clauses.append(self._contains(T.c.category_keys, SEP + q.category + SEP))
        if q.merchant_name is not None:
            clauses.append(self._contains(T.c.merchant_key, q.merchant_name.casefold()))
        return clauses

    def order(self, q: TransactionQuery) -> list[Any]:
        primary = {"date": T.c.date, "amount": self._text(T.c.size_key), "merchant": self._text(T.c.merchant_key)}
        keys = [primary[q.sort_by], self._text(T.c.id), self._text(T.c.connection_id)]
        return [k.desc() for k in keys] if q.sort_order == "desc" else [k.asc() for k in keys]

    async def page(self, connection_ids: Sequence[str], q: TransactionQuery) -> TransactionPage:
        """One page of the query over the connections' live transactions, with the total."""
        rows, total = await self.tagged_page(connection_ids, q)
        return TransactionPage([t for _, t in rows], total=total, page=q.page, page_size=q.page_size)

    async def tagged_page(
        self, connection_ids: Sequence[str], q: TransactionQuery
    ) -> tuple[list[tuple[str, Transaction]], int]:
        """The page as (connection id, transaction) pairs, and the total. Two statements: the count, and the
        page in index order (the sort keys are indexed with the filters' leading columns)."""
        where = and_(*self.where(connection_ids, q))
        async with (await self.store.engine()).connect() as conn:
            if self._pg:
                # A plan for these values, not a generic one: a date range or merchant changes the best plan.
                await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            total = int(await conn.scalar(select(func.count()).select_from(T).where(where)) or 0)
            start, stop = page_bounds(q.page, q.page_size, total)
            rows: list[Any] = []
            if stop > start:
                page = select(T).where(where).order_by(*self.order(q)).offset(start).limit(stop - start)
                rows = list(await conn.execute(page))
        pairs = [(row.connection_id, entry_from_row(row).txn) for row in rows]
        return [(cid, t) for cid, t in pairs if t is not None], total
