"""`SQLBalanceStore`: balance history in SQLite (aiosqlite) or PostgreSQL (asyncpg), on fin-infra's
storage layer (`fin_infra.storage`).

Key (connection_id, account_id, date): a day can't be stored twice per account and connection
('' when no connection is known), plus an index on date for retention. Writes are upserts. Balances
are exact: ``NUMERIC`` on PostgreSQL, the decimal's text on SQLite.

The default table (``balance_history``) is managed by fin-infra's migrations (``fin-infra db
upgrade``, or on first use); a table of another name (``table_name=``) is created, or upgraded in place
from fin-infra 0.1's shape, on first use.

    >>> store = SQLBalanceStore("sqlite:////tmp/history.db")          # doctest: +SKIP
    >>> await store.upsert_many([...]); await store.aclose()          # doctest: +SKIP

Needs the ``sqlite`` or ``postgres`` extra (``pip install 'fin-infra[postgres]'``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import MetaData, Table, bindparam, delete, inspect, select, text
from sqlalchemy.engine import URL

from fin_infra.banking.history.stores.base import dedupe
from fin_infra.models import BalanceSnapshot
from fin_infra.storage import Database
from fin_infra.storage.balance_table import create_or_upgrade
from fin_infra.storage.tables import BALANCE_HISTORY, balance_history_table
from fin_infra.storage.types import ExactDecimal
from fin_infra.storage.urls import IDENTIFIER, normalize_url

DEFAULT_TABLE = BALANCE_HISTORY
_CHUNK = 5_000  # rows per executemany call (keeps one statement's parameter list bounded)

__all__ = ["DEFAULT_TABLE", "ExactDecimal", "SQLBalanceStore", "build_table", "normalize_url"]


def build_table(name: str = DEFAULT_TABLE, metadata: MetaData | None = None) -> Table:
    """The snapshot table called ``name`` (its key is (connection_id, account_id, date))."""
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(f"table name must be a plain SQL identifier (letters, digits, _), got {name[:70]!r}")
    return balance_history_table(name, metadata)


def _scope(connection_id: str | None) -> str:
    return connection_id or ""


class SQLBalanceStore:
    """Balance snapshots in a SQL table, created on first use (or by ``create_schema()`` /
    ``fin-infra db upgrade``).

    ``url`` is a database URL or a `fin_infra.storage.Database` shared with other stores.

        >>> store = SQLBalanceStore("postgresql://postgres@127.0.0.1:5432/app")  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str | URL | Database,
        *,
        table_name: str = DEFAULT_TABLE,
        create_schema: bool = True,
        **engine_options: Any,
    ) -> None:
        self.table = build_table(table_name)
        self.database = url if isinstance(url, Database) else Database(url, **engine_options)
        self._owns_database = not isinstance(url, Database)
        self.url = self.database.url
        self.dialect_name = self.database.dialect_name
        self._auto_create = create_schema
        self._schema_ready = False
        t = self.table
        self._select = (
            select(t.c.date, t.c.balance, t.c.currency)
            .where(
                t.c.connection_id == bindparam("connection_id"),
                t.c.account_id == bindparam("account_id"),
                t.c.date.between(bindparam("start"), bindparam("end")),
            )
            .order_by(t.c.date)
        )
        self._upsert = self._upsert_statement()

    async def _engine(self) -> Any:
        if not self._schema_ready and self._auto_create:
            await self.create_schema()
        return self.database.engine()

    # --- the store protocol ---------------------------------------------------------------------

    async def create_schema(self) -> None:
        """Create (or upgrade) the table and its indexes (idempotent, safe from several processes)."""
        if self.table.name == DEFAULT_TABLE:
            await self.database.ensure_schema()
        else:
            async with self.database.schema_lock(), self.database.engine().begin() as conn:
                if self.dialect_name == "postgresql":
                    # two servers starting together would race on CREATE TABLE
                    key = int.from_bytes(hashlib.sha256(self.table.name.encode()).digest()[:8], "big", signed=True)
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
                await conn.run_sync(create_or_upgrade, self.table.name)
        self._schema_ready = True

    async def has_schema(self) -> bool:
        """Whether the table exists (without creating it)."""
        name = self.table.name
        async with self.database.engine().connect() as conn:
            return bool(await conn.run_sync(lambda sync_conn: inspect(sync_conn).has_table(name)))

    async def upsert_many(self, snapshots: Sequence[BalanceSnapshot], *, connection_id: str | None = None) -> int:
        """Insert or overwrite snapshots (of ``connection_id``, when known) in one transaction."""
        # a fixed row order keeps concurrent bulk writers from deadlocking on each other's rows
        rows = sorted(dedupe(snapshots), key=lambda s: (s.account_id, s.date))
        if not rows:
            return 0
        scope = _scope(connection_id)
        params = [
            {
                "connection_id": scope,
                "account_id": s.account_id,
                "date": s.date,
                "balance": s.balance,
                "currency": s.currency,
            }
            for s in rows
        ]
        engine = await self._engine()
        async with engine.begin() as conn:
            for i in range(0, len(params), _CHUNK):
                await conn.execute(self._upsert, params[i : i + _CHUNK])
        return len(rows)

    async def range(
        self, account_id: str, start: dt.date, end: dt.date, *, connection_id: str | None = None
    ) -> list[BalanceSnapshot]:
        """Snapshots of one account (of ``connection_id``, when given) in ``[start, end]``, oldest first."""
        engine = await self._engine()
        # reads need no transaction: autocommit saves the BEGIN/ROLLBACK round trips
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            result = await conn.execute(
                self._select,
                {"connection_id": _scope(connection_id), "account_id": account_id, "start": start, "end": end},
            )
            # rows come from our own validated writes: skip re-validation (it dominated read time)
            return [
                BalanceSnapshot.model_construct(account_id=account_id, date=day, balance=balance, currency=currency)
                for day, balance, currency in result
            ]

    async def delete_before(self, cutoff: dt.date) -> int:
        """Delete snapshots dated before ``cutoff``; returns the number deleted."""
        engine = await self._engine()
        async with engine.begin() as conn:
            result = await conn.execute(delete(self.table).where(self.table.c.date < cutoff))
            return int(result.rowcount or 0)

    async def delete_connection(self, connection_id: str) -> int:
        """Delete every snapshot of ``connection_id`` (a purged connection); returns how many."""
        if not connection_id:
            raise ValueError("connection_id is required")
        engine = await self._engine()
        async with engine.begin() as conn:
            result = await conn.execute(delete(self.table).where(self.table.c.connection_id == connection_id))
            return int(result.rowcount or 0)

    async def aclose(self) -> None:
        """Release connections (a shared `Database` is left to its owner). The store reconnects if used again."""
        if self._owns_database:
            await self.database.aclose()
            self._schema_ready = self._schema_ready and not self.database.is_memory

    async def drop_schema(self) -> None:
        """Drop the table (tests and benchmarks use throwaway tables). For the default table, every
        fin-infra table goes, with the migration version (the next use migrates from scratch)."""
        if self.table.name == DEFAULT_TABLE:
            await self.database.drop_all()
        else:
            async with self.database.schema_lock(), self.database.engine().begin() as conn:
                await conn.run_sync(lambda sync_conn: self.table.drop(sync_conn, checkfirst=True))
        self._schema_ready = False

    # --- helpers --------------------------------------------------------------------------------

    def _upsert_statement(self) -> Any:
        key = ["connection_id", "account_id", "date"]
        if self.dialect_name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pg_stmt = pg_insert(self.table)
            return pg_stmt.on_conflict_do_update(
                index_elements=key,
                set_={"balance": pg_stmt.excluded.balance, "currency": pg_stmt.excluded.currency},
            )
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite_stmt = sqlite_insert(self.table)
        return lite_stmt.on_conflict_do_update(
            index_elements=key,
            set_={"balance": lite_stmt.excluded.balance, "currency": lite_stmt.excluded.currency},
        )

    def __repr__(self) -> str:
        return f"SQLBalanceStore({self.database!r}, table_name={self.table.name!r})"
