"""Reconciling a window of a provider without a change feed (Teller, the sandbox, most others).

The provider is asked for every transaction of one account dated ``start``..``end`` (the overlap window:
by default the 30 days before the last sync, a setting), and the answer is compared with the ledger's
live rows of that account in the same window, by id:

- ids the ledger does not hold are added (unless removed before: a removed id never comes back);
- rows that differ are updated;
- **pending** rows the provider no longer lists are removed (an authorisation that fell off, or a pending
  row the bank re-issued under a new id when it posted). Posted rows the provider no longer lists are
  kept: a bank rarely deletes posted history, and a glitching answer must not erase it (our choice);
- a new posted row that is the posted copy of such a vanished pending row (`pairing.PairingRule`) names
  it in ``pending_transaction_id``, so the fold records the pending row as replaced by it.

Only a complete window is reconciled: a provider error while fetching it fails the run before anything
is staged for that account.

    >>> import asyncio, datetime as dt
    >>> from fin_infra.banking.sync import MemoryLedgerStore
    >>> start, end = dt.date(2026, 1, 1), dt.date(2026, 1, 31)
    >>> batch = asyncio.run(reconcile_window(MemoryLedgerStore(), "c", "a", start, end, []))
    >>> bool(batch)
    False
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from fin_infra.banking.sync.pairing import PairingRule
from fin_infra.banking.sync.store import Batch, LedgerStore, Removal
from fin_infra.models import Transaction

DEFAULT_OVERLAP_DAYS = 30


async def reconcile_window(
    store: LedgerStore,
    connection_id: str,
    account_id: str,
    start: dt.date | None,
    end: dt.date,
    fetched: Iterable[Transaction],
    *,
    rule: PairingRule | None = None,
) -> Batch:
    """The changes that make the ledger's window of one account equal to ``fetched`` (see module docstring).
    ``start`` None: the provider's whole history up to ``end``."""
    rule = rule or PairingRule()
    seen: dict[str, Transaction] = {}
    for t in fetched:
        if t.account_id == account_id and (start is None or t.date >= start) and t.date <= end:
            seen.setdefault(t.id, t)
    known = {t.id: t for t in await store.live(connection_id, account_id, start=start, end=end)}
    vanished = [t for tid, t in known.items() if tid not in seen and t.pending]
    # A pending row older than the window can't be seen to vanish, but it can still be posted under a new id.
    older = [] if start is None else [
        t for t in await store.live(connection_id, account_id, end=start - dt.timedelta(days=1), pending_only=True)
    ]
    fresh = [t for tid, t in seen.items() if tid not in known]
    held = await store.entries(connection_id, [t.id for t in fresh])  # removed ones, or live outside the window
    fresh = [t for t in fresh if t.id not in held]
    pairs = rule.pairs((t for t in fresh if t.pending_transaction_id is None), [*vanished, *older])
    upserts = []
    for tid, t in seen.items():
        if tid in pairs:
            t = t.model_copy(update={"pending_transaction_id": pairs[tid]})
        old = known.get(tid)
        if old is not None and t.pending_transaction_id is None and old.pending_transaction_id:
            t = t.model_copy(update={"pending_transaction_id": old.pending_transaction_id})
        if old is None or old != t:
            upserts.append(t)
    paired = set(pairs.values())
    removals = [Removal(t.id, t.account_id) for t in vanished if t.id not in paired]
    return Batch(upserts=upserts, removals=removals)
