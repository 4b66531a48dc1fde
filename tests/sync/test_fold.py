"""The fold: how staged changes become the ledger (pure; unit cases and hypothesis properties)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fin_infra.banking.sync import Batch, LedgerEntry, Removal, fold
from fin_infra.banking.sync.fold import touched_ids
from fin_infra.models import Transaction

EXAMPLES = int(os.environ.get("FIN_INFRA_HYPOTHESIS_EXAMPLES", "100"))


def txn(tid: str, amount: str = "-1.00", *, pending: bool = False, replaces: str | None = None) -> Transaction:
    return Transaction(
        id=tid, account_id="acc", amount=amount, date=dt.date(2026, 1, 2), description=f"shop {tid}",
        pending=pending, pending_transaction_id=replaces,
    )


def apply(before: dict[str, LedgerEntry], batches: list[Batch]) -> dict[str, LedgerEntry]:
    changed, _ = fold({i: before[i] for i in touched_ids(batches) if i in before}, batches)
    return {**before, **changed}


def live(state: dict[str, LedgerEntry]) -> dict[str, Transaction]:
    return {i: e.txn for i, e in state.items() if not e.removed and e.txn is not None}


def test_added_then_modified_in_one_run_counts_once_as_added() -> None:
    changed, counts = fold({}, [Batch(upserts=[txn("a")]), Batch(upserts=[txn("a", "-2.00")])])
    assert (counts.added, counts.modified, counts.removed) == (1, 0, 0)
    assert changed["a"].txn is not None and changed["a"].txn.amount == Decimal("-2.00")


def test_removed_row_is_kept_and_never_resurrected_by_a_late_page() -> None:
    state = apply({}, [Batch(upserts=[txn("a")])])
    state = apply(state, [Batch(removals=[Removal("a")])])
    assert state["a"].removed and state["a"].txn is not None  # kept, with its last data
    late = apply(state, [Batch(upserts=[txn("a", "-9.99")])])
    assert late["a"].removed and late["a"].txn == state["a"].txn
    _, counts = fold({"a": state["a"]}, [Batch(upserts=[txn("a", "-9.99")])])
    assert (counts.added, counts.modified, counts.removed) == (0, 0, 0)


def test_posted_row_replaces_its_pending_row_whichever_arrives_first() -> None:
    pending, posted = txn("p", pending=True), txn("q", replaces="p")
    orders = ([Batch(upserts=[pending]), Batch(upserts=[posted])], [Batch(upserts=[posted]), Batch(upserts=[pending])])
    for order in orders:
        state = apply({}, order)
        assert set(live(state)) == {"q"}
        assert state["p"].removed and state["p"].replaced_by == "q"


def test_pending_replaced_in_a_later_run_counts_as_removed() -> None:
    state = apply({}, [Batch(upserts=[txn("p", pending=True)])])
    _, counts = fold({"p": state["p"]}, [Batch(upserts=[txn("q", replaces="p")]), Batch(removals=[Removal("p")])])
    assert (counts.added, counts.modified, counts.removed) == (1, 0, 1)


def test_removal_of_an_unknown_id_leaves_a_tombstone() -> None:
    changed, counts = fold({}, [Batch(removals=[Removal("ghost", "acc")])])
    assert changed["ghost"] == LedgerEntry("ghost", "acc", None, True, None)
    assert (counts.added, counts.modified, counts.removed) == (0, 0, 0)
    assert live(apply(changed, [Batch(upserts=[txn("ghost")])])) == {}


def test_identical_upsert_changes_nothing_and_a_forgotten_link_is_kept() -> None:
    state = apply({}, [Batch(upserts=[txn("q", replaces="p")])])
    changed, counts = fold({"q": state["q"]}, [Batch(upserts=[txn("q")])])  # re-read without the link
    assert changed == {} and (counts.added, counts.modified, counts.removed) == (0, 0, 0)


def test_raw_payload_change_is_a_modification() -> None:
    state = apply({}, [Batch(upserts=[txn("a")])])
    newer = txn("a").model_copy(update={"raw": {"running_balance": "10.00"}})
    changed, counts = fold({"a": state["a"]}, [Batch(upserts=[newer])])
    assert counts.modified == 1 and changed["a"].txn is not None and changed["a"].txn.raw == newer.raw


# --- properties ------------------------------------------------------------------------------------------

IDS = st.sampled_from([f"t{i}" for i in range(8)])
AMOUNTS = st.sampled_from(["-1.00", "-2.50", "3.00", "-0.01"])
UPSERTS = st.builds(
    lambda tid, amount, pending, replaces: txn(
        tid, amount, pending=pending, replaces=replaces if replaces != tid else None
    ),
    IDS, AMOUNTS, st.booleans(), st.none() | IDS,
)
BATCHES = st.lists(
    st.builds(lambda u, r: Batch(upserts=u, removals=[Removal(i) for i in r]), st.lists(UPSERTS, max_size=4),
              st.lists(IDS, max_size=2)),
    max_size=6,
)


def oracle(batches: list[Batch]) -> dict[str, Transaction]:
    """Written from the rules, independently of fold: removed (or replaced) ever -> gone; else last upsert."""
    gone: set[str] = set()
    last: dict[str, Transaction] = {}
    for batch in batches:
        for t in batch.upserts:
            if t.pending_transaction_id:
                gone.add(t.pending_transaction_id)
            if t.id not in gone:
                prior = last.get(t.id)
                if prior is not None and prior.pending_transaction_id and t.pending_transaction_id is None:
                    t = t.model_copy(update={"pending_transaction_id": prior.pending_transaction_id})
                last[t.id] = t
        gone.update(r.id for r in batch.removals)
    return {i: t for i, t in last.items() if i not in gone}


@settings(max_examples=EXAMPLES, deadline=None)
@given(BATCHES)
def test_fold_matches_the_rules(batches: list[Batch]) -> None:
    assert live(apply({}, batches)) == oracle(batches)


@settings(max_examples=EXAMPLES, deadline=None)
@given(BATCHES, BATCHES)
def test_committing_in_two_steps_equals_one_commit(first: list[Batch], second: list[Batch]) -> None:
    assert apply(apply({}, first), second) == apply({}, [*first, *second])


@settings(max_examples=EXAMPLES, deadline=None)
@given(BATCHES, BATCHES)
def test_replaying_a_run_changes_nothing_and_removed_stays_removed(first: list[Batch], later: list[Batch]) -> None:
    state = apply({}, first)
    again, counts = fold({i: state[i] for i in touched_ids(first) if i in state}, first)
    assert again == {} and (counts.added, counts.modified, counts.removed) == (0, 0, 0)
    after = apply(state, later)
    assert all(after[i].removed for i, e in state.items() if e.removed)


@settings(max_examples=EXAMPLES, deadline=None)
@given(BATCHES, BATCHES)
def test_counts_describe_the_change_of_the_live_ledger(first: list[Batch], second: list[Batch]) -> None:
    state = apply({}, first)
    _, counts = fold({i: state[i] for i in touched_ids(second) if i in state}, second)
    before, after = live(state), live(apply(state, second))
    assert counts.added == len(after.keys() - before.keys())
    assert counts.removed == len(before.keys() - after.keys())
    assert counts.modified == sum(1 for i in before.keys() & after.keys() if before[i] != after[i])
