"""Window reconciliation and the pending/posted pairing rule (memory store, no provider)."""

from __future__ import annotations

import datetime as dt

import pytest

from fin_infra.banking.sync import Batch, Commit, MemoryLedgerStore, PairingRule, reconcile_window
from fin_infra.banking.sync.pairing import similarity
from fin_infra.models import Transaction

START, END = dt.date(2026, 1, 1), dt.date(2026, 1, 31)


def txn(tid: str, amount: str = "-4.50", day: int = 20, desc: str = "SQ *CAFE", *, pending: bool = False,
        account: str = "acc") -> Transaction:
    return Transaction(id=tid, account_id=account, amount=amount, date=dt.date(2026, 1, day), description=desc,
                       pending=pending)


async def ledger_with(*txns: Transaction) -> MemoryLedgerStore:
    store = MemoryLedgerStore()
    await store.stage("c", "r0", Batch(upserts=list(txns)))
    await store.commit("c", "r0", Commit("window:2026-01-20"))
    return store


async def reconcile(store: MemoryLedgerStore, fetched: list[Transaction], start: dt.date = START) -> list[Transaction]:
    batch = await reconcile_window(store, "c", "acc", start, END, fetched)
    await store.stage("c", "r1", batch)
    await store.commit("c", "r1", Commit("window:2026-01-31"))
    return store.transactions("c")


async def test_new_changed_and_vanished_pending_rows() -> None:
    store = await ledger_with(txn("keep"), txn("change"), txn("gone", pending=True, desc="UBER TRIP", amount="-9.00"))
    result = await reconcile(store, [txn("keep"), txn("change", "-5.00"), txn("new", day=21, desc="BOOKS")])
    assert {t.id: t.amount for t in result} == {"keep": txn("keep").amount, "change": txn("change", "-5.00").amount,
                                                 "new": txn("new").amount}
    assert store.all_entries("c")["gone"].removed


async def test_posted_row_missing_from_the_answer_is_kept() -> None:
    store = await ledger_with(txn("posted"))
    assert [t.id for t in await reconcile(store, [])] == ["posted"]


async def test_rows_outside_the_window_are_left_alone() -> None:
    store = await ledger_with(txn("old", day=2, pending=True))
    assert [t.id for t in await reconcile(store, [], start=dt.date(2026, 1, 10))] == ["old"]


async def test_posted_under_new_id_replaces_its_pending_row() -> None:
    store = await ledger_with(txn("pend", day=20, pending=True))
    posted = txn("post", day=22, desc="SQ *CAFE PORTLAND OR")
    result = await reconcile(store, [posted])
    assert [(t.id, t.pending_transaction_id) for t in result] == [("post", "pend")]
    entry = store.all_entries("c")["pend"]
    assert entry.removed and entry.replaced_by == "post"
    # The next read doesn't repeat the link: it is kept, and nothing counts as modified.
    batch = await reconcile_window(store, "c", "acc", START, END, [posted])
    assert not batch


async def test_pending_older_than_the_window_is_still_paired() -> None:
    store = await ledger_with(txn("pend", day=8, pending=True))
    result = await reconcile(store, [txn("post", day=11, desc="SQ *CAFE 0042")], start=dt.date(2026, 1, 10))
    assert [(t.id, t.pending_transaction_id) for t in result] == [("post", "pend")]


@pytest.mark.parametrize(
    ("posted", "why"),
    [
        (txn("post", "-5.00", desc="SQ *CAFE"), "amount differs (a tip)"),
        (txn("post", day=27, desc="SQ *CAFE"), "more than five days apart"),
        (txn("post", desc="SHELL OIL 5744"), "another merchant"),
        (txn("post", desc="SQ *CAFE", account="other"), "another account"),
    ],
)
def test_pairing_rule_refuses(posted: Transaction, why: str) -> None:
    assert PairingRule().pairs([posted], [txn("pend", pending=True)]) == {}, why


def test_pairing_prefers_the_closest_date_and_pairs_each_pending_once() -> None:
    pend = [txn("p1", day=18, pending=True), txn("p2", day=20, pending=True)]
    posted = [txn("a", day=20), txn("b", day=21)]
    assert PairingRule().pairs(posted, pend) == {"a": "p2", "b": "p1"}


def test_similarity() -> None:
    assert similarity("SQ *RIVERSIDE COFFEE", "SQ *RIVERSIDE COFFEE PORTLAND OR") == 1.0
    assert similarity("Whole Foods Market", "WHOLE FOODS MARKET") == 1.0
    assert similarity("AMAZON MKTPLACE", "SHELL OIL") == 0.0
