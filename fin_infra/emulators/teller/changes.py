"""Changes to an enrollment's transactions, over the seeded data: what a sync engine must follow.

A mixin of `fin_infra.emulators.teller.models.TellerBackend`. The seeded rows (`data.generate`) already
move with the emulator's ``today``: each new day brings new pending rows, and the day before yesterday's
rows post. On top of that, tests can:

- `add_transaction`: a purchase of their own (pending while its date is today or yesterday, like the
  seeded rows);
- `modify_transaction`: change a row's amount (a tip added to a pending charge) or description;
- `remove_transaction`: drop a row (an authorization that never posts);
- `post_under_new_id`: make an enrollment's bank post rows under a **new id**, as some banks do: the
  pending row simply disappears and the posted one appears with another id, its description longer
  (the bank appends the city, e.g. ``"SQ *RIVERSIDE COFFEE"`` -> ``"SQ *RIVERSIDE COFFEE PORTLAND OR"``),
  same amount and date. Teller has no "removed" feed: a client only notices by absence.
- `churn`: one day of random changes of those kinds (seeded ``random.Random``), for long simulations.

Changes are keyed by the row's *base* id (its id while pending), so they survive posting.

    >>> from fin_infra.emulators.teller import TellerBackend
    >>> backend = TellerBackend()
    >>> token = backend.enroll()["accessToken"]
    >>> account = backend.accounts(token)[0]
    >>> txn_id = backend.add_transaction(account.id, "-4.50", "CORNER CAFE")
    >>> backend.transaction(token, account.id, txn_id)[1].pending
    True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from fin_infra.emulators.teller import data

if TYPE_CHECKING:
    from fin_infra.emulators.teller.models import Account, Enrollment

POSTED_SUFFIX = " PORTLAND OR"  # what a bank posting under a new id appends to the description


@dataclass
class _Draft:
    """A row a test added: its status follows its date like a seeded row's."""

    base_id: str
    date: dt.date
    amount: Decimal
    description: str
    type: str
    category: str | None


@dataclass
class _AccountChanges:
    added: dict[str, _Draft] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)


@dataclass
class _State:
    accounts: dict[str, _AccountChanges] = field(default_factory=dict)
    new_id_on_post: set[str] = field(default_factory=set)  # enrollment ids
    counter: int = 0
    version: int = 0  # bumped by every change: the key of `cache`
    cache: dict[tuple[str, dt.date, int], tuple[list[tuple[str, data.Row]], Decimal, Decimal]] = field(
        default_factory=dict
    )


def posted_id(base_id: str) -> str:
    """The id a bank that posts under a new id gives the posted copy of pending row ``base_id``."""
    return data.teller_id("txn", base_id, "posted")


