"""`Database`: one database fin-infra stores into, with an async engine (pool) per event loop.

``memory://`` is a throwaway SQLite file in a temporary directory, removed by `aclose` (dev and tests:
nothing outlives the process); ``sqlite:///file.db`` the embedded default; ``postgresql://`` production.

    >>> db = Database("sqlite:////tmp/app.db")        # doctest: +SKIP
    >>> await db.upgrade()                            # doctest: +SKIP  (migrations to the newest version)
    >>> async with db.engine().begin() as conn: ...   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from fin_infra.storage.urls import is_memory, normalize_url, shown, split_schema


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while another process writes; the busy timeout (connect_args) makes
    # concurrent writers wait. Switching a fresh file to WAL needs a moment with no other connection,
    # and SQLite answers "database is locked" at once when two processes race: retry briefly, else
    # carry on in the current mode (writers are still serialised by the lock).
    # synchronous=NORMAL in WAL mode: a commit survives the app crashing, and the file is never corrupt;
    # only an OS crash or power loss can take back the last commits (no fsync on every commit).
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        for attempt in range(20):
            try:
                cursor.execute("PRAGMA journal_mode")
                row = cursor.fetchone()
                if not (row and str(row[0]).lower() == "wal"):
                    cursor.execute("PRAGMA journal_mode=WAL")
                break
            except Exception as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(0.01 * (attempt + 1))
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class Database:
    """A database URL and its engines. Connections belong to an event loop (the synchronous module
    functions run on their own loop), so there is one engine per running loop; `aclose` disposes them.

    ``schema`` (PostgreSQL; or ``?schema=`` in the URL) keeps every fin-infra table in that schema.
    """

    def __init__(self, url: str | URL, *, schema: str | None = None, **engine_options: Any) -> None:
        self._tmpdir: str | None = None
        if is_memory(url):
            self._tmpdir = tempfile.mkdtemp(prefix="fin-infra-memory-")
            url = f"sqlite:///{Path(self._tmpdir) / 'fin_infra.db'}"
        parsed, url_schema = split_schema(normalize_url(url))
        self.url = parsed
        self.schema = schema or url_schema
        self.dialect_name = "sqlite" if parsed.drivername.startswith("sqlite") else "postgresql"
        if self.schema and self.dialect_name != "postgresql":
            raise ValueError("schema= is for PostgreSQL; a SQLite file is its own namespace")
        self._engine_options = self._default_engine_options() | engine_options
        self._engines: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}
        self._readers: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}
        self._lock = threading.Lock()
        self.upgraded = False

    @property
    def is_memory(self) -> bool:
        return self._tmpdir is not None

    def _default_engine_options(self) -> dict[str, Any]:
        if self.dialect_name == "sqlite":
            return {"connect_args": {"timeout": 30}}
        options: dict[str, Any] = {"pool_size": 5, "max_overflow": 10, "pool_pre_ping": True, "pool_recycle": 1800}
        if self.schema:
            options["connect_args"] = {"server_settings": {"search_path": self.schema}}
        return options

    def engine(self) -> AsyncEngine:
        """The engine of the running event loop (made on first use)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            engine = self._engines.get(loop)
            if engine is None:
                for gone in [lp for lp in self._engines if lp.is_closed()]:
                    del self._engines[gone]  # its connections died with the loop
                    self._readers.pop(gone, None)
                engine = create_async_engine(self.url, **self._engine_options)
                if self.dialect_name == "sqlite":
                    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
                self._engines[loop] = engine
            return engine

    @asynccontextmanager
    async def schema_lock(self) -> AsyncIterator[None]:
        """Serialise schema changes between processes on a SQLite file (a lock file beside it; SQLite
        takes its own write lock only at the first write, after we've looked at the schema).
        PostgreSQL uses advisory locks inside the transaction instead: this does nothing there."""
        if self.dialect_name != "sqlite":
            yield
            return
        fd = os.open(f"{self.url.database}.fin-infra-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def reader(self) -> AsyncEngine:
        """The running loop's engine in autocommit mode (same pool): single reads skip BEGIN/ROLLBACK."""
        loop = asyncio.get_running_loop()
        reader = self._readers.get(loop)
        if reader is None:
            reader = self.engine().execution_options(isolation_level="AUTOCOMMIT")
            with self._lock:
                self._readers[loop] = reader
        return reader

    async def upgrade(self, revision: str = "head") -> None:
        """Apply fin-infra's migrations up to ``revision`` (idempotent, safe from several processes)."""
        from fin_infra.storage.migrate import upgrade

        async with self.schema_lock():
            await upgrade(self, revision)
        self.upgraded = True

    async def ensure_schema(self) -> None:
        """`upgrade` once per `Database` (stores call it before first use)."""
        if not self.upgraded:
            await self.upgrade()

    async def drop_all(self) -> None:
        """Drop every fin-infra table and the migration version (tests, benchmarks; irreversible)."""
        from fin_infra.storage.tables import VERSION_TABLE, metadata

        async with self.engine().begin() as conn:
            await conn.run_sync(lambda sync_conn: metadata.drop_all(sync_conn, checkfirst=True))
            await conn.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
            if self.dialect_name == "postgresql":
                await conn.execute(text("DROP FUNCTION IF EXISTS fin_infra_audit_append_only() CASCADE"))
        self.upgraded = False

    async def aclose(self) -> None:
        """Dispose every loop's pool (each on its own loop); a memory database is deleted."""
        current = asyncio.get_running_loop()
        with self._lock:
            engines, self._engines = self._engines, {}
            self._readers = {}
        for loop, engine in engines.items():
            if loop is current:
                await engine.dispose()
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(engine.dispose(), loop)
                await asyncio.wait_for(asyncio.wrap_future(future), timeout=10)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            self.upgraded = False

    def __repr__(self) -> str:
        if self.is_memory:
            return "Database('memory://')"
        schema = f", schema={self.schema!r}" if self.schema else ""
        return f"Database({shown(self.url)!r}{schema})"
