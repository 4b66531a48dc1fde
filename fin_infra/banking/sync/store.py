"""`LedgerStore`: what the sync engine needs from wherever the ledger lives (memory, SQLite, PostgreSQL).

A sync run never writes straight into what readers see. It **stages** batches of changes under its run
id, then **commits** them in one database transaction together with the connection's new cursor, its
accounts and their balance snapshots. So a run that dies half-way (a crash, a provider fault on page k)
leaves the ledger exactly as the last completed run left it, and the next run starts again from the
cursor saved with those rows. How a commit folds the staged changes into the ledger is one pure function,
`fin_infra.banking.sync.fold.fold`; every store applies it (or its SQL equivalent) the same way.

    >>> from fin_infra.banking.sync import MemoryLedgerStore
    >>> store: LedgerStore = MemoryLedgerStore()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from fin_infra.models import BankAccount, Transaction


@dataclass(frozen=True)
class Removal:
    """``id`` is gone at the provider; ``replaced_by``: the posted transaction that replaced this pending one."""

    id: str
    account_id: str | None = None
    replaced_by: str | None = None


@dataclass(frozen=True)
class Batch:
    """Changes in the order the provider reported them: upserts, then removals."""

    upserts: Sequence[Transaction] = ()
    removals: Sequence[Removal] = ()

    def __bool__(self) -> bool:
        return bool(self.upserts or self.removals)


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger holds for one provider transaction id: the transaction as last seen (None for a
    tombstone of an id known only as removed), and whether it is removed (kept, never shown, never
    brought back)."""

    id: str
    account_id: str
    txn: Transaction | None
    removed: bool = False
    replaced_by: str | None = None


@dataclass
class Counts:
    """What a commit changed in the live ledger (a transaction added and removed within one run counts nowhere)."""

    added: int = 0
    modified: int = 0
    removed: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.added += other.added
        self.modified += other.modified
        self.removed += other.removed
        return self


@dataclass(frozen=True)
class Commit:
    """Everything one run makes visible at once."""

    cursor: str | None
    accounts: Sequence[BankAccount] = ()
    snapshot_date: dt.date | None = None  # balance snapshot day for ``accounts``
    final: Batch = field(default_factory=Batch)


@runtime_checkable
class LedgerStore(Protocol):
    """The ledger of every connection. Reads see committed state only."""

    async def cursor(self, connection_id: str) -> str | None:
        """The cursor saved by the last committed run (None: never synced)."""
        ...

    async def entries(self, connection_id: str, ids: Collection[str]) -> dict[str, LedgerEntry]:
        """The entries (live or removed) among ``ids``."""
        ...

    async def live(
        self, connection_id: str, account_id: str, *, start: dt.date | None = None, end: dt.date | None = None,
        pending_only: bool = False,
    ) -> list[Transaction]:
        """Live (not removed) transactions of one account, dated ``start``..``end`` inclusive when given."""
        ...

    async def stage(self, connection_id: str, run_id: str, batch: Batch) -> None:
        """Keep ``batch`` for run ``run_id``: invisible until `commit`."""
        ...

    async def discard(self, connection_id: str, run_id: str) -> None:
        """Forget what run ``run_id`` staged (a restart, or a failed run)."""
        ...

    async def commit(self, connection_id: str, run_id: str, commit: Commit) -> Counts:
        """Atomically: fold the staged batches (then ``commit.final``) into the ledger, save the cursor,
        the accounts and their balance snapshots; the staging is gone afterwards."""
        ...
