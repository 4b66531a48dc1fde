"""``/transactions/sync`` paging: one consistent set of changes from a cursor.

`sync_pages` asks for pages until ``has_more`` is false and folds them into one `SyncResult`:
a transaction added then modified in the same run is reported once, as added, in its last state; one
added then removed is not reported at all; a posted transaction replaces the pending one it names in
``pending_transaction_id`` (that id is reported removed, even before Plaid's own removal arrives, so a
pending purchase never shows next to its posted twin). If Plaid reports
``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`` the run restarts from its first cursor, as Plaid asks.
Only the final cursor is returned: persist it and pass it back for the next incremental sync.

The next page is requested as soon as a page's JSON arrives, so normalising one page overlaps with
Plaid preparing the next.

    >>> result = SyncResult(added=[], modified=[], removed=[], next_cursor="c1")
    >>> result.next_cursor
    'c1'
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fin_infra.models import Transaction
from fin_infra.models._trusted import trusted
from fin_infra.providers.banking.plaid.errors import TransactionsSyncMutationError

log = logging.getLogger("fin_infra.plaid")
MAX_RESTARTS = 5


class SyncResult(BaseModel):
    """The changes since a cursor, and the cursor to sync from next time.

    Apply them in order: upsert ``added`` and ``modified`` by id, delete the ids in ``removed``
    (an id you don't know is fine to ignore: deletes are idempotent).
    """

    model_config = ConfigDict(frozen=True)

    added: list[Transaction]
    modified: list[Transaction]
    removed: list[str] = Field(description="ids of transactions that no longer exist")
    next_cursor: str = Field(description="pass back as cursor= for the next incremental sync")


@dataclass(frozen=True)
class SyncPage:
    """One ``/transactions/sync`` page, normalised."""

    added: list[Transaction]
    modified: list[Transaction]
    removed: list[str]
    next_cursor: str
    has_more: bool


RawPage = Mapping[str, Any]
FetchPage = Callable[[str | None], Awaitable[RawPage]]
ToPage = Callable[[RawPage], Awaitable[SyncPage]]


class _Fold:
    def __init__(self) -> None:
        self.added: dict[str, Transaction] = {}
        self.modified: dict[str, Transaction] = {}
        self.removed: dict[str, None] = {}

    def apply(self, page: SyncPage) -> None:
        for t in page.added:
            self.removed.pop(t.id, None)
            self.added[t.id] = t
        for t in page.modified:
            if t.id in self.added:
                self.added[t.id] = t
            else:
                self.modified[t.id] = t
        for tid in page.removed:
            if self.added.pop(tid, None) is None:  # known to the caller before this run: tell them
                self.modified.pop(tid, None)
                self.removed[tid] = None

    def result(self, cursor: str) -> SyncResult:
        replaced = {t.pending_transaction_id for t in self.added.values() if t.pending_transaction_id}
        for tid in replaced:
            if tid is not None and self.added.pop(tid, None) is None:
                self.modified.pop(tid, None)
                self.removed[tid] = None
        # every item is a Transaction built by the normaliser: validating 10,000 of them again is a long stall
        values = {
            "added": list(self.added.values()),
            "modified": list(self.modified.values()),
            "removed": list(self.removed),
            "next_cursor": cursor,
        }
        return trusted(SyncResult, values)


async def _settle(task: asyncio.Future[Any] | None) -> None:
    # A prefetch we no longer want: cancel it, and never leave its error unretrieved.
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


async def sync_pages(
    fetch: FetchPage, to_page: ToPage, cursor: str | None = None, *, max_restarts: int = MAX_RESTARTS
) -> SyncResult:
    """Page from ``cursor`` (None: the whole history) to the end; see the module docstring."""
    restarts = 0
    while True:
        fold = _Fold()
        ahead: asyncio.Future[RawPage] | None = asyncio.ensure_future(fetch(cursor))
        try:
            while ahead is not None:
                raw = await ahead
                ahead = None
                next_cursor = str(raw.get("next_cursor") or "")
                if raw.get("has_more"):
                    ahead = asyncio.ensure_future(fetch(next_cursor))
                fold.apply(await to_page(raw))
            return fold.result(next_cursor)
        except TransactionsSyncMutationError:
            if restarts >= max_restarts:
                raise
            restarts += 1
            log.info("plaid transactions changed during pagination; restarting sync (%d)", restarts)
        finally:
            await _settle(ahead)
