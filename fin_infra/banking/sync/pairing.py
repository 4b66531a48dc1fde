"""Which pending transaction a posted one replaces, when the provider gives the posted one a new id.

Plaid says so itself (``pending_transaction_id``). Teller, and some banks behind any provider, simply
drop the pending row and list the posted one under a new id. A posted row **P** is paired with a pending
row **Q** the ledger holds when all of these hold:

1. same account;
2. exactly the same amount (Decimal, our sign). A pending charge whose amount changes on posting (a tip)
   is not paired: it vanishes from the provider's list and is removed on its own, so it is not doubled
   either;
3. dates at most `PairingRule.max_days` apart (default 5): banks post a few days after authorising;
4. similar descriptions: after upper-casing and splitting on anything that is not a letter or digit, one
   description's words all appear in the other's (banks append a city or a reference on posting), or
   the two share at least `PairingRule.min_overlap` (default half) of their words.

Candidates are pending rows that the provider no longer lists. Among several, the closest date wins,
then the more similar description, then the smaller id; each pending row is paired at most once, posted
rows taken oldest first.

    >>> from fin_infra.models import Transaction
    >>> q = Transaction(id="p", account_id="a", amount="-4.50", date="2026-01-02", description="SQ *CAFE", pending=True)
    >>> p = Transaction(id="n", account_id="a", amount="-4.50", date="2026-01-03", description="SQ *CAFE PORTLAND OR")
    >>> PairingRule().pairs([p], [q])
    {'n': 'p'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fin_infra.models import Transaction

_WORD = re.compile(r"[A-Z0-9]+")


def words(description: str) -> frozenset[str]:
    """The words of a description, upper-cased."""
    return frozenset(_WORD.findall(description.upper()))


def similarity(a: str, b: str) -> float:
    """1.0 when one description's words are all in the other's, else the share of words in common."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 1.0 if a.strip().upper() == b.strip().upper() else 0.0
    if wa <= wb or wb <= wa:
        return 1.0
    return len(wa & wb) / len(wa | wb)


@dataclass(frozen=True)
class PairingRule:
    """The documented rule (module docstring); its two knobs."""

    max_days: int = 5
    min_overlap: float = 0.5

    def matches(self, posted: Transaction, pending: Transaction) -> bool:
        return (
            posted.account_id == pending.account_id
            and posted.amount == pending.amount
            and abs((posted.date - pending.date).days) <= self.max_days
            and similarity(posted.description, pending.description) >= self.min_overlap
        )

    def pairs(self, posted: Iterable[Transaction], pending: Iterable[Transaction]) -> dict[str, str]:
        """posted id -> the pending id it replaces."""
        free = {q.id: q for q in pending if q.pending}
        out: dict[str, str] = {}
        for p in sorted((p for p in posted if not p.pending), key=lambda t: (t.date, t.id)):
            candidates = [q for q in free.values() if self.matches(p, q)]
            if not candidates:
                continue
            best = min(
                candidates,
                key=lambda q: (abs((p.date - q.date).days), -similarity(p.description, q.description), q.id),
            )
            out[p.id] = best.id
            del free[best.id]
        return out
