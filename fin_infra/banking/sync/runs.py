"""Sync run records (``fin_infra_sync_runs``) and the per-connection sync state: what the status routes,
the jobs layer and tests read.

    >>> run = SyncRun(id="r1", connection_id="c1", trigger="webhook", started_at=dt.datetime.now(dt.UTC),
    ...               outcome="running")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from fin_infra.storage.database import Database
from fin_infra.storage.ledger_tables import ledger_state, sync_runs


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SyncRun:
    """One run: when, why, how it ended, what it changed, how far it got (``pages`` / ``rows`` read)."""

    id: str
    connection_id: str
    trigger: str
    started_at: dt.datetime
    outcome: str  # running, ok, error, crashed (its process died; the next run found it)
    ended_at: dt.datetime | None = None
    added: int = 0
    modified: int = 0
    removed: int = 0
    pages: int = 0
    rows: int = 0
    error_code: str | None = None


@dataclass(frozen=True)
class SyncState:
    """A connection's sync state: the last completed run's time and the latest run (maybe still running)."""

    connection_id: str
    last_synced_at: dt.datetime | None
    latest: SyncRun | None


class SyncRuns:
    """Reads and writes run records and sync requests in ``database``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def start(self, run_id: str, connection_id: str, trigger: str) -> SyncRun:
        run = SyncRun(run_id, connection_id, trigger[:64], now(), "running")
        async with self.database.engine().begin() as conn:
            await conn.execute(sync_runs.insert().values(
                id=run.id, connection_id=connection_id, trigger=run.trigger, started_at=run.started_at,
                outcome="running",
            ))
        return run

    async def progress(self, run_id: str, pages: int, rows: int) -> None:
        async with self.database.engine().begin() as conn:
            await conn.execute(update(sync_runs).where(sync_runs.c.id == run_id).values(pages=pages, rows=rows))

    async def finish(self, run_id: str, outcome: str, *, error_code: str | None = None, **counts: int) -> None:
        async with self.database.engine().begin() as conn:
            await conn.execute(update(sync_runs).where(sync_runs.c.id == run_id).values(
                outcome=outcome, ended_at=now(), error_code=(error_code or None) and error_code[:128], **counts,
            ))

    async def abandon(self, connection_id: str) -> int:
        """Mark runs still ``running`` as ``crashed`` (call while holding the connection's lock: they are dead)."""
        r = sync_runs
        async with self.database.engine().begin() as conn:
            result = await conn.execute(
                update(r).where(r.c.connection_id == connection_id, r.c.outcome == "running")
                .values(outcome="crashed", ended_at=now())
            )
            return int(result.rowcount or 0)

    async def runs(self, connection_id: str, limit: int = 20) -> list[SyncRun]:
        """The connection's runs, newest first."""
        r = sync_runs
        async with self.database.engine().connect() as conn:
            rows = await conn.execute(
                select(r).where(r.c.connection_id == connection_id).order_by(r.c.started_at.desc(), r.c.id).limit(limit)
            )
            return [SyncRun(**{k: v for k, v in row._mapping.items()}) for row in rows]

    async def state(self, connection_id: str) -> SyncState:
        async with self.database.engine().connect() as conn:
            synced = await conn.scalar(
                select(ledger_state.c.last_synced_at).where(ledger_state.c.connection_id == connection_id)
            )
        latest = await self.runs(connection_id, 1)
        return SyncState(connection_id, synced, latest[0] if latest else None)

    async def last_synced(self, connection_ids: Sequence[str]) -> dict[str, dt.datetime | None]:
        """Each connection's ``last_synced_at`` (None: never synced), in one query."""
        state = ledger_state.c
        found: dict[str, dt.datetime | None] = dict.fromkeys(connection_ids)
        if connection_ids:
            async with self.database.engine().connect() as conn:
                rows = await conn.execute(select(state.connection_id, state.last_synced_at)
                                          .where(state.connection_id.in_(list(set(connection_ids)))))
                found.update((row[0], row[1]) for row in rows)
        return found

    async def request(self, connection_id: str) -> None:
        """Ask for a sync of a connection whose lock another run holds: it runs once more when done."""
        values: dict[str, Any] = {"connection_id": connection_id, "sync_requested_at": now()}
        insert = pg_insert if self.database.dialect_name == "postgresql" else sqlite_insert
        stmt = insert(ledger_state).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["connection_id"], set_={"sync_requested_at": stmt.excluded.sync_requested_at}
        )
        async with self.database.engine().begin() as conn:
            await conn.execute(stmt)

    async def requested_after(self, connection_id: str, moment: dt.datetime) -> bool:
        async with self.database.engine().connect() as conn:
            at = await conn.scalar(
                select(ledger_state.c.sync_requested_at).where(ledger_state.c.connection_id == connection_id)
            )
        return at is not None and at >= moment
