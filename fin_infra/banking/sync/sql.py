"""`SQLLedgerStore`: the ledger in fin-infra's database (``memory://``, SQLite, PostgreSQL; migration 0003).

A commit is one database transaction: the run's staged changes are read back in order (in chunks, never
all at once), folded (`fold.fold`, the same rules as every store) against the rows they touch, written,
and the cursor, accounts and balance snapshots saved with them, and the count summary moved by the same
changes (`fin_infra.storage.ledger_counts`). Staged rows of a run that died are
dropped by the next run of the connection (runs of one connection never overlap: see `lock`).

    >>> store = SQLLedgerStore("sqlite:////srv/app/fin_infra.db")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Row, and_, delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fin_infra.banking.sync.fold import CountTracker, fold, touched_ids
from fin_infra.banking.sync.store import Batch, Commit, Counts, LedgerEntry, Removal
from fin_infra.models import BankAccount, Transaction
from fin_infra.models._trusted import trusted
from fin_infra.storage import ledger_counts as counting
from fin_infra.storage.database import Database
from fin_infra.storage.ledger_keys import category_keys, merchant_key, size_key
from fin_infra.storage.ledger_tables import (
    ledger_accounts,
    ledger_counts,
    ledger_merchants,
    ledger_staged,
    ledger_state,
    ledger_transactions,
    live_rows,
)
from fin_infra.storage.tables import balance_history

CHUNK = 500  # staged batches folded per step of a commit; ids per IN (...) lookup
ANALYZE_AFTER_ROWS = 1000  # a commit adding this many rows, growing the ledger by ANALYZE_GROWTH, re-analyses it
ANALYZE_GROWTH = 0.2
T = ledger_transactions


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _txn_json(t: Transaction) -> dict[str, Any]:
    return {**t.model_dump(mode="json"), "raw": t.raw}


def _json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what only the standard library reads: an integer past 64 bits, NaN
        return json.loads(text)


def entry_from_row(row: Row[Any]) -> LedgerEntry:
    """A ledger row as its entry. The transaction is rebuilt without validation (`trusted`): the row holds what a
    validated `Transaction` had (written by `_row`). A row with a Plaid payload costs 7 us so, 33 us validated."""
    m = row._mapping
    txn = None
    if m["amount"] is not None:
        txn = trusted(Transaction, {
            "id": m["id"], "account_id": m["account_id"], "amount": m["amount"], "date": m["date"],
            "description": m["description"] or "", "merchant_name": m["merchant_name"], "category": m["category"],
            "category_path": _json(m["category_path"] or "[]"), "pending": bool(m["pending"]),
            "pending_transaction_id": m["pending_transaction_id"], "currency": m["currency"] or "USD",
            "raw": _json(m["raw"]) if m["raw"] else None,
        })
    return LedgerEntry(m["id"], m["account_id"], txn, bool(m["removed"]), m["replaced_by"])


def _live(entry: LedgerEntry | None) -> Transaction | None:
    return entry.txn if entry is not None and not entry.removed else None


def _row(connection_id: str, e: LedgerEntry, now: dt.datetime) -> dict[str, Any]:
    t = e.txn
    return {
        "connection_id": connection_id, "id": e.id, "account_id": e.account_id,
        "amount": t.amount if t else None, "date": t.date if t else None,
        "description": t.description if t else None, "merchant_name": t.merchant_name if t else None,
        "category": t.category if t else None,
        "category_path": json.dumps(t.category_path) if t else None, "pending": bool(t and t.pending),
        "pending_transaction_id": t.pending_transaction_id if t else None, "currency": t.currency if t else None,
        "raw": json.dumps(t.raw, separators=(",", ":"), default=str) if t and t.raw is not None else None,
        "removed": e.removed, "replaced_by": e.replaced_by, "updated_at": now,
        "merchant_key": merchant_key(t.description, t.merchant_name) if t else None,
        "size_key": size_key(t.amount) if t else None,
        "category_keys": category_keys(t.category, t.category_path) if t else None,
    }


@dataclass
class _SummaryChange:
    """What a commit does to the ledger's summaries (migration 0006), written once at its end."""

    counts: Counter[counting.Key] = field(default_factory=Counter)
    merchant_keys: set[str] = field(default_factory=set)


