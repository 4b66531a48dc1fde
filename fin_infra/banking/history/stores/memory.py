"""`MemoryBalanceStore`: snapshots in a dict, for one process (the default of the module functions)."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Sequence

from fin_infra.banking.history.stores.base import dedupe
from fin_infra.models import BalanceSnapshot


class MemoryBalanceStore:
    """Snapshots keyed by (account_id, date); tracking a day again replaces it. Lost when the process ends.

    A thread lock (not an asyncio one) guards the data: the synchronous module functions run on a
    background loop while routes run on the app's loop.

        >>> store = MemoryBalanceStore()
        >>> store.clear()
    """

    def __init__(self) -> None:
        # account_id -> (sorted dates, date -> snapshot): range reads bisect instead of scanning
        self._days: dict[str, list[dt.date]] = {}
        self._rows: dict[str, dict[dt.date, BalanceSnapshot]] = {}
        self._lock = threading.Lock()

    async def create_schema(self) -> None:
        """Nothing to create."""

    async def upsert_many(self, snapshots: Sequence[BalanceSnapshot]) -> int:
        """Write snapshots; the same (account_id, date) again replaces the earlier one."""
        rows = dedupe(snapshots)
        with self._lock:
            for snap in rows:
                days = self._rows.setdefault(snap.account_id, {})
                if snap.date not in days:
                    bisect.insort(self._days.setdefault(snap.account_id, []), snap.date)
                days[snap.date] = snap
        return len(rows)

    async def range(self, account_id: str, start: dt.date, end: dt.date) -> list[BalanceSnapshot]:
        """Snapshots of one account in ``[start, end]``, oldest first."""
        with self._lock:
            dates = self._days.get(account_id)
            if not dates:
                return []
            rows = self._rows[account_id]
            lo = bisect.bisect_left(dates, start)
            hi = bisect.bisect_right(dates, end)
            return [rows[d] for d in dates[lo:hi]]

    async def delete_before(self, cutoff: dt.date) -> int:
        """Forget snapshots dated before ``cutoff``."""
        deleted = 0
        with self._lock:
            for account_id in list(self._days):
                dates = self._days[account_id]
                cut = bisect.bisect_left(dates, cutoff)
                for d in dates[:cut]:
                    del self._rows[account_id][d]
                deleted += cut
                del dates[:cut]
                if not dates:
                    del self._days[account_id], self._rows[account_id]
        return deleted

    async def aclose(self) -> None:
        """Nothing to release (the data stays until `clear`)."""

    def clear(self) -> None:
        """Forget every snapshot (tests)."""
        with self._lock:
            self._days.clear()
            self._rows.clear()

    def __repr__(self) -> str:
        return "MemoryBalanceStore()"
