"""`MemoryLedgerStore`: the ledger in a dict, for tests and the reference the SQL stores are checked against.

    >>> store = MemoryLedgerStore()
    >>> store.transactions("conn_1")
    []
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from fin_infra.banking.sync.fold import fold, touched_ids
from fin_infra.banking.sync.store import Batch, Commit, Counts, LedgerEntry
from fin_infra.models import BankAccount, Transaction


class MemoryLedgerStore:
    """A `LedgerStore` in memory (one process)."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, LedgerEntry]] = {}
        self._cursors: dict[str, str | None] = {}
        self._staged: dict[tuple[str, str], list[Batch]] = {}
        self.accounts: dict[str, dict[str, BankAccount]] = {}
        self.balances: dict[tuple[str, str, dt.date], Decimal] = {}
        self.commits = 0
        self._lock = asyncio.Lock()

    # --- reads for callers and tests -------------------------------------------------------------------

    def transactions(self, connection_id: str) -> list[Transaction]:
        """Live transactions of a connection, newest first."""
        live = [e.txn for e in self._entries.get(connection_id, {}).values() if not e.removed and e.txn]
        return sorted(live, key=lambda t: (t.date, t.id), reverse=True)

    def all_entries(self, connection_id: str) -> dict[str, LedgerEntry]:
        return dict(self._entries.get(connection_id, {}))

    # --- LedgerStore --------------------------------------------------------------------------------------

    async def cursor(self, connection_id: str) -> str | None:
        return self._cursors.get(connection_id)

    async def entries(self, connection_id: str, ids: Collection[str]) -> dict[str, LedgerEntry]:
        known = self._entries.get(connection_id, {})
        return {i: known[i] for i in ids if i in known}

    async def live(
        self, connection_id: str, account_id: str, *, start: dt.date | None = None, end: dt.date | None = None,
        pending_only: bool = False,
    ) -> list[Transaction]:
        return [
            e.txn
            for e in self._entries.get(connection_id, {}).values()
            if e.txn is not None and not e.removed and e.account_id == account_id
            and (start is None or e.txn.date >= start) and (end is None or e.txn.date <= end)
            and (e.txn.pending or not pending_only)
        ]

    async def stage(self, connection_id: str, run_id: str, batch: Batch) -> None:
        if batch:
            self._staged.setdefault((connection_id, run_id), []).append(batch)

    async def discard(self, connection_id: str, run_id: str) -> None:
        self._staged.pop((connection_id, run_id), None)

    async def commit(self, connection_id: str, run_id: str, commit: Commit) -> Counts:
        async with self._lock:
            batches = [*self._staged.pop((connection_id, run_id), []), commit.final]
            known = self._entries.setdefault(connection_id, {})
            ids = touched_ids(batches)
            changed, counts = fold({i: known[i] for i in ids if i in known}, batches)
            known.update(changed)
            self._cursors[connection_id] = commit.cursor
            accounts = self.accounts.setdefault(connection_id, {})
            for account in commit.accounts:
                accounts[account.id] = account
                if commit.snapshot_date is not None and account.balance is not None:
                    self.balances[(connection_id, account.id, commit.snapshot_date)] = account.balance
            self.commits += 1
            return counts
