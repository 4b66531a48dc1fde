"""Changes to an Item's transactions, as Plaid's dynamic sandbox user makes them: what
``/transactions/refresh`` and the test helpers make visible through ``/transactions/sync``.

A mixin of `fin_infra.emulators.plaid.models.PlaidBackend`:

    >>> from fin_infra.emulators.plaid import PlaidBackend
    >>> backend = PlaidBackend()
    >>> token, _ = backend.exchange_public_token(backend.create_public_token("ins_109508", ["transactions"]))
    >>> [t.pending for t in backend.post_pending(token)][:1]
    [False]
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from fin_infra.emulators.plaid.data import MERCHANTS, Txn, plaid_id

if TYPE_CHECKING:
    from fin_infra.emulators.plaid.models import Item


class TransactionChanges:
    """Add, modify, remove and post transactions of an Item (each change is one ledger sequence step)."""

    lock: threading.RLock
    today: Callable[[], dt.date]

    def item_for(self, access_token: object, *, data: bool = True) -> Item:
        raise NotImplementedError

    def post_pending(self, access_token: str) -> list[Txn]:
        """Post every pending transaction: the pending one is removed, a posted one (pointing back to
        it through ``pending_transaction_id``) is added. Returns the posted transactions."""
        with self.lock:
            item = self.item_for(access_token, data=False)
            pending = [t for t in item.ledger.txns.values() if t.pending and not t.removed]
            return [self.post_transaction(access_token, t.transaction_id) for t in pending]

    def post_transaction(self, access_token: str, transaction_id: str, *, amount: Decimal | str | None = None) -> Txn:
        """Post one pending transaction as Plaid reports it: the pending id is removed and a posted
        transaction is added with ``pending_transaction_id`` naming it (``amount``: the posted amount,
        e.g. with a tip; default unchanged). Returns the posted transaction."""
        with self.lock:
            item = self.item_for(access_token, data=False)
            txn = item.ledger.txns[transaction_id]
            if not txn.pending or txn.removed:
                raise ValueError(f"transaction {transaction_id} is not a live pending transaction")
            item.ledger.remove(txn)
            new = Txn(
                **{
                    **txn.__dict__,
                    "transaction_id": plaid_id(txn.transaction_id, "posted"),
                    "pending": False,
                    "pending_transaction_id": txn.transaction_id,
                    "removed": False,
                    "amount": txn.amount if amount is None else Decimal(amount),
                }
            )
            item.ledger.add(new)
            return new

    def churn(self, access_token: str, rng: random.Random) -> dict[str, int]:
        """One day of changes like a live Item's: most pending transactions post (some with a tip), a
        few new ones appear (half of them pending), an amount is corrected, now and then a posted
        transaction is removed (a reversal). Each is one ledger change, seen by ``/transactions/sync``
        from then on; send ``SYNC_UPDATES_AVAILABLE`` (``/sandbox/item/fire_webhook``) to tell the app."""
        done = {"added": 0, "modified": 0, "removed": 0, "posted": 0}
        with self.lock:
            item = self.item_for(access_token, data=False)
            for txn in sorted((t for t in item.ledger.txns.values() if t.pending and not t.removed),
                              key=lambda t: t.transaction_id):
                if rng.random() < 0.7:
                    tip = Decimal(rng.choice((0, 0, 0, rng.randint(50, 400)))) / 100
                    self.post_transaction(access_token, txn.transaction_id, amount=txn.amount + tip)
                    done["posted"] += 1
            for _ in range(rng.choice((0, 1, 2, 3))):
                amount = (Decimal(rng.randint(150, 20000)) / 100) * (1 if rng.random() < 0.9 else -1)
                account_index = rng.randrange(len(item.accounts))
                self.add_transaction(access_token, amount, rng.choice(("CORNER CAFE", "BOOKSHOP 12", "PAYROLL")),
                                     pending=rng.random() < 0.5, account_index=account_index)
                done["added"] += 1
            live = sorted((t for t in item.ledger.txns.values() if not t.removed), key=lambda t: t.transaction_id)
            recent = [t for t in live if t.date >= self.today() - dt.timedelta(days=14)]
            if recent and rng.random() < 0.5:
                txn = rng.choice(recent)
                self.modify_transaction(access_token, txn.transaction_id, amount=txn.amount + Decimal("1.00"))
                done["modified"] += 1
            posted = [t for t in recent if not t.pending]
            if posted and rng.random() < 0.2:
                self.remove_transaction(access_token, rng.choice(posted).transaction_id)
                done["removed"] += 1
        return done

    def add_transaction(
        self,
        access_token: str,
        amount: Decimal | str,
        description: str,
        *,
        date: dt.date | None = None,
        pending: bool = False,
        account_index: int = 0,
        authorized_date: dt.date | None = None,
        currency: str = "USD",
    ) -> Txn:
        """Add one transaction (Plaid's sign: positive = money out) to the Item; ``date`` is the posted
        date, ``authorized_date`` (default ``date``) when it was made."""
        with self.lock:
            item = self.item_for(access_token, data=False)
            merchant = MERCHANTS[0]
            n = len(item.ledger.txns)
            txn = Txn(
                transaction_id=plaid_id(item.seed, "added", str(n)),
                account_id=item.accounts[account_index].account_id,
                amount=Decimal(amount),
                date=date or self.today(),
                authorized_date=authorized_date or date or self.today(),
                name=description,
                merchant_name=None,
                category=merchant.category,
                category_id=merchant.category_id,
                pfc=merchant.pfc,
                payment_channel="other",
                pending=pending,
                currency=currency,
            )
            item.ledger.add(txn)
            return txn

    def modify_transaction(self, access_token: str, transaction_id: str, *, amount: Decimal | str) -> Txn:
        with self.lock:
            item = self.item_for(access_token, data=False)
            txn = item.ledger.txns[transaction_id]
            txn.amount = Decimal(amount)
            item.ledger.modify(txn)
            return txn

    def remove_transaction(self, access_token: str, transaction_id: str) -> None:
        with self.lock:
            item = self.item_for(access_token, data=False)
            item.ledger.remove(item.ledger.txns[transaction_id])

    def refresh(self, access_token: str) -> None:
        """``/transactions/refresh``, like Plaid's dynamic sandbox user: pendings post, a new pending
        purchase appears, and the newest posted purchase's amount grows by $1.00."""
        with self.lock:
            item = self.item_for(access_token)
            posted = [t for t in item.ledger.txns.values() if not t.removed and not t.pending and t.amount > 0]
            self.post_pending(access_token)
            if posted:
                newest = max(posted, key=lambda t: (t.date, t.last_seq))
                self.modify_transaction(access_token, newest.transaction_id, amount=newest.amount + 1)
            self.add_transaction(access_token, "12.34", "SANDBOX REFRESH PURCHASE", pending=True)
