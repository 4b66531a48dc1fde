"""Balance history: one snapshot per account per day, kept in memory for now.

>>> import datetime as dt
>>> track_balance(account_id="acc_123", balance=5432.10, date=dt.date(2025, 1, 1), currency="USD")
>>> [s.balance for s in get_balance_history("acc_123", dt.date(2025, 1, 1), dt.date(2025, 1, 31))]
[Decimal('5432.1')]
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from fin_infra.models import BalanceSnapshot
from fin_infra.providers.dates import parse_date

BalanceHistory = BalanceSnapshot
"""The documented name of one balance snapshot (``.account_id .date .balance .currency``)."""


class MemoryBalanceStore:
    """Snapshots in a dict keyed by (account_id, date): tracking a day again replaces it."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[dt.date, BalanceSnapshot]] = {}
        self._lock = threading.Lock()

    def upsert(self, snapshot: BalanceSnapshot) -> None:
        with self._lock:
            self._rows.setdefault(snapshot.account_id, {})[snapshot.date] = snapshot

    def range(self, account_id: str, start: dt.date, end: dt.date) -> list[BalanceSnapshot]:
        with self._lock:
            days = self._rows.get(account_id, {})
            return [days[d] for d in sorted(days) if start <= d <= end]

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


_store = MemoryBalanceStore()


def get_store() -> MemoryBalanceStore:
    """The store the module functions and the balance-history route use."""
    return _store


def track_balance(
    account_id: str,
    balance: Decimal | float | int | str,
    date: dt.date | str | None = None,
    currency: str = "USD",
) -> BalanceSnapshot:
    """Record ``account_id``'s balance on ``date`` (default today); the same day again replaces it."""
    day = parse_date(date, "date") or dt.date.today()
    snapshot = BalanceSnapshot(account_id=account_id, date=day, balance=balance, currency=currency)
    _store.upsert(snapshot)
    return snapshot


def get_balance_history(
    account_id: str,
    start_date: dt.date | str | None = None,
    end_date: dt.date | str | None = None,
) -> list[BalanceSnapshot]:
    """Snapshots of ``account_id`` from ``start_date`` to ``end_date`` inclusive, oldest first."""
    start = parse_date(start_date, "start_date") or dt.date.min
    end = parse_date(end_date, "end_date") or dt.date.max
    if start > end:
        raise ValueError(f"start_date ({start}) must not be after end_date ({end})")
    return _store.range(account_id, start, end)


__all__ = ["BalanceHistory", "MemoryBalanceStore", "get_balance_history", "get_store", "track_balance"]
