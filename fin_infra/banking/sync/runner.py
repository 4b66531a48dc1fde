"""`sync_connection`: one stored connection brought up to date in the ledger, with its lock, run record and
health; triggers that arrive while it runs are coalesced into exactly one follow-up run.

    >>> ledger = LedgerSync("sqlite:////srv/app/fin_infra.db", connections=StoredConnections(store))  # doctest: +SKIP
    >>> outcome = await ledger.sync("conn_...", trigger="webhook")  # doctest: +SKIP
    >>> outcome.added, outcome.cursor  # doctest: +SKIP

A run: take the connection's lock (busy: record a request and return None, the running sync will run once
more); record the run; decrypt the token (audited); read the provider (`engine.run_sync`: staged, then one
commit with the cursor); record the outcome, counts and provider error code; set the connection's status
(an error's status, or ``ok`` again after a success); release; run again if a request came meanwhile.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from fin_infra._sync import run_sync as run_blocking
from fin_infra.banking.exceptions import BankingProviderError
from fin_infra.banking.sync.connections import SyncConnections
from fin_infra.banking.sync.engine import SyncOutcome, SyncSettings, run_sync
from fin_infra.banking.sync.locks import ConnectionLock, lock_for
from fin_infra.banking.sync.runs import SyncRuns, now
from fin_infra.banking.sync.source import source_for
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.storage.database import Database

PROGRESS_EVERY = 1.0  # seconds between progress writes of a long run
MAX_FOLLOW_UPS = 5


class LedgerSync:
    """The ledger of one database: its store, run records, per-connection lock and the connections' access."""

    def __init__(
        self, database: Database | str | URL, *, connections: SyncConnections, settings: SyncSettings | None = None,
        lock: ConnectionLock | None = None, today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.database = database if isinstance(database, Database) else Database(database)
        self.store = SQLLedgerStore(self.database)
        self.runs = SyncRuns(self.database)
        self.connections = connections
        self.settings = settings or SyncSettings()
        self.lock = lock or lock_for(self.database)
        self.today = today  # the day a sync snapshots balances for and reads up to

    async def sync(
        self, connection_id: str, *, trigger: str = "manual", today: dt.date | None = None
    ) -> SyncOutcome | None:
        """Sync one connection; None when another run holds it (that run will sync once more)."""
        await self.database.ensure_schema()
        outcome: SyncOutcome | None = None
        for _ in range(MAX_FOLLOW_UPS + 1):
            async with self.lock.hold(connection_id) as held:
                if not held:
                    await self.runs.request(connection_id)
                    return outcome
                started = now()
                await self.runs.abandon(connection_id)  # we hold the lock: a run still "running" died
                outcome = await self._run(connection_id, trigger, today or self.today())
            if not await self.runs.requested_after(connection_id, started):
                return outcome
            trigger = "follow-up"
        return outcome

    def sync_blocking(self, connection_id: str, **options: Any) -> SyncOutcome | None:
        """Synchronous `sync` (scripts, jobs)."""
        return run_blocking(self.sync(connection_id, **options))

    async def _run(self, connection_id: str, trigger: str, today: dt.date | None) -> SyncOutcome:
        run = await self.runs.start(uuid.uuid4().hex, connection_id, trigger)
        try:
            record = await self.connections.load(connection_id)
        except BaseException as exc:
            await self.runs.finish(run.id, "error", error_code=type(exc).__name__)
            raise
        started = dt.datetime.now(dt.UTC)
        try:
            token = await self.connections.token(record, f"sync:{trigger}")
            provider = self.connections.provider(record.provider)
            last = [0.0]

            async def progress(pages: int, rows: int) -> None:
                if time.monotonic() - last[0] >= PROGRESS_EVERY:
                    last[0] = time.monotonic()
                    await self.runs.progress(run.id, pages, rows)

            outcome = await run_sync(
                self.store, connection_id, source_for(provider), token, today=today, settings=self.settings,
                run_id=run.id, progress=progress,
            )
        except BankingProviderError as exc:
            await self.runs.finish(run.id, "error", error_code=exc.code)
            await self.connections.note_error(record, exc, since=started)
            raise
        except BaseException as exc:
            await self.runs.finish(run.id, "error", error_code=type(exc).__name__)
            raise
        await self.runs.finish(run.id, "ok", added=outcome.added, modified=outcome.modified, removed=outcome.removed,
                               pages=outcome.pages, rows=outcome.rows)
        await self.connections.note_success(record)
        return outcome


async def sync_connection(
    connection_id: str, *, ledger: LedgerSync, trigger: str = "manual", today: dt.date | None = None
) -> SyncOutcome | None:
    """Bring one stored connection's accounts, balances and transactions into ``ledger``'s database; what
    changed and the new cursor (None: another run holds the connection and will run once more)."""
    return await ledger.sync(connection_id, trigger=trigger, today=today)


def sync_connection_blocking(
    connection_id: str, *, ledger: LedgerSync, trigger: str = "manual", today: dt.date | None = None
) -> SyncOutcome | None:
    """The synchronous twin of `sync_connection` (scripts, cron jobs)."""
    return ledger.sync_blocking(connection_id, trigger=trigger, today=today)
