"""The emulators' own truth, and how a ledger differs from it (the harness's counts).

Expected amounts are computed here from the emulators' state and the providers' documented signs
(Plaid: positive = money out, so negated; Teller: depository as given, credit cards negated),
independently of the providers' normalising code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from fin_infra.emulators.plaid import PlaidBackend
from fin_infra.emulators.teller import TellerBackend
from fin_infra.emulators.teller.changes import posted_id
from fin_infra.emulators.teller.data import HISTORY_DAYS
from fin_infra.models import Transaction


@dataclass(frozen=True)
class Expected:
    account_id: str
    amount: Decimal
    pending: bool
    description: str


@dataclass
class Truth:
    live: dict[str, Expected] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)  # ids the provider once showed and no longer does
    replaced: dict[str, str] = field(default_factory=dict)  # pending id -> posted id
    since: dt.date = dt.date.min  # rows dated earlier are not compared


@dataclass
class Diff:
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    resurrected: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    sign_errors: list[str] = field(default_factory=list)
    inexact: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not any(vars(self).values())

    def line(self) -> str:
        return (f"{len(self.lost)} lost, {len(self.doubled)} doubled, {len(self.stale)} stale, "
                f"{len(self.resurrected)} resurrected, {len(self.sign_errors)} sign errors, "
                f"{len(self.inexact)} inexact amounts, {len(self.extra)} unexplained extra")


def plaid_truth(backend: PlaidBackend, access_token: str) -> Truth:
    item = backend.item_for(access_token, data=False)
    truth = Truth()
    for t in item.ledger.txns.values():
        if t.removed:
            truth.gone.add(t.transaction_id)
        else:
            truth.live[t.transaction_id] = Expected(t.account_id, -t.amount, t.pending, t.name)
            if t.pending_transaction_id:
                truth.replaced[t.pending_transaction_id] = t.transaction_id
    return truth


def teller_horizon(today: dt.date) -> dt.date:
    """The emulator keeps a rolling two years, so rows fall off its far end each day and the first month's
    card payment shifts (an emulator artifact, not a bank change): compare from two months inside it."""
    return today - dt.timedelta(days=HISTORY_DAYS - 62)


def teller_truth(backend: TellerBackend, access_token: str, seen: set[str]) -> Truth:
    """``seen``: every id the emulator has shown so far (the caller keeps adding to it)."""
    truth = Truth(since=teller_horizon(backend._today()))
    for account in backend.accounts(access_token):
        credit = account.template.type == "credit"
        for row in backend.transactions(access_token, account.id)[1]:
            if row.date < truth.since:
                continue
            amount = -row.amount if credit else row.amount
            truth.live[row.id] = Expected(account.id, amount, row.pending, row.description)
    seen.update(truth.live)
    truth.gone = seen - truth.live.keys()
    truth.replaced = {tid: posted_id(tid) for tid in truth.gone}  # a pending row the bank re-issued
    return truth


def compare(ledger: Iterable[Transaction], truth: Truth) -> Diff:
    diff = Diff()
    shown: dict[str, Transaction] = {}
    for t in ledger:
        if t.date < truth.since:
            continue
        if t.id in shown:
            diff.doubled.append(t.id)
        shown[t.id] = t
    for tid, want in truth.live.items():
        got = shown.get(tid)
        if got is None:
            diff.lost.append(tid)
            continue
        if got.amount != want.amount:
            (diff.sign_errors if got.amount == -want.amount and want.amount else diff.inexact).append(tid)
        if (got.pending, got.description, got.account_id) != (want.pending, want.description, want.account_id):
            diff.stale.append(tid)
    for tid in shown.keys() - truth.live.keys():
        if truth.replaced.get(tid) in truth.live:
            diff.doubled.append(tid)  # a pending row shown next to its posted copy
        elif tid in truth.gone:
            diff.resurrected.append(tid)
        else:
            diff.extra.append(tid)
    return diff
