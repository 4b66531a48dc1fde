"""`SQLBalanceStore`: balance history in SQLite (aiosqlite) or PostgreSQL (asyncpg), SQLAlchemy 2 async.

One table, primary key (account_id, date) (so the index on (account_id, date) *is* the key and a
day can't be stored twice), plus an index on date for retention. Writes are upserts. Balances are
exact: ``NUMERIC`` on PostgreSQL, the decimal's text on SQLite (SQLite's NUMERIC would store a float).

    >>> store = SQLBalanceStore("sqlite:////tmp/history.db")          # doctest: +SKIP
    >>> await store.upsert_many([...]); await store.aclose()          # doctest: +SKIP

Needs the ``sqlite`` or ``postgres`` extra (``pip install 'fin-infra[postgres]'``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Dialect,
    Index,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    bindparam,
    delete,
    event,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import TypeDecorator, TypeEngine

from fin_infra.banking.history.stores.base import dedupe
from fin_infra.models import BalanceSnapshot

DEFAULT_TABLE = "balance_history"
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_CHUNK = 5_000  # rows per executemany call (keeps one statement's parameter list bounded)


class ExactDecimal(TypeDecorator[Decimal]):
    """``NUMERIC`` where the database has an exact decimal type; the decimal's text on SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(str(value))


