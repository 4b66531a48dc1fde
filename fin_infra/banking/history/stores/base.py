"""The balance store protocol: the few async methods every history backend implements.

A store holds at most one snapshot per (connection_id, account_id, date); writing a day again replaces
it. ``connection_id`` scopes snapshots to the connection they were fetched through (connections mode);
None means unscoped (what the module functions write unless given one).
Backends: `MemoryBalanceStore` (default, per process), `SQLBalanceStore` (SQLite, PostgreSQL).

    >>> import asyncio, datetime as dt
    >>> from fin_infra.banking.history.stores import MemoryBalanceStore
    >>> from fin_infra.models import BalanceSnapshot
    >>> store = MemoryBalanceStore()
    >>> asyncio.run(store.upsert_many([BalanceSnapshot(account_id="a", date=dt.date(2025, 1, 1), balance="1.10")]))
    1
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from fin_infra.models import BalanceSnapshot


@runtime_checkable
class BalanceStore(Protocol):
    """Where balance snapshots live. Implementations must be safe to use from several event loops."""

    async def create_schema(self) -> None:
        """Create tables and indexes if missing (idempotent; stores also do it on first use)."""

    async def upsert_many(self, snapshots: Sequence[BalanceSnapshot], *, connection_id: str | None = None) -> int:
        """Write snapshots atomically; an existing (account_id, date) is overwritten. Returns how many."""

    async def range(
        self, account_id: str, start: dt.date, end: dt.date, *, connection_id: str | None = None
    ) -> list[BalanceSnapshot]:
        """Snapshots of ``account_id`` dated ``start`` to ``end`` inclusive, oldest first."""

    async def delete_before(self, cutoff: dt.date) -> int:
        """Delete every snapshot dated before ``cutoff``; returns how many were deleted."""

    async def delete_connection(self, connection_id: str) -> int:
        """Delete every snapshot of ``connection_id`` (a purged connection); returns how many."""

    async def aclose(self) -> None:
        """Release connections. Safe to call more than once; the store reconnects if used again."""


def dedupe(snapshots: Sequence[BalanceSnapshot]) -> list[BalanceSnapshot]:
    """One snapshot per (account_id, date), the last one given winning, in first-seen order."""
    latest: dict[tuple[str, dt.date], BalanceSnapshot] = {}
    for snap in snapshots:
        latest[(snap.account_id, snap.date)] = snap
    return list(latest.values())
