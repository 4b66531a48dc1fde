"""Balance history: one snapshot per account per day, in memory, SQLite or PostgreSQL.

    >>> import datetime as dt
    >>> from fin_infra.banking.history import track_balance, get_balance_history, BalanceHistory
    >>> _ = track_balance(account_id="acc_123", balance=5432.10, date=dt.date(2025, 1, 1), currency="USD")
    >>> [s.balance for s in get_balance_history("acc_123", dt.date(2025, 1, 1), dt.date(2025, 1, 31))]
    [Decimal('5432.1')]

The module functions use the default store: in memory, unless ``FIN_INFRA_DATABASE_URL`` is set or
`set_balance_store` chose another (``set_balance_store("sqlite:///history.db")``). Each has an async
twin (``atrack_balance``, ``aget_balance_history``, ...) and takes ``store=`` to use another store.
Tracking a day again overwrites it. Snapshots fetched through a connection (connections mode) are
scoped to it: pass ``connection_id=`` to read them. ``fin-infra db upgrade`` (or
``fin-infra history migrate|prune``) manages the tables.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from fin_infra._sync import run_sync
from fin_infra.banking.history.stores import BalanceStore, MemoryBalanceStore
from fin_infra.banking.history.summary import BalanceSummary, summarize_history
from fin_infra.models import Balance, BalanceSnapshot, BankAccount
from fin_infra.providers.dates import parse_date, window_start

BalanceHistory = BalanceSnapshot
"""The documented name of one balance snapshot (``.account_id .date .balance .currency``)."""

DATABASE_URL_ENV = "FIN_INFRA_DATABASE_URL"
MAX_ACCOUNT_ID = 256
MAX_CURRENCY = 16

_default: BalanceStore | None = None
_default_lock = threading.Lock()


# --- choosing the store --------------------------------------------------------------------------


def open_balance_store(url: str, **options: Any) -> BalanceStore:
    """A store for ``url``: ``memory://``, ``sqlite:///path/file.db`` or ``postgresql://user@host/db``.

    ``options`` go to `SQLBalanceStore` (``table_name=``, engine options).

        >>> open_balance_store("memory://")
        MemoryBalanceStore()
    """
    url = url.strip()
    if url.split(":", 1)[0].lower() == "memory":
        return MemoryBalanceStore()
    try:
        from fin_infra.banking.history.stores.sql import SQLBalanceStore
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "a SQL balance store needs SQLAlchemy and a driver: "
            "pip install 'fin-infra[sqlite]' or 'fin-infra[postgres]'"
        ) from exc
    return SQLBalanceStore(url, **options)


def get_balance_store() -> BalanceStore:
    """The store the module functions use (built from ``FIN_INFRA_DATABASE_URL`` on first use, else memory)."""
    global _default
    with _default_lock:
        if _default is None:
            url = os.environ.get(DATABASE_URL_ENV, "").strip()
            _default = open_balance_store(url) if url else MemoryBalanceStore()
        return _default


get_store = get_balance_store  # the earlier name


def set_balance_store(store: BalanceStore | str | None) -> BalanceStore | None:
    """Make ``store`` (a store, or a database URL) the default of the module functions.

    ``None`` goes back to the environment's choice. Returns the previous store, for the caller to
    ``await previous.aclose()`` if it owned it.

        >>> previous = set_balance_store("memory://")
    """
    global _default
    chosen = open_balance_store(store) if isinstance(store, str) else store
    with _default_lock:
        previous, _default = _default, chosen
    return previous


def _store(store: BalanceStore | None) -> BalanceStore:
    return store if store is not None else get_balance_store()


# --- validation ----------------------------------------------------------------------------------


def _account_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("account_id must be a non-empty string")
    if len(value) > MAX_ACCOUNT_ID:
        raise ValueError(f"account_id must be at most {MAX_ACCOUNT_ID} characters")
    return value


def make_snapshot(
    account_id: str, balance: Decimal | float | int | str, date: dt.date | str | None = None, currency: str = "USD"
) -> BalanceSnapshot:
    """A validated snapshot (date defaults to today); raises `ValueError` naming the bad argument."""
    if balance is None:
        raise ValueError("balance is required (a Decimal, int, str or float)")
    if not isinstance(currency, str) or not 0 < len(currency.strip()) <= MAX_CURRENCY:
        raise ValueError(f"currency must be a currency code of 1 to {MAX_CURRENCY} characters, e.g. 'USD'")
    day = parse_date(date, "date") or dt.date.today()
    return BalanceSnapshot(account_id=_account_id(account_id), date=day, balance=balance, currency=currency.strip())


def _coerce(item: object, day: dt.date | None) -> BalanceSnapshot | None:
    if isinstance(item, BalanceSnapshot):
        return make_snapshot(item.account_id, item.balance, item.date, item.currency)
    if isinstance(item, Balance):
        return None if item.current is None else make_snapshot(item.account_id, item.current, day, item.currency)
    if isinstance(item, BankAccount):
        return None if item.balance is None else make_snapshot(item.id, item.balance, day, item.currency)
    if isinstance(item, Mapping):
        return make_snapshot(
            item.get("account_id"),  # type: ignore[arg-type]  # validated inside
            item.get("balance"),  # type: ignore[arg-type]
            item.get("date", day),
            item.get("currency", "USD"),
        )
    raise TypeError(f"can't track a {type(item).__name__}: pass BalanceSnapshot, Balance, BankAccount or a mapping")


def snapshots_from(items: Iterable[object], date: dt.date | str | None = None) -> list[BalanceSnapshot]:
    """Snapshots for ``items``: `BalanceSnapshot`, `Balance` (its ``current``), `BankAccount` (its
    ``balance``) or mappings with ``account_id``, ``balance`` and optional ``date`` / ``currency``.
    Balances and accounts without a balance are skipped; ``date`` (default today) dates the rest."""
    day = parse_date(date, "date") or dt.date.today()
    return [s for s in (_coerce(item, day) for item in items) if s is not None]


def _range(start_date: dt.date | str | None, end_date: dt.date | str | None) -> tuple[dt.date, dt.date]:
    start = parse_date(start_date, "start_date") or dt.date.min
    end = parse_date(end_date, "end_date") or dt.date.max
    if start > end:
        raise ValueError(f"start_date ({start.isoformat()}) must not be after end_date ({end.isoformat()})")
    return start, end


# --- async API -----------------------------------------------------------------------------------


async def atrack_balance(
    account_id: str,
    balance: Decimal | float | int | str,
    date: dt.date | str | None = None,
    currency: str = "USD",
    *,
    store: BalanceStore | None = None,
) -> BalanceSnapshot:
    """Async `track_balance`."""
    snapshot = make_snapshot(account_id, balance, date, currency)
    await _store(store).upsert_many([snapshot])
    return snapshot


async def atrack_balances(
    items: Iterable[object],
    *,
    date: dt.date | str | None = None,
    store: BalanceStore | None = None,
    connection_id: str | None = None,
) -> list[BalanceSnapshot]:
    """Async `track_balances`; ``connection_id`` scopes the snapshots to that connection."""
    snapshots = snapshots_from(items, date)
    if connection_id:
        await _store(store).upsert_many(snapshots, connection_id=connection_id)
    else:  # stores written before connection scoping take no connection_id
        await _store(store).upsert_many(snapshots)
    return snapshots


async def aget_balance_history(
    account_id: str,
    start_date: dt.date | str | None = None,
    end_date: dt.date | str | None = None,
    *,
    store: BalanceStore | None = None,
    connection_id: str | None = None,
) -> list[BalanceSnapshot]:
    """Async `get_balance_history`; ``connection_id`` reads that connection's snapshots (else unscoped ones)."""
    start, end = _range(start_date, end_date)
    if connection_id:
        return await _store(store).range(_account_id(account_id), start, end, connection_id=connection_id)
    return await _store(store).range(_account_id(account_id), start, end)