class TellerChanges:
    """Add, modify, remove and re-id transactions on top of the seeded data (see the module docstring)."""

    _lock: threading.RLock
    _today: Callable[[], dt.date]
    enrollments: dict[str, Enrollment]

    @property
    def _changes(self) -> _State:
        state: _State | None = self.__dict__.get("_changes_state")
        if state is None:
            state = self.__dict__.setdefault("_changes_state", _State())
        return state

    def forget_changes(self) -> None:
        """Drop every change (part of ``reset()``)."""
        self.__dict__["_changes_state"] = _State()

    def _find_account(self, account_id: str) -> Account:
        for enrollment in self.enrollments.values():
            for account in enrollment.accounts:
                if account.id == account_id:
                    return account
        raise KeyError(account_id)

    def _base_id(self, account: Account, transaction_id: str) -> str:
        for base, row in self._view(account):
            if row.id == transaction_id:
                return base
        raise KeyError(transaction_id)

    # --- what tests call ------------------------------------------------------------------------

    def post_under_new_id(self, enrollment_id: str, enabled: bool = True) -> None:
        """From now on, the enrollment's posted rows carry a new id (set it right after enrolling)."""
        with self._lock:
            if enrollment_id not in self.enrollments:
                raise KeyError(enrollment_id)
            state = self._touch()
            (state.new_id_on_post.add if enabled else state.new_id_on_post.discard)(enrollment_id)

    def add_transaction(
        self,
        account_id: str,
        amount: Decimal | str,
        description: str,
        *,
        date: dt.date | None = None,
        type: str = "card_payment",
        category: str | None = "general",
    ) -> str:
        """Add a row in Teller's signs (depository money out negative, card charges positive); its id."""
        with self._lock:
            self._find_account(account_id)
            state = self._touch()
            state.counter += 1
            base = data.teller_id("txn", account_id, "added", state.counter)
            draft = _Draft(base, date or self._today(), Decimal(amount), description, type, category)
            state.accounts.setdefault(account_id, _AccountChanges()).added[base] = draft
            return base

    def modify_transaction(
        self,
        account_id: str,
        transaction_id: str,
        *,
        amount: Decimal | str | None = None,
        description: str | None = None,
    ) -> None:
        """Change a row's amount and/or description (by its current id)."""
        with self._lock:
            account = self._find_account(account_id)
            base = self._base_id(account, transaction_id)
            changes = self._touch().accounts.setdefault(account_id, _AccountChanges())
            if amount is not None:
                changes.amounts[base] = Decimal(amount)
            if description is not None:
                changes.descriptions[base] = description

    def remove_transaction(self, account_id: str, transaction_id: str) -> None:
        """Drop a row (by its current id): it is gone from every list from now on."""
        with self._lock:
            account = self._find_account(account_id)
            base = self._base_id(account, transaction_id)
            self._touch().accounts.setdefault(account_id, _AccountChanges()).removed.add(base)

    def churn(self, enrollment_id: str, rng: random.Random) -> dict[str, int]:
        """One day of changes on an enrollment's open accounts: a new pending purchase or two, a tip on
        a pending charge, a dropped authorization, a merchant name cleaned up. Returns what it did."""
        done = {"added": 0, "modified": 0, "removed": 0}
        with self._lock:
            accounts = [a for a in self.enrollments[enrollment_id].accounts if a.status == "open"]
            for _ in range(rng.choice((0, 1, 1, 2))):
                account = rng.choice(accounts)
                cents = Decimal(rng.randint(250, 9000)) / 100
                amount = cents if account.template.type == "credit" else -cents
                self.add_transaction(account.id, amount, rng.choice(("CORNER CAFE", "BOOKSHOP 12", "PARKING 77")))
                done["added"] += 1
            views = [(a, base, row) for a in accounts for base, row in self._view(a)]
            pending = [v for v in views if v[2].pending]
            if pending and rng.random() < 0.5:
                account, base, row = rng.choice(pending)
                tip = Decimal(rng.randint(50, 500)) / 100
                self._touch().accounts.setdefault(account.id, _AccountChanges()).amounts[base] = (
                    row.amount + tip if row.amount > 0 else row.amount - tip
                )
                done["modified"] += 1
            pending = [v for v in views if v[2].pending and v[1] not in self._removed(v[0])]
            if pending and rng.random() < 0.3:
                account, base, _ = rng.choice(pending)
                self._touch().accounts.setdefault(account.id, _AccountChanges()).removed.add(base)
                done["removed"] += 1
            recent = self._today() - dt.timedelta(days=10)
            posted = [v for v in views if not v[2].pending and v[2].date >= recent]
            if posted and rng.random() < 0.3:
                account, base, row = rng.choice(posted)
                self._touch().accounts.setdefault(account.id, _AccountChanges()).descriptions[base] = (
                    row.description.title()
                )
                done["modified"] += 1
        return done

    # --- applied to the seeded rows -----------------------------------------------------------------

    def _removed(self, account: Account) -> set[str]:
        changes = self._changes.accounts.get(account.id)
        return changes.removed if changes else set()

    def _view(self, account: Account) -> list[tuple[str, data.Row]]:
        """(base id, row as shown) for every row of the account, newest first, changes applied."""
        return self._changed(account, self._seeded_rows(account)[0])[0]

    def _seeded_rows(self, account: Account) -> tuple[list[data.Row], Decimal, Decimal]:
        raise NotImplementedError

    def apply_changes(
        self, account: Account, rows: list[data.Row], ledger: Decimal, pending: Decimal
    ) -> tuple[list[data.Row], Decimal, Decimal]:
        """The seeded ``rows`` (newest first) with this account's changes; ledger and pending totals follow."""
        with self._lock:
            if account.id not in self._changes.accounts and account.enrollment_id not in self._changes.new_id_on_post:
                return rows, ledger, pending
            view, delta_posted, delta_pending = self._changed(account, rows)
        return [row for _, row in view], ledger + delta_posted, pending + delta_pending

    def _touch(self) -> _State:
        state = self._changes
        state.version += 1
        state.cache.clear()
        return state

    def _changed(self, account: Account, rows: list[data.Row]) -> tuple[list[tuple[str, data.Row]], Decimal, Decimal]:
        # The seeded rows are a function of (account, day): with the change version, that is the key.
        key = (account.id, self._today(), self._changes.version)
        cached = self._changes.cache.get(key)
        if cached is None:
            cached = self._changes.cache[key] = self._compute(account, rows)
        return cached

    def _compute(self, account: Account, rows: list[data.Row]) -> tuple[list[tuple[str, data.Row]], Decimal, Decimal]:
        changes = self._changes.accounts.get(account.id) or _AccountChanges()
        new_ids = account.enrollment_id in self._changes.new_id_on_post
        pending_from = self._today() - dt.timedelta(days=data.PENDING_DAYS - 1)
        added = [
            data.Row(d.base_id, d.date, d.amount, d.description, d.type, d.category, None, None, None,
                     d.date >= pending_from)
            for d in changes.added.values()
            if d.date <= self._today()
        ]
        out: list[tuple[str, data.Row]] = []
        delta_posted = delta_pending = Decimal(0)
        for row in sorted([*rows, *added], key=lambda r: r.date, reverse=True):  # stable: seeded order kept
            base = row.id
            removed = base in changes.removed
            amount = changes.amounts.get(base, row.amount)
            delta = (Decimal(0) if removed else amount) - (Decimal(0) if base in changes.added else row.amount)
            if row.pending:
                delta_pending += delta
            else:
                delta_posted += delta
            if removed:
                continue
            shown = row
            if amount != row.amount or base in changes.descriptions:
                shown = dataclasses.replace(
                    row, amount=amount, description=changes.descriptions.get(base, row.description),
                    running_balance=None,
                )
            if new_ids and not row.pending:
                shown = dataclasses.replace(shown, id=posted_id(base), description=shown.description + POSTED_SUFFIX)
            out.append((base, shown))
        return out, delta_posted, delta_pending
