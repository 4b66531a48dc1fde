"""Incremental sync through /transactions/sync: pages, changes, pending->posted, restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

from fin_infra.models import Transaction
from fin_infra.providers.banking.plaid import PlaidProvider, TransactionsSyncMutationError
from fin_infra.providers.banking.plaid.sync import SyncPage, sync_pages
from fin_infra.testing.plaid import PlaidEmulator


@pytest.fixture
async def small_pages(plaid: PlaidEmulator) -> AsyncIterator[PlaidProvider]:
    provider = PlaidProvider(**plaid.provider_options(), sync_page_size=7, retry_backoff=0.01)
    yield provider
    await provider.aclose()


async def test_full_then_incremental_sync(small_pages: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=10)
    first = await small_pages.sync_transactions(token)  # 30 transactions in pages of 7
    assert len(first.added) == 30 and first.modified == [] and first.removed == []
    store = {t.id: t for t in first.added}

    nothing = await small_pages.sync_transactions(token, first.next_cursor)
    assert (nothing.added, nothing.modified, nothing.removed) == ([], [], [])

    pending = {t.id for t in store.values() if t.pending}
    assert pending
    plaid.backend.refresh(token)  # pendings post, the newest purchase grows by $1, a new pending appears
    changes = await small_pages.sync_transactions(token, nothing.next_cursor)
    assert set(changes.removed) == pending
    posted = [t for t in changes.added if t.pending_transaction_id]
    assert {t.pending_transaction_id for t in posted} == pending
    [modified] = changes.modified
    assert modified.amount == store[modified.id].amount - Decimal("1.00")  # $1 more spent: more negative

    for tid in changes.removed:
        store.pop(tid, None)
    store.update({t.id: t for t in (*changes.added, *changes.modified)})
    full = await small_pages.sync_transactions(token)
    assert store.keys() == {t.id for t in full.added}  # incremental == from scratch
    assert store[modified.id].amount == next(t for t in full.added if t.id == modified.id).amount


async def test_pending_that_posts_appears_once(small_pages: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=10)
    before = await small_pages.get_transactions(token)
    plaid.backend.post_pending(token)
    after = await small_pages.get_transactions(token)
    assert len(after) == len(before)
    assert not any(t.pending for t in after)
    ids = {t.id for t in after}
    assert not any(t.pending_transaction_id in ids for t in after)


async def test_mutation_during_pagination_restarts_the_loop(small_pages: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=10)
    # hold the second page in the emulator; change the data while it waits
    fault = plaid.backend.inject_fault(endpoint="/transactions/sync", latency=0.5, skip=1)
    task = asyncio.create_task(small_pages.sync_transactions(token))
    for _ in range(200):
        if fault not in plaid.backend.faults:
            break
        await asyncio.sleep(0.01)
    assert fault not in plaid.backend.faults, "the second page never reached the emulator"
    late = plaid.backend.add_transaction(token, "9.99", "LATE ARRIVAL")
    result = await task
    ids = [t.id for t in result.added]
    assert len(ids) == len(set(ids)) == 31 and late.transaction_id in ids


async def test_persistent_mutations_give_up_with_a_clear_error(plaid: PlaidEmulator) -> None:
    provider = PlaidProvider(**plaid.provider_options(), sync_page_size=7)
    token = plaid.create_access_token(days_requested=10)
    plaid.backend.inject_fault(
        "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", endpoint="/transactions/sync", times=None
    )
    with pytest.raises(TransactionsSyncMutationError) as info:
        await provider.sync_transactions(token)
    assert info.value.code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION" and info.value.http_status == 503
    plaid.backend.clear_faults()
    await provider.aclose()


# --- the folding rules on their own --------------------------------------------------------------


def _t(tid: str, amount: str = "-1.00", pending_of: str | None = None, pending: bool = False) -> Transaction:
    return Transaction(
        id=tid,
        account_id="a",
        amount=amount,
        date=dt.date(2026, 1, 1),
        description=tid,
        pending=pending,
        pending_transaction_id=pending_of,
    )


async def _fold(*pages: SyncPage) -> tuple[list[str], list[str], list[str], str]:
    it = iter(pages)

    async def fetch(cursor: str | None) -> dict[str, Any]:
        page = next(it)
        return {"page": page, "next_cursor": page.next_cursor, "has_more": page.has_more}

    async def to_page(raw: Mapping[str, Any]) -> SyncPage:
        page: SyncPage = raw["page"]
        return page

    r = await sync_pages(fetch, to_page)
    return [t.id for t in r.added], [t.id for t in r.modified], r.removed, r.next_cursor


async def test_fold_rules() -> None:
    added, modified, removed, cursor = await _fold(
        SyncPage([_t("new"), _t("gone-soon"), _t("p1", pending=True)], [_t("old")], ["old-removed"], "c1", True),
        SyncPage([], [_t("new", "-2.00"), _t("old", "-3.00")], ["gone-soon"], "c2", True),
        SyncPage([_t("posted", pending_of="p1"), _t("posted2", pending_of="p-known")], [], [], "c3", False),
    )
    assert added == ["new", "posted", "posted2"]  # gone-soon was never seen by the caller: dropped; p1 replaced
    assert modified == ["old"]
    assert removed == ["old-removed", "p-known"]  # a posted transaction retires the pending one the caller has
    assert cursor == "c3"
