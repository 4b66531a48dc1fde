"""`ConnectionLock`: at most one sync of a connection at a time, across processes and servers.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) keyed by the connection, held on a
  connection of its own for the run; the server frees it if the process dies.
- SQLite (one file, one machine): an exclusive ``flock`` on a small file next to the database, per
  connection; the kernel frees it if the process dies (SIGKILL included).
- ``memory://`` (one process): an asyncio lock per connection.

Locks never wait: a caller that finds a connection busy asks the running sync for one follow-up instead.

    >>> lock = lock_for(Database("memory://"))
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from sqlalchemy import text

from fin_infra.storage.database import Database


def lock_key(connection_id: str, namespace: str = "") -> int:
    """A signed 64-bit key for the connection (PostgreSQL advisory locks take a bigint).

    ``namespace`` is the schema: advisory locks are shared by the whole database, so two fin-infra
    installations in two schemas of one database must not block each other's syncs."""
    digest = hashlib.sha256(b"fin_infra.sync\x00" + namespace.encode() + b"\x00" + connection_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ConnectionLock(Protocol):
    def hold(self, connection_id: str) -> AbstractAsyncContextManager[bool]:
        """Enter with True when this caller now holds the connection's lock, False when another holds it."""
        ...


class ProcessLock:
    """One process: an asyncio lock per connection (``memory://`` databases)."""

    def __init__(self) -> None:
        self._held: set[str] = set()

    @contextlib.asynccontextmanager
    async def hold(self, connection_id: str) -> AsyncIterator[bool]:
        if connection_id in self._held:
            yield False
            return
        self._held.add(connection_id)
        try:
            yield True
        finally:
            self._held.discard(connection_id)


class FileLock:
    """SQLite: ``flock`` on ``<database>.sync-locks/<hash>.lock``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextlib.asynccontextmanager
    async def hold(self, connection_id: str) -> AsyncIterator[bool]:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{lock_key(connection_id) & 0xFFFFFFFFFFFFFFFF:016x}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class AdvisoryLock:
    """PostgreSQL: a session advisory lock held on a connection of its own."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @contextlib.asynccontextmanager
    async def hold(self, connection_id: str) -> AsyncIterator[bool]:
        key = lock_key(connection_id, self.database.schema or "")
        async with self.database.engine().connect() as conn:
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            await conn.commit()
            try:
                yield got
            finally:
                if got:
                    with contextlib.suppress(Exception):  # a dead session has released it anyway
                        await asyncio.shield(conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key}))
                        await conn.commit()


def lock_for(database: Database) -> ConnectionLock:
    """The lock that fits the database (see the module docstring)."""
    if database.dialect_name == "postgresql":
        return AdvisoryLock(database)
    path = database.url.database
    if database.is_memory or not path:
        return ProcessLock()
    return FileLock(Path(f"{path}.sync-locks"))
