"""`InProcessJobs`: the default engine, none at all. Syncs run as tasks of the web process's event loop
(`triggers.InProcessRunner`); the ledger's per-connection lock coalesces a trigger that arrives while the
connection syncs into one follow-up run. No periodic work runs in-process: schedule it with a worker
(``python -m fin_infra worker``) or call `fin_infra.banking.sync.sync_connection` from your own scheduler.

    >>> jobs = InProcessJobs(ledger)          # doctest: +SKIP
    >>> await jobs.enqueue_sync("conn_...", trigger="manual")  # doctest: +SKIP
"""

from __future__ import annotations

from fin_infra.banking.sync.runner import LedgerSync
from fin_infra.banking.sync.triggers import InProcessRunner


class InProcessJobs:
    """`BackgroundJobs` in the running process."""

    def __init__(self, ledger: LedgerSync, runner: InProcessRunner | None = None) -> None:
        self.ledger = ledger
        self.runner = runner or InProcessRunner()

    async def enqueue_sync(self, connection_id: str, *, trigger: str) -> bool:
        self.runner.submit(self.ledger.sync(connection_id, trigger=trigger), f"sync {connection_id}")
        return True

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        await self.runner.drain()
