"""`MemoryBalanceStore`: snapshots in a dict, for one process (the default of the module functions)."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Sequence

from fin_infra.banking.history.stores.base import dedupe
from fin_infra.models import BalanceSnapshot


class MemoryBalanceStore:
    """Snapshots keyed by (connection_id, account_id, date); tracking a day again replaces it.
    Lost when the process ends.

    A thread lock (not an asyncio one) guards the data: the synchronous module functions run on a
    background loop while routes run on the app's loop.

        >>> store = MemoryBalanceStore()
        >>> store.clear()
    """

    def __init__(self) -> None:
        # (connection_id, account_id) -> (sorted dates, date -> snapshot): range reads bisect instead of scanning
        self._days: dict[tuple[str, str], list[dt.date]] = {}
        self._rows: dict[tuple[str, str], dict[dt.date, BalanceSnapshot]] = {}
        self._lock = threading.Lock()

    async def create_schema(self) -> None:
        """Nothing to create."""

    async def upsert_many(self, snapshots: Sequence[BalanceSnapshot], *, connection_id: str | None = None) -> int:
        """Write snapshots; the same (account_id, date) again replaces the earlier one."""
        rows = dedupe(snapshots)
        scope = connection_id or ""
        with self._lock:
            for snap in rows:
                key = (scope, snap.account_id)
                days = self._rows.setdefault(key, {})
                if snap.date not in days:
                    bisect.insort(self._days.setdefault(key, []), snap.date)
                days[snap.date] = snap
        return len(rows)

    async def range(
        self, account_id: str, start: dt.date, end: dt.date, *, connection_id: str | None = None
    ) -> list[BalanceSnapshot]:
        """Snapshots of one account in ``[start, end]``, oldest first."""
        key = (connection_id or "", account_id)
        with self._lock:
            dates = self._days.get(key)
            if not dates:
                return []
            rows = self._rows[key]
            lo = bisect.bisect_left(dates, start)
            hi = bisect.bisect_right(dates, end)
            return [rows[d] for d in dates[lo:hi]]

    async def delete_before(self, cutoff: dt.date) -> int:
        """Forget snapshots dated before ``cutoff``."""
        deleted = 0
        with self._lock:
            for key in list(self._days):
                dates = self._days[key]
                cut = bisect.bisect_left(dates, cutoff)
                for d in dates[:cut]:
                    del self._rows[key][d]
                deleted += cut
                del dates[:cut]
                if not dates:
                    del self._days[key], self._rows[key]
        return deleted

    async def delete_connection(self, connection_id: str) -> int:
        """Forget every snapshot of ``connection_id``."""
        deleted = 0
        with self._lock:
            for key in [k for k in self._days if k[0] == connection_id]:
                deleted += len(self._days.pop(key))
                del self._rows[key]
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