def normalize_url(url: str | URL) -> URL:
    """The async-driver URL for ``url``: ``sqlite:///f.db`` -> ``sqlite+aiosqlite:///f.db``,
    ``postgresql://`` / ``postgres://`` -> ``postgresql+asyncpg://``. Raises `ValueError` otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            "not a database URL: use sqlite:///path/to/file.db, postgresql://user@host/dbname or memory://"
        ) from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported balance history database {parsed.drivername!r}: use sqlite:///path/to/file.db, "
            "postgresql://user@host/dbname or memory://"
        )
    parsed = parsed.set(drivername=driver)
    if driver.startswith("sqlite"):
        if parsed.database in (None, "", ":memory:"):
            raise ValueError(
                "an in-memory SQLite database would not persist: use memory:// or sqlite:///path/to/file.db"
            )
        parent = Path(parsed.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise ValueError(f"the directory of the SQLite file does not exist: {parent}")
    return parsed


def build_table(name: str = DEFAULT_TABLE, metadata: MetaData | None = None) -> Table:
    """The snapshot table called ``name`` (its key is the index on (account_id, date))."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"table name must be a plain SQL identifier (letters, digits, _), got {name[:70]!r}")
    return Table(
        name,
        metadata if metadata is not None else MetaData(),
        Column("account_id", String(256), nullable=False),
        Column("date", Date, nullable=False),
        Column("balance", ExactDecimal(), nullable=False),
        Column("currency", String(16), nullable=False),
        PrimaryKeyConstraint("account_id", "date", name=f"pk_{name}"),
        Index(f"ix_{name}_date", "date"),
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while another process writes; the busy timeout (connect_args) makes
    # concurrent writers wait for the lock instead of failing with "database is locked".
    # WAL is a property of the file, so only the first connection has to switch it; switching
    # needs a moment with no other connection on a fresh file, and SQLite answers "database is
    # locked" at once (no busy wait) when two processes race to do it: try again shortly, and if
    # the file stays busy, carry on in its current mode (writers are still serialised by the lock).
    cursor = dbapi_connection.cursor()
    try:
        for attempt in range(20):  # at most ~2 s, once per new connection to a contended new file
            try:
                cursor.execute("PRAGMA journal_mode")
                row = cursor.fetchone()
                if row and str(row[0]).lower() == "wal":
                    return
                cursor.execute("PRAGMA journal_mode=WAL")
                return
            except Exception as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(0.01 * (attempt + 1))
    finally:
        cursor.close()


class SQLBalanceStore:
    """Balance snapshots in a SQL table, created on first use (or by ``create_schema()`` /
    ``python -m fin_infra.banking.history migrate --url ...``).

    Connections belong to an event loop, and the synchronous module functions run on their own
    loop, so the store keeps one engine (pool) per running loop; `aclose` disposes them all.

        >>> store = SQLBalanceStore("postgresql://postgres@127.0.0.1:5432/app")  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str | URL,
        *,
        table_name: str = DEFAULT_TABLE,
        create_schema: bool = True,
        **engine_options: Any,
    ) -> None:
        self.url = normalize_url(url)
        self.table = build_table(table_name)
        self.dialect_name = "sqlite" if self.url.drivername.startswith("sqlite") else "postgresql"
        self._auto_create = create_schema
        self._schema_ready = False
        self._engine_options = self._default_engine_options() | engine_options
        self._engines: dict[asyncio.AbstractEventLoop, tuple[AsyncEngine, AsyncEngine]] = {}
        self._lock = threading.Lock()
        t = self.table
        self._select = (
            select(t.c.date, t.c.balance, t.c.currency)
            .where(t.c.account_id == bindparam("account_id"), t.c.date.between(bindparam("start"), bindparam("end")))
            .order_by(t.c.date)
        )
        self._upsert = self._upsert_statement()

    # --- engines, one per event loop ------------------------------------------------------------

    def _default_engine_options(self) -> dict[str, Any]:
        if self.dialect_name == "sqlite":
            return {"connect_args": {"timeout": 30}}
        # pre-ping: a pooled connection survives a database restart at the cost of one round trip
        return {"pool_size": 5, "max_overflow": 10, "pool_pre_ping": True, "pool_recycle": 1800}

    def _engines_for_loop(self) -> tuple[AsyncEngine, AsyncEngine]:
        loop = asyncio.get_running_loop()
        with self._lock:
            pair = self._engines.get(loop)
            if pair is None:
                for gone in [lp for lp in self._engines if lp.is_closed()]:
                    del self._engines[gone]  # its connections died with the loop
                engine = create_async_engine(self.url, **self._engine_options)
                if self.dialect_name == "sqlite":
                    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
                # reads need no transaction: autocommit saves the BEGIN/ROLLBACK round trips
                pair = (engine, engine.execution_options(isolation_level="AUTOCOMMIT"))
                self._engines[loop] = pair
            return pair

    async def _writer(self) -> AsyncEngine:
        engine = self._engines_for_loop()[0]
        if not self._schema_ready and self._auto_create:
            await self.create_schema()
        return engine

    async def _reader(self) -> AsyncEngine:
        await self._writer()
        return self._engines_for_loop()[1]

    # --- the store protocol ---------------------------------------------------------------------

    async def create_schema(self) -> None:
        """Create the table and its indexes if missing (idempotent, safe from several processes)."""
        engine = self._engines_for_loop()[0]
        async with engine.begin() as conn:
            if self.dialect_name == "postgresql":
                # two servers starting together would race on CREATE TABLE IF NOT EXISTS
                key = int.from_bytes(hashlib.sha256(self.table.name.encode()).digest()[:8], "big", signed=True)
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            await conn.execute(CreateTable(self.table, if_not_exists=True))
            for index in sorted(self.table.indexes, key=lambda i: str(i.name)):
                await conn.execute(CreateIndex(index, if_not_exists=True))
        self._schema_ready = True

    async def upsert_many(self, snapshots: Sequence[BalanceSnapshot]) -> int:
        """Insert or overwrite snapshots in one transaction (all or nothing)."""
        # a fixed row order keeps concurrent bulk writers from deadlocking on each other's rows
        rows = sorted(dedupe(snapshots), key=lambda s: (s.account_id, s.date))
        if not rows:
            return 0
        params = [
            {"account_id": s.account_id, "date": s.date, "balance": s.balance, "currency": s.currency} for s in rows
        ]
        engine = await self._writer()
        async with engine.begin() as conn:
            for i in range(0, len(params), _CHUNK):
                await conn.execute(self._upsert, params[i : i + _CHUNK])
        return len(rows)

    async def range(self, account_id: str, start: dt.date, end: dt.date) -> list[BalanceSnapshot]:
        """Snapshots of one account in ``[start, end]``, oldest first."""
        engine = await self._reader()
        async with engine.connect() as conn:
            result = await conn.execute(self._select, {"account_id": account_id, "start": start, "end": end})
            # rows come from our own validated writes: skip re-validation (it dominated read time)
            return [
                BalanceSnapshot.model_construct(account_id=account_id, date=day, balance=balance, currency=currency)
                for day, balance, currency in result
            ]

    async def delete_before(self, cutoff: dt.date) -> int:
        """Delete snapshots dated before ``cutoff``; returns the number deleted."""
        engine = await self._writer()
        async with engine.begin() as conn:
            result = await conn.execute(delete(self.table).where(self.table.c.date < cutoff))
            return int(result.rowcount or 0)

    async def aclose(self) -> None:
        """Dispose every loop's pool (each on its own loop). The store reconnects if used again."""
        current = asyncio.get_running_loop()
        with self._lock:
            pairs, self._engines = self._engines, {}
        for loop, (engine, _reader) in pairs.items():
            if loop is current:
                await engine.dispose()
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(engine.dispose(), loop)
                await asyncio.wait_for(asyncio.wrap_future(future), timeout=10)
            # a closed loop's connections are already gone with it

    async def drop_schema(self) -> None:
        """Drop the table (tests and benchmarks use throwaway tables)."""
        engine = self._engines_for_loop()[0]
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync_conn: self.table.drop(sync_conn, checkfirst=True))
        self._schema_ready = False

    # --- helpers --------------------------------------------------------------------------------

    def _upsert_statement(self) -> Any:
        if self.dialect_name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pg_stmt = pg_insert(self.table)
            return pg_stmt.on_conflict_do_update(
                index_elements=["account_id", "date"],
                set_={"balance": pg_stmt.excluded.balance, "currency": pg_stmt.excluded.currency},
            )
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite_stmt = sqlite_insert(self.table)
        return lite_stmt.on_conflict_do_update(
            index_elements=["account_id", "date"],
            set_={"balance": lite_stmt.excluded.balance, "currency": lite_stmt.excluded.currency},
        )

    def __repr__(self) -> str:
        shown = self.url.render_as_string(hide_password=True)
        return f"SQLBalanceStore({shown!r}, table_name={self.table.name!r})"
