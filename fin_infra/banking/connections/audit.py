"""Reading and pruning the audit trail (every token decryption and identity read).

>>> events = read_audit("sqlite:///app.db", user_id="user_123")           # doctest: +SKIP
>>> prune_audit("sqlite:///app.db", older_than_days=365)                  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt

from fin_infra._sync import run_sync
from fin_infra.storage.connection_store import ConnectionStore
from fin_infra.storage.records import AuditEvent


def _store(store: ConnectionStore | str) -> tuple[ConnectionStore, bool]:
    if isinstance(store, str):
        from fin_infra.banking.connections.mount import open_connection_store

        return open_connection_store(store), True
    return store, False


async def aread_audit(
    store: ConnectionStore | str, *, user_id: str | None = None, connection_id: str | None = None, limit: int = 1000
) -> list[AuditEvent]:
    """Audit entries of a user and/or a connection, newest first (``store``: a store or a database URL)."""
    chosen, owned = _store(store)
    try:
        return await chosen.read_audit(user_id=user_id, connection_id=connection_id, limit=limit)
    finally:
        if owned:
            await chosen.aclose()


async def aprune_audit(store: ConnectionStore | str, *, older_than_days: int, now: dt.datetime | None = None) -> int:
    """Delete audit entries more than ``older_than_days`` days old; returns how many."""
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or older_than_days < 0:
        raise ValueError("older_than_days must be a whole number of days, 0 or more")
    moment = now or dt.datetime.now(dt.UTC)
    try:
        cutoff = moment - dt.timedelta(days=older_than_days)
    except OverflowError:
        cutoff = dt.datetime.min.replace(tzinfo=dt.UTC)
    chosen, owned = _store(store)
    try:
        return await chosen.prune_audit(cutoff)
    finally:
        if owned:
            await chosen.aclose()


def read_audit(
    store: ConnectionStore | str, *, user_id: str | None = None, connection_id: str | None = None, limit: int = 1000
) -> list[AuditEvent]:
    """Synchronous `aread_audit`."""
    return run_sync(aread_audit(store, user_id=user_id, connection_id=connection_id, limit=limit))


def prune_audit(store: ConnectionStore | str, *, older_than_days: int) -> int:
    """Synchronous `aprune_audit`."""
    return run_sync(aprune_audit(store, older_than_days=older_than_days))