class SQLLedgerStore:
    """The `LedgerStore` on a `Database` (or a URL)."""

    def __init__(self, database: Database | str | URL, *, create_schema: bool = True) -> None:
        self.database = database if isinstance(database, Database) else Database(database)
        self._auto_create = create_schema

    async def engine(self) -> AsyncEngine:
        if self._auto_create and not self.database.upgraded:
            await self.database.ensure_schema()
        return self.database.engine()

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self.database.dialect_name == "postgresql" else sqlite_insert)(table)

    async def _upsert(self, conn: AsyncConnection, table: Any, rows: list[dict[str, Any]], keys: Sequence[str]) -> None:
        if not rows:
            return
        stmt = self._insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in rows[0] if c not in keys}
        )
        for i in range(0, len(rows), CHUNK):
            await conn.execute(stmt, rows[i : i + CHUNK])

    # --- reads ---------------------------------------------------------------------------------------------

    async def cursor(self, connection_id: str) -> str | None:
        async with (await self.engine()).connect() as conn:
            value = await conn.scalar(
                select(ledger_state.c.cursor).where(ledger_state.c.connection_id == connection_id)
            )
        return str(value) if value is not None else None

    async def _entries(self, conn: AsyncConnection, connection_id: str, ids: Collection[str]) -> dict[str, LedgerEntry]:
        out: dict[str, LedgerEntry] = {}
        wanted = list(ids)
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            rows = await conn.execute(select(T).where(T.c.connection_id == connection_id, T.c.id.in_(chunk)))
            out.update((r.id, entry_from_row(r)) for r in rows)
        return out

    async def entries(self, connection_id: str, ids: Collection[str]) -> dict[str, LedgerEntry]:
        async with (await self.engine()).connect() as conn:
            return await self._entries(conn, connection_id, ids)

    async def live(
        self, connection_id: str, account_id: str, *, start: dt.date | None = None, end: dt.date | None = None,
        pending_only: bool = False,
    ) -> list[Transaction]:
        where = [T.c.connection_id == connection_id, T.c.account_id == account_id, T.c.removed.is_(False),
                 T.c.amount.is_not(None)]
        if start is not None:
            where.append(T.c.date >= start)
        if end is not None:
            where.append(T.c.date <= end)
        if pending_only:
            where.append(T.c.pending.is_(True))
        async with (await self.engine()).connect() as conn:
            rows = await conn.execute(select(T).where(and_(*where)))
            return [e.txn for e in map(entry_from_row, rows) if e.txn is not None]

    async def transactions(self, connection_id: str) -> list[Transaction]:
        """Live transactions of a connection, newest first."""
        async with (await self.engine()).connect() as conn:
            rows = await conn.execute(
                select(T).where(T.c.connection_id == connection_id, T.c.removed.is_(False), T.c.amount.is_not(None))
                .order_by(T.c.date.desc(), T.c.id.desc())
            )
            return [e.txn for e in map(entry_from_row, rows) if e.txn is not None]

    async def all_entries(self, connection_id: str) -> dict[str, LedgerEntry]:
        async with (await self.engine()).connect() as conn:
            rows = await conn.execute(select(T).where(T.c.connection_id == connection_id))
            return {r.id: entry_from_row(r) for r in rows}

    # --- staging and commit ----------------------------------------------------------------------------------

    async def stage(self, connection_id: str, run_id: str, batch: Batch) -> None:
        if not batch:
            return
        payload = json.dumps(
            {"u": [_txn_json(t) for t in batch.upserts],
             "r": [[r.id, r.account_id, r.replaced_by] for r in batch.removals]},
            separators=(",", ":"), default=str,
        )
        async with (await self.engine()).begin() as conn:
            await conn.execute(
                ledger_staged.insert().values(connection_id=connection_id, run_id=run_id, payload=payload)
            )

    async def discard(self, connection_id: str, run_id: str) -> None:
        # Runs of one connection never overlap, so whatever is staged for it belongs to this or a dead run.
        async with (await self.engine()).begin() as conn:
            await conn.execute(delete(ledger_staged).where(ledger_staged.c.connection_id == connection_id))

    async def _staged(self, conn: AsyncConnection, connection_id: str, run_id: str) -> AsyncIterator[list[Batch]]:
        s = ledger_staged
        after = -1
        while True:
            rows = (await conn.execute(
                select(s.c.seq, s.c.payload).where(s.c.connection_id == connection_id, s.c.run_id == run_id,
                                                   s.c.seq > after).order_by(s.c.seq).limit(20)
            )).all()
            if not rows:
                return
            after = rows[-1].seq
            chunk = []
            for row in rows:
                data = json.loads(row.payload)
                chunk.append(Batch(
                    upserts=[Transaction.model_validate(u) for u in data["u"]],
                    removals=[Removal(r[0], r[1], r[2]) for r in data["r"]],
                ))
            yield chunk

    async def commit(self, connection_id: str, run_id: str, commit: Commit) -> Counts:
        tracker = CountTracker()
        summary = _SummaryChange()
        now = _now()
        async with (await self.engine()).begin() as conn:
            async for chunk in self._staged(conn, connection_id, run_id):
                await self._fold(conn, connection_id, chunk, now, tracker, summary)
            if commit.final:
                await self._fold(conn, connection_id, [commit.final], now, tracker, summary)
            await self._add_counts(conn, counting.summary_rows(connection_id, summary.counts))
            await self._add_merchants(conn, connection_id, summary.merchant_keys)
            await conn.execute(delete(ledger_staged).where(ledger_staged.c.connection_id == connection_id,
                                                           ledger_staged.c.run_id == run_id))
            await self._upsert(conn, ledger_state, [{"connection_id": connection_id, "cursor": commit.cursor,
                                                     "last_synced_at": now}], ["connection_id"])
            await self._save_accounts(conn, connection_id, commit, now)
        counts = tracker.counts()
        if counts.added >= ANALYZE_AFTER_ROWS and self.database.dialect_name == "postgresql":
            await self._analyze_if_grown(counts.added)
        return counts

    async def _analyze_if_grown(self, added: int) -> None:
        """Refresh PostgreSQL's statistics of the ledger when a commit grew it by a fifth or more (a first sync into
        a young table): until autovacuum gets to it (a minute or more), the planner would take the new rows for
        none and plan a connection's first pages badly. One ANALYZE samples at most 30,000 rows, whatever the
        table's size; a commit into a large ledger leaves it to autovacuum."""
        async with (await self.engine()).connect() as conn:
            known = await conn.scalar(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
                                      {"name": T.name})
            if known is not None and float(known) >= 0 and added < ANALYZE_GROWTH * float(known):
                return
            await conn.execute(text(f"ANALYZE {T.name}, {ledger_merchants.name}"))
            await conn.commit()

    async def _fold(
        self, conn: AsyncConnection, connection_id: str, batches: list[Batch], now: dt.datetime,
        tracker: CountTracker, summary: _SummaryChange,
    ) -> None:
        before = await self._entries(conn, connection_id, touched_ids(batches))
        changed, _ = fold(before, batches)
        tracker.step(before, changed)
        rows = [_row(connection_id, e, now) for e in changed.values()]
        await self._upsert(conn, T, rows, ["connection_id", "id"])
        summary.counts.update(counting.deltas((_live(before.get(tid)), _live(e)) for tid, e in changed.items()))
        summary.merchant_keys.update(r["merchant_key"] for r in rows if r["merchant_key"] is not None)

    async def _add_merchants(self, conn: AsyncConnection, connection_id: str, keys: Collection[str]) -> None:
        """Record merchant keys (those already there stay: a key no row has any more only costs a lookup)."""
        rows = [{"connection_id": connection_id, "merchant_key": k} for k in sorted(keys)]
        stmt = self._insert(ledger_merchants).on_conflict_do_nothing()
        for i in range(0, len(rows), CHUNK):
            await conn.execute(stmt, rows[i : i + CHUNK])

    async def _add_counts(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        """Add each row's ``n`` to the summary's (a row not there yet starts from it)."""
        if not rows:
            return
        c = ledger_counts.c
        stmt = self._insert(ledger_counts)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.connection_id, c.facet, c.date, c.value, c.pending], set_={"n": c.n + stmt.excluded.n}
        )
        for i in range(0, len(rows), CHUNK):
            await conn.execute(stmt, rows[i : i + CHUNK])

    async def rebuild_summaries(self, connection_id: str) -> None:
        """Build the connection's count summary (`fin_infra.storage.ledger_counts`) and merchant keys afresh
        from its rows: after rows were written outside a sync (a bulk load), or to check them. Holds no sync
        lock: don't run it during a sync of the connection."""
        async with (await self.engine()).begin() as conn:
            by_band, by_category = counting.recount_queries(connection_id)
            bands, categories = (await conn.execute(by_band)).all(), (await conn.execute(by_category)).all()
            counts = counting.recount(bands, categories)
            keys = (await conn.execute(
                select(T.c.merchant_key).where(T.c.connection_id == connection_id, live_rows()).distinct()
            )).scalars().all()
            for table in (ledger_counts, ledger_merchants):
                await conn.execute(delete(table).where(table.c.connection_id == connection_id))
            await self._add_counts(conn, counting.summary_rows(connection_id, counts))
            await self._add_merchants(conn, connection_id, keys)

    async def counts(self, connection_id: str) -> dict[counting.Key, int]:
        """The connection's count summary as stored (rows with a zero count left out)."""
        c = ledger_counts.c
        async with (await self.engine()).connect() as conn:
            rows = await conn.execute(
                select(c.date, c.pending, c.facet, c.value, c.n).where(c.connection_id == connection_id, c.n != 0)
            )
            return {(r.date, bool(r.pending), r.facet, r.value): int(r.n) for r in rows}

    async def _save_accounts(self, conn: AsyncConnection, connection_id: str, commit: Commit, now: dt.datetime) -> None:
        rows = [
            {"connection_id": connection_id, "id": a.id, "data": a.model_dump_json(),
             "raw": json.dumps(a.raw, default=str) if a.raw is not None else None, "updated_at": now}
            for a in commit.accounts
        ]
        await self._upsert(conn, ledger_accounts, rows, ["connection_id", "id"])
        if commit.snapshot_date is None:
            return
        snapshots = [
            {"connection_id": connection_id, "account_id": a.id, "date": commit.snapshot_date, "balance": a.balance,
             "currency": a.currency}
            for a in commit.accounts if a.balance is not None
        ]
        await self._upsert(conn, balance_history, snapshots, ["connection_id", "account_id", "date"])

    async def accounts(self, connection_id: str) -> list[BankAccount]:
        """The accounts (with the balances of the last sync) of a connection."""
        a = ledger_accounts
        async with (await self.engine()).connect() as conn:
            rows = await conn.execute(select(a).where(a.c.connection_id == connection_id).order_by(a.c.id))
            return [BankAccount.model_validate_json(r.data) for r in rows]

    async def aclose(self) -> None:
        await self.database.aclose()
