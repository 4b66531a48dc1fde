"""A syncing process for the crash test: syncs one stored Plaid connection, printing ``ready`` first; with a
crash point, it SIGKILLs itself exactly there (``random``: it runs until the test kills it).

    python -m tests.sync.crash_worker <database url> <plaid base url> <connection id> [<point> [<page>]]

Points: ``page`` (after staging page <page>, between pages), ``staged`` (every page staged, the commit not
begun), ``fold`` (in the commit's database transaction, the first rows written, the cursor not), ``precommit``
(rows, cursor and accounts written, the transaction not committed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from typing import Any

from fin_infra.banking.sync.fold import CountTracker
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.banking.sync.store import Batch, Commit, Counts
from fin_infra.emulators.plaid.models import DEFAULT_CLIENT_ID, DEFAULT_SECRET
from fin_infra.providers.banking.plaid import PlaidProvider
from tests.sync.ledger_setup import Ledger

POINTS = ("random", "page", "staged", "fold", "precommit")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingStore(SQLLedgerStore):
    """The real store, killing its own process at one point of a run."""

    def __init__(self, database: Any, point: str, page: int) -> None:
        super().__init__(database)
        self.point, self.page, self.staged = point, page, 0

    async def stage(self, connection_id: str, run_id: str, batch: Batch) -> None:
        await super().stage(connection_id, run_id, batch)
        self.staged += 1
        if self.point == "page" and self.staged == self.page:
            die()

    async def commit(self, connection_id: str, run_id: str, commit: Commit) -> Counts:
        if self.point == "staged":
            die()
        return await super().commit(connection_id, run_id, commit)

    async def _fold(self, conn: Any, connection_id: str, batches: list[Batch], now: dt.datetime,
                    tracker: CountTracker, summary: Any) -> None:
        await super()._fold(conn, connection_id, batches, now, tracker, summary)
        if self.point == "fold":
            die()

    async def _save_accounts(self, conn: Any, connection_id: str, commit: Commit, now: dt.datetime) -> None:
        await super()._save_accounts(conn, connection_id, commit, now)
        if self.point == "precommit":
            die()


async def main(url: str, base_url: str, connection_id: str, point: str = "random", page: str = "1") -> None:
    provider = PlaidProvider(client_id=DEFAULT_CLIENT_ID, secret=DEFAULT_SECRET, base_url=base_url,
                             environment="sandbox", sync_page_size=50, max_retries=0)
    env = Ledger(url, {"plaid": provider})
    env.ledger.store = CrashingStore(env.database, point, int(page))
    await env.database.ensure_schema()
    print("ready", flush=True)
    try:
        await env.ledger.sync(connection_id, trigger="crash-test")
        print("done", flush=True)
    finally:
        await env.aclose()
        await provider.aclose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
