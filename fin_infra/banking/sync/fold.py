"""How staged changes become the ledger: one pure function, the same for every store and provider.

Rules, applied in the order the changes were reported:

- An upsert adds a transaction, or replaces what the ledger holds for its id.
- A removal marks the id removed. The entry is **kept** (a tombstone, created even for an id never seen,
  such as a pending transaction posted before we first synced) and a removed id is **never brought back**:
  a later upsert of it, from a late or replayed page, is ignored.
- A posted transaction naming ``pending_transaction_id`` removes that pending one (``replaced_by`` = the
  posted id), whichever of the two arrives first, so a purchase is never shown twice.
- A provider that forgets the link on a later read (Teller re-sends the posted row without it) does not
  undo it: the stored ``pending_transaction_id`` is kept.

Counts compare the live ledger before and after: added (not live before, live after), modified (live
both times, different), removed (live before, removed after).

    >>> from fin_infra.models import Transaction
    >>> t = Transaction(id="t1", account_id="a", amount="-1.00", date="2026-01-02", description="x")
    >>> changed, counts = fold({}, [Batch(upserts=[t]), Batch(removals=[Removal("t1")])])
    >>> changed["t1"].removed, (counts.added, counts.removed)
    (True, (0, 0))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fin_infra.banking.sync.store import Batch, Counts, LedgerEntry, Removal
from fin_infra.models import Transaction


def touched_ids(batches: Iterable[Batch]) -> set[str]:
    """Every id the batches can change (pending ids named by posted transactions included): what to load."""
    ids: set[str] = set()
    for batch in batches:
        for t in batch.upserts:
            ids.add(t.id)
            if t.pending_transaction_id:
                ids.add(t.pending_transaction_id)
        ids.update(r.id for r in batch.removals)
    return ids


def fold(before: Mapping[str, LedgerEntry], batches: Iterable[Batch]) -> tuple[dict[str, LedgerEntry], Counts]:
    """The entries that change (new state, by id) and the counts. ``before`` must hold the current entry of
    every id in `touched_ids` (absent = unknown to the ledger)."""
    state: dict[str, LedgerEntry] = {}

    def current(tid: str) -> LedgerEntry | None:
        return state[tid] if tid in state else before.get(tid)

    def remove(removal: Removal) -> None:
        entry = current(removal.id)
        if entry is None:
            state[removal.id] = LedgerEntry(removal.id, removal.account_id or "", None, True, removal.replaced_by)
        elif not entry.removed or (entry.replaced_by is None and removal.replaced_by is not None):
            state[removal.id] = LedgerEntry(entry.id, entry.account_id, entry.txn, True,
                                            entry.replaced_by or removal.replaced_by)

    def upsert(t: Transaction) -> None:
        if t.pending_transaction_id and t.pending_transaction_id != t.id:
            remove(Removal(t.pending_transaction_id, t.account_id, replaced_by=t.id))
        entry = current(t.id)
        if entry is not None and entry.removed:
            return  # never resurrected
        if entry is not None and entry.txn is not None:
            kept = entry.txn.pending_transaction_id
            if t.pending_transaction_id is None and kept:
                t = t.model_copy(update={"pending_transaction_id": kept})
            if entry.txn == t:  # pydantic compares every field, the raw payload included
                return
        state[t.id] = LedgerEntry(t.id, t.account_id, t)

    for batch in batches:
        for t in batch.upserts:
            upsert(t)
        for removal in batch.removals:
            remove(removal)

    counts = Counts()
    for tid, after in state.items():
        old = before.get(tid)
        was_live = old is not None and not old.removed
        if after.removed:
            counts.removed += was_live
        elif not was_live:
            counts.added += 1
        elif old is not None and old.txn != after.txn:
            counts.modified += 1
    changed = {tid: e for tid, e in state.items() if before.get(tid) != e}
    return changed, counts


class CountTracker:
    """Counts of a commit folded in several steps (a store that reads its staging in chunks), equal to what
    one `fold` over everything would count. Keeps a flag per touched id and the prior version of rows that
    were live before the commit only (none on a first sync), never the new rows."""

    def __init__(self) -> None:
        self._was_live: dict[str, bool] = {}
        self._old: dict[str, Transaction | None] = {}
        self._live: dict[str, bool] = {}
        self._same: dict[str, bool] = {}

    def step(self, before: Mapping[str, LedgerEntry], changed: Mapping[str, LedgerEntry]) -> None:
        """Record one step: ``before`` as given to `fold`, ``changed`` as it returned."""
        for tid, entry in changed.items():
            if tid not in self._was_live:
                old = before.get(tid)
                self._was_live[tid] = old is not None and not old.removed
                if self._was_live[tid]:
                    self._old[tid] = old.txn if old is not None else None
            self._live[tid] = not entry.removed
            if self._was_live[tid]:
                self._same[tid] = entry.txn == self._old[tid]

    def counts(self) -> Counts:
        counts = Counts()
        for tid, was_live in self._was_live.items():
            live = self._live[tid]
            if was_live and not live:
                counts.removed += 1
            elif live and not was_live:
                counts.added += 1
            elif live and was_live and not self._same[tid]:
                counts.modified += 1
        return counts
