"""The periodic work itself, engine-agnostic: which connections the nightly sync visits and when in its window,
a connection's daily balances, and pruning by retention. Job engines call these; they hold no engine code.

    >>> 0 <= spread_offset("conn_1", 3600) < 3600
    True
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select

from fin_infra.banking import history
from fin_infra.banking.background.settings import JobSettings
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.banking.sync.connections import SyncConnections
from fin_infra.storage.connection_store import ConnectionStore
from fin_infra.storage.database import Database
from fin_infra.storage.ledger_tables import ledger_transactions
from fin_infra.storage.tables import connections as connections_table


def spread_offset(connection_id: str, window: int) -> int:
    """Seconds after the schedule's time that this connection's nightly sync starts: a stable spot in
    ``window`` (so the provider sees the syncs spread out, and a connection keeps its spot night after night)."""
    if window <= 0:
        return 0
    digest = hashlib.sha256(b"fin_infra.spread\x00" + connection_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % window


async def connection_ids(database: Database) -> list[str]:
    """Every stored connection's id, in a stable order."""
    async with database.engine().connect() as conn:
        rows = await conn.execute(select(connections_table.c.id).order_by(connections_table.c.id))
        return [row[0] for row in rows]


async def record_balances(
    connections: SyncConnections, store: BalanceStore, connection_id: str, *, today: dt.date | None = None
) -> int:
    """Ask the provider for the connection's balances now and keep them as today's snapshots; how many."""
    record = await connections.load(connection_id)
    token = await connections.token(record, "jobs:daily-balances")
    provider = connections.provider(record.provider)
    started = dt.datetime.now(dt.UTC)
    try:
        balances = await provider.get_balances(token)
    except Exception as exc:
        from fin_infra.banking.exceptions import BankingProviderError

        if isinstance(exc, BankingProviderError):
            await connections.note_error(record, exc, since=started)
        raise
    snapshots = await history.atrack_balances(balances, date=today, store=store, connection_id=connection_id)
    return len(snapshots)


@dataclass(frozen=True)
class Pruned:
    """Rows deleted by one pass of `prune`, per kind."""

    balance_snapshots: int
    audit_entries: int
    removed_transactions: int


async def prune(
    database: Database, store: ConnectionStore, balances: BalanceStore, settings: JobSettings,
    *, now: dt.datetime | None = None,
) -> Pruned:
    """Delete what the retention policy no longer keeps: balance snapshots older than ``balance_days``, audit
    entries older than ``audit_days``, transactions the provider removed more than ``removed_days`` ago."""
    moment = now or dt.datetime.now(dt.UTC)
    snapshots = await history.aprune_balance_history(settings.balance_days, today=moment.date(), store=balances)
    audit = await store.prune_audit(moment - dt.timedelta(days=settings.audit_days))
    cutoff = moment - dt.timedelta(days=settings.removed_days)
    t = ledger_transactions
    async with database.engine().begin() as conn:
        result = await conn.execute(delete(t).where(t.c.removed.is_(True), t.c.updated_at < cutoff))
    return Pruned(snapshots, audit, int(result.rowcount or 0))