async def aprune_balance_history(
    older_than_days: int, *, today: dt.date | None = None, store: BalanceStore | None = None
) -> int:
    """Async `prune_balance_history`."""
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or older_than_days < 0:
        raise ValueError("older_than_days must be a whole number of days, 0 or more")
    cutoff = window_start(today or dt.date.today(), older_than_days)  # clamps instead of overflowing
    return await _store(store).delete_before(cutoff)


# --- synchronous API (documented) ----------------------------------------------------------------


def track_balance(
    account_id: str,
    balance: Decimal | float | int | str,
    date: dt.date | str | None = None,
    currency: str = "USD",
    *,
    store: BalanceStore | None = None,
) -> BalanceSnapshot:
    """Record ``account_id``'s balance on ``date`` (default today); the same day again replaces it.

    >>> track_balance(account_id="acc_1", balance="10.50", date="2025-01-01").balance
    Decimal('10.50')
    """
    return run_sync(atrack_balance(account_id, balance, date, currency, store=store))


def track_balances(
    items: Iterable[object],
    *,
    date: dt.date | str | None = None,
    store: BalanceStore | None = None,
    connection_id: str | None = None,
) -> list[BalanceSnapshot]:
    """Record many balances in one transaction (see `snapshots_from` for what ``items`` may hold).

    >>> len(track_balances([{"account_id": "a", "balance": 1}, {"account_id": "b", "balance": 2}]))
    2
    """
    return run_sync(atrack_balances(items, date=date, store=store, connection_id=connection_id))


def get_balance_history(
    account_id: str,
    start_date: dt.date | str | None = None,
    end_date: dt.date | str | None = None,
    *,
    store: BalanceStore | None = None,
    connection_id: str | None = None,
) -> list[BalanceSnapshot]:
    """Snapshots of ``account_id`` from ``start_date`` to ``end_date`` inclusive, oldest first.

    An unknown account gives ``[]``; ``start_date`` after ``end_date`` raises `ValueError`.
    """
    return run_sync(aget_balance_history(account_id, start_date, end_date, store=store, connection_id=connection_id))


def prune_balance_history(
    older_than_days: int, *, today: dt.date | None = None, store: BalanceStore | None = None
) -> int:
    """Delete snapshots more than ``older_than_days`` days old; returns how many were deleted.

    >>> prune_balance_history(older_than_days=730)
    0
    """
    return run_sync(aprune_balance_history(older_than_days, today=today, store=store))


__all__ = [
    "DATABASE_URL_ENV",
    "BalanceHistory",
    "BalanceStore",
    "BalanceSummary",
    "MemoryBalanceStore",
    "aget_balance_history",
    "aprune_balance_history",
    "atrack_balance",
    "atrack_balances",
    "get_balance_history",
    "get_balance_store",
    "get_store",
    "make_snapshot",
    "open_balance_store",
    "prune_balance_history",
    "set_balance_store",
    "snapshots_from",
    "summarize_history",
    "track_balance",
    "track_balances",
]
