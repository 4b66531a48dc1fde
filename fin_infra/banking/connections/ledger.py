"""Connections mode's ledger: every connection synced into fin-infra's database after its exchange and on
request (``POST {prefix}/connections/{id}/sync``), in the background of the process; its sync state shown
with the connection.

    ledger = attach_ledger(service)   # None when the connection store is not a SQL database
    ledger.start(record.id, "exchange")
    await ledger.status(record.id)    # ConnectionSync: last_synced_at, the current / last run
"""

from __future__ import annotations

import asyncio
from typing import Any

from fin_infra.banking.connections.models import ConnectionSync, SyncRunInfo
from fin_infra.banking.connections.service import ConnectionService
from fin_infra.storage import Database


class ConnectionsLedger:
    """The ledger of connections mode: a `LedgerSync` on the connections' database, runs in the process."""

    def __init__(self, service: ConnectionService, database: Database) -> None:
        from fin_infra.banking.sync.runner import LedgerSync
        from fin_infra.banking.sync.triggers import InProcessRunner

        self.sync = LedgerSync(database, connections=service)
        self.runner = InProcessRunner()

    def start(self, connection_id: str, trigger: str) -> asyncio.Task[Any]:
        """Sync the connection in the background; one already running for it runs once more instead."""
        return self.runner.submit(self.sync.sync(connection_id, trigger=trigger), f"sync {connection_id}")

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

    async def aclose(self) -> None:
        """Let the background syncs finish (shutdown)."""
        await self.runner.drain()


def attach_ledger(service: ConnectionService) -> ConnectionsLedger | None:
    """The ledger in the connection store's database; None for a store without one (no ledger routes)."""
    database = getattr(service.store, "database", None)
    return ConnectionsLedger(service, database) if isinstance(database, Database) else None
