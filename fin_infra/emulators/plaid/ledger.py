"""One Item's transactions and their change log: what ``/transactions/sync`` pages through.

Every change (add, modify, remove) gets the next sequence number. A cursor records where the
current sync loop started (``origin``), how far it has read (``pos``) and the sequence number of the
snapshot it is paging through (``snap``). Pages list each transaction touched in ``(pos, snap]``
once, in ascending order of last change: ``added`` if it appeared after ``origin``, else
``modified``; ``removed`` if it is gone (and was known before ``origin``). A change that lands while a
loop is mid-way (``pos < snap``) fails the next page with ``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION``.

    >>> ledger = Ledger("item")
    >>> ledger.cursor(0, 0, 0) != ""
    True
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from dataclasses import dataclass

from fin_infra.emulators.plaid.data import Txn
from fin_infra.emulators.plaid.errors import PlaidAPIError, invalid_field


@dataclass(frozen=True)
class Page:
    added: list[Txn]
    modified: list[Txn]
    removed: list[Txn]
    next_cursor: str
    has_more: bool


class Ledger:
    """Transactions of one Item plus the log of changes to them."""

    def __init__(self, item_id: str) -> None:
        self.item_id = item_id
        self.txns: dict[str, Txn] = {}
        self.seq = 0
        self._log_seqs: list[int] = []  # ascending; parallel to _log_ids
        self._log_ids: list[str] = []

    def _touch(self, txn: Txn) -> None:
        self.seq += 1
        txn.last_seq = self.seq
        self._log_seqs.append(self.seq)
        self._log_ids.append(txn.transaction_id)

    def add(self, txn: Txn) -> None:
        self._touch(txn)
        txn.created_seq = txn.last_seq
        self.txns[txn.transaction_id] = txn

    def modify(self, txn: Txn) -> None:
        self._touch(txn)

    def remove(self, txn: Txn) -> None:
        txn.removed = True
        self._touch(txn)

    def live(self) -> list[Txn]:
        """Transactions not removed, newest date first (``/transactions/get`` order)."""
        return sorted(
            (t for t in self.txns.values() if not t.removed), key=lambda t: (t.date, t.transaction_id), reverse=True
        )

    # --- cursors ------------------------------------------------------------------------------

    def cursor(self, origin: int, pos: int, snap: int) -> str:
        raw = json.dumps({"i": self.item_id[:8], "o": origin, "p": pos, "s": snap}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _parse(self, cursor: str) -> tuple[int, int, int]:
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            origin, pos, snap = int(raw["o"]), int(raw["p"]), int(raw["s"])
            ok = raw.get("i") == self.item_id[:8] and 0 <= origin <= pos <= snap <= self.seq
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            ok = False
        if not ok:
            raise invalid_field("cursor is not a valid cursor for this item")
        return origin, pos, snap

    def page(self, cursor: str | None, count: int, account_id: str | None = None) -> Page:
        """The next page after ``cursor`` (None or "" = from the beginning)."""
        if not cursor:
            origin = pos = 0
            snap = self.seq
        else:
            origin, pos, snap = self._parse(cursor)
            if pos == snap:  # a resting cursor: a new loop over everything since
                origin, snap = pos, self.seq
            elif snap != self.seq:
                raise PlaidAPIError.of(
                    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
                    "Underlying transaction data changed since last page was fetched. Please restart pagination "
                    "from last update.",
                )
        added: list[Txn] = []
        modified: list[Txn] = []
        removed: list[Txn] = []
        shown = 0
        new_pos = pos
        i = bisect.bisect_right(self._log_seqs, pos)
        end = bisect.bisect_right(self._log_seqs, snap)
        while i < end and shown < count:
            seq, txn = self._log_seqs[i], self.txns[self._log_ids[i]]
            i += 1
            new_pos = seq
            if txn.last_seq != seq or (account_id is not None and txn.account_id != account_id):
                continue  # an older change of a transaction touched again later, or another account
            if txn.removed:
                if txn.created_seq <= origin:  # the caller knew it: tell them it's gone
                    removed.append(txn)
                    shown += 1
                continue
            (added if txn.created_seq > origin else modified).append(txn)
            shown += 1
        # Skip trailing stale entries so has_more is false exactly when nothing else is to be shown.
        while i < end:
            txn = self.txns[self._log_ids[i]]
            visible = txn.last_seq == self._log_seqs[i] and (account_id is None or txn.account_id == account_id)
            if visible and not (txn.removed and txn.created_seq > origin):
                break
            new_pos = self._log_seqs[i]
            i += 1
        has_more = i < end
        if not has_more:
            new_pos = snap
        next_cursor = self.cursor(snap if not has_more else origin, new_pos, snap)
        return Page(added, modified, removed, next_cursor, has_more)
