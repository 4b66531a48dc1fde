"""Connections mode's ledger: every connection synced into fin-infra's database after its exchange and on
request (``POST {prefix}/connections/{id}/sync``), in the background (`BackgroundJobs`: the process's own
event loop by default, a job queue with ``add_banking(..., jobs=...)``); its sync state shown with the connection.

    ledger = attach_ledger(service)   # None when the connection store is not a SQL database
    await ledger.start(record.id, "exchange")
    await ledger.status(record.id)    # ConnectionSync: last_synced_at, the current / last run

The data routes answer transactions (`LedgerQueries`: the same filters, sort and paging as the
pass-through query layer) and balances (the last sync's) from the ledger; ``?live=true`` asks the provider.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any

from fin_infra.banking.background.protocol import BackgroundJobs
from fin_infra.banking.connections.models import ConnectionSync, SyncRunInfo
from fin_infra.banking.connections.paging import tagged
from fin_infra.banking.connections.service import ConnectionService
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.models import Balance
from fin_infra.storage import Database
from fin_infra.storage.records import ConnectionRecord

PURGE_WAIT = 120.0  # seconds a purge waits for the connection's running sync (in any process) to end


class ConnectionsLedger:
    """The ledger of connections mode: a `LedgerSync` on the connections' database; syncs go to ``jobs``
    (default: `InProcessJobs`, tasks of this process)."""

    def __init__(self, service: ConnectionService, database: Database, jobs: BackgroundJobs | None = None) -> None:
        from fin_infra.banking.background.inprocess import InProcessJobs
        from fin_infra.banking.sync.runner import LedgerSync
        from fin_infra.banking.sync.triggers import InProcessRunner

        self.sync = LedgerSync(database, connections=service)
        self.runner = InProcessRunner()
        self.jobs: BackgroundJobs = jobs if jobs is not None else InProcessJobs(self.sync, self.runner)
        from fin_infra.banking.sync.queries import LedgerQueries

        self.queries = LedgerQueries(self.sync.store)

    async def start(self, connection_id: str, trigger: str) -> bool:
        """Sync the connection in the background; False when coalesced with a sync already waiting for it
        (or running it: that one runs once more)."""
        return await self.jobs.enqueue_sync(connection_id, trigger=trigger)

    async def status(self, connection_id: str) -> ConnectionSync:
        await self.sync.database.ensure_schema()
        state = await self.sync.runs.state(connection_id)
        run = state.latest
        info = None
        if run is not None:
            info = SyncRunInfo(
                id=run.id, trigger=run.trigger, outcome=run.outcome, started_at=run.started_at, ended_at=run.ended_at,
                pages=run.pages, rows=run.rows, added=run.added, modified=run.modified, removed=run.removed,
                error_code=run.error_code,
            )
        return ConnectionSync(last_synced_at=state.last_synced_at, run=info)

    async def transactions(
        self, records: list[ConnectionRecord], q: TransactionQuery
    ) -> tuple[list[str], int, dict[str, Any]]:
        """(JSON of the page's transactions tagged with their connection, total, `freshness`) from the ledger,
        in one read: the freshness is the rows' own."""
        await self.sync.database.ensure_schema()
        found = await self.queries.tagged_page([r.id for r in records], q)
        return [tagged(cid, t) for cid, t in found.rows], found.total, self.fresh(records, found.synced)

    async def balances(self, record: ConnectionRecord, account_id: str | None) -> list[Balance]:
        """The balances the connection's last sync read (none before its first sync)."""
        await self.sync.database.ensure_schema()
        return [
            Balance(account_id=a.id, current=a.balance, available=a.available_balance, currency=a.currency)
            for a in await self.sync.store.accounts(record.id)
            if account_id is None or a.id == account_id
        ]

    async def freshness(self, records: list[ConnectionRecord]) -> dict[str, Any]:
        """What an answer from the ledger is as fresh as: each connection's status and last sync; overall, the
        oldest last sync (null while one has never synced) and the first status that is not ok."""
        await self.sync.database.ensure_schema()
        return self.fresh(records, await self.sync.runs.last_synced([r.id for r in records]))

    @staticmethod
    def fresh(records: list[ConnectionRecord], synced: Mapping[str, dt.datetime | None]) -> dict[str, Any]:
        """`freshness` from each connection's ``last_synced_at`` (as read with the answer)."""
        times = [synced[r.id] for r in records]
        each = [{"connection_id": r.id, "status": r.status, "last_synced_at": synced[r.id]} for r in records]
        known = [t for t in times if t is not None]
        oldest = min(known) if known and len(known) == len(times) else None
        status = next((e["status"] for e in each if e["status"] != "ok"), "ok")
        return {"source": "ledger", "last_synced_at": oldest, "status": status, "connections": each}

    async def settle(self, connection_id: str) -> None:
        """Wait for this process's background syncs of the connection (before it is deleted)."""
        name = f"sync {connection_id}"
        while mine := [t for t in self.runner.tasks if t.get_name() == name]:
            await asyncio.gather(*mine, return_exceptions=True)

    async def purge(self, connection_id: str) -> None:
        """Delete everything the ledger keeps for the connection (rows, staging, accounts, state, runs), holding
        its sync lock: a sync running on a worker elsewhere ends first, and none starts meanwhile."""
        from sqlalchemy import delete

        from fin_infra.storage import ledger_tables as t

        await self.sync.database.ensure_schema()
        deadline = asyncio.get_running_loop().time() + PURGE_WAIT
        while True:
            async with self.sync.lock.hold(connection_id) as held:
                if held or asyncio.get_running_loop().time() > deadline:
                    async with self.sync.database.engine().begin() as conn:
                        for table in t.PER_CONNECTION_TABLES:
                            await conn.execute(delete(table).where(table.c.connection_id == connection_id))
                    return
            await asyncio.sleep(0.2)

    async def start_jobs(self) -> None:
        """Open the job engine (startup)."""
        await self.jobs.start()

    async def aclose(self) -> None:
        """Let this process's background syncs finish, then close the job engine (shutdown)."""
        await self.runner.drain()
        await self.jobs.aclose()


def attach_ledger(service: ConnectionService, jobs: BackgroundJobs | None = None) -> ConnectionsLedger | None:
    """The ledger in the connection store's database; None for a store without one (no ledger routes)."""
    database = getattr(service.store, "database", None)
    return ConnectionsLedger(service, database, jobs) if isinstance(database, Database) else None
