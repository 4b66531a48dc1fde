"""One sync run of one connection: read the provider, stage, commit with the cursor in one transaction.

`run_sync` is the provider-independent core; `fin_infra.banking.sync.sync_connection` wraps it with the
connection's token, the run record, the lock and the connection's status.

- A `CursorSource` is paged from the saved cursor; every page is staged as it arrives (nothing held in
  memory); a `TransactionsSyncMutationError` discards the staging and restarts from the saved cursor (at
  most ``max_restarts`` times). The final cursor is committed with the rows.
- A `WindowSource` is read account by account over the overlap window (``overlap_days`` before the day
  the last run synced through; the first run reads ``first_sync_days`` back) and reconciled
  (`window.reconcile_window`); the day synced through is the committed cursor (``"window:YYYY-MM-DD"``).
- Any error discards what the run staged: the ledger stays as the last completed run left it.

    >>> import asyncio
    >>> from fin_infra.banking import easy_banking
    >>> from fin_infra.banking.sync import MemoryLedgerStore, ProviderWindowSource
    >>> source = ProviderWindowSource(easy_banking(provider="sandbox"))
    >>> result = asyncio.run(run_sync(MemoryLedgerStore(), "conn_1", source, "access-sandbox-demo"))
    >>> result.added > 0
    True
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from fin_infra.banking.sync.pairing import PairingRule
from fin_infra.banking.sync.source import CursorSource, WindowSource
from fin_infra.banking.sync.store import Batch, Commit, Counts, LedgerStore, Removal
from fin_infra.banking.sync.window import DEFAULT_OVERLAP_DAYS, reconcile_window
from fin_infra.providers.banking.plaid.errors import TransactionsSyncMutationError
from fin_infra.providers.dates import window_start

log = logging.getLogger("fin_infra.sync")
WINDOW_CURSOR = "window:"


@dataclass(frozen=True)
class SyncSettings:
    """Knobs of a sync run (defaults suit Plaid and Teller)."""

    overlap_days: int = DEFAULT_OVERLAP_DAYS
    first_sync_days: int = 3650  # "everything the provider has": providers clamp to what they keep
    max_restarts: int = 5
    pairing: PairingRule = field(default_factory=PairingRule)

    def __post_init__(self) -> None:
        if self.overlap_days < 1:
            raise ValueError("overlap_days must be at least 1")
        if self.first_sync_days < 1:
            raise ValueError("first_sync_days must be at least 1")


@dataclass(frozen=True)
class SyncOutcome:
    """What one run changed, and the cursor it saved."""

    connection_id: str
    added: int
    modified: int
    removed: int
    cursor: str | None
    pages: int
    rows: int
    accounts: int


Progress = Callable[[int, int], object]  # (pages read, rows read) so far; may return an awaitable


async def _report(progress: Progress | None, pages: int, rows: int) -> None:
    if progress is not None:
        result = progress(pages, rows)
        if inspect.isawaitable(result):
            await result


def window_cursor(day: dt.date) -> str:
    return WINDOW_CURSOR + day.isoformat()


def synced_through(cursor: str | None) -> dt.date | None:
    """The day a window source was last synced through (None: never, or not a window cursor)."""
    if cursor and cursor.startswith(WINDOW_CURSOR):
        try:
            return dt.date.fromisoformat(cursor[len(WINDOW_CURSOR):])
        except ValueError:
            return None
    return None


async def run_sync(
    store: LedgerStore,
    connection_id: str,
    source: CursorSource | WindowSource,
    access_token: str,
    *,
    today: dt.date | None = None,
    settings: SyncSettings | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Bring one connection's ledger up to date with ``source`` (see the module docstring)."""
    settings = settings or SyncSettings()
    today = today or dt.date.today()
    run_id = run_id or uuid.uuid4().hex
    try:
        if isinstance(source, CursorSource):
            return await _cursor_run(store, connection_id, source, access_token, today, settings, run_id, progress)
        return await _window_run(store, connection_id, source, access_token, today, settings, run_id, progress)
    except BaseException:
        await store.discard(connection_id, run_id)
        raise


async def _cursor_run(
    store: LedgerStore, connection_id: str, source: CursorSource, token: str, today: dt.date,
    settings: SyncSettings, run_id: str, progress: Progress | None,
) -> SyncOutcome:
    saved = await store.cursor(connection_id)
    attempt = 0
    while True:
        await store.discard(connection_id, run_id)
        cursor, pages, rows = saved, 0, 0
        try:
            async for page in source.pages(token, saved):
                batch = Batch(upserts=[*page.added, *page.modified], removals=[Removal(r) for r in page.removed])
                await store.stage(connection_id, run_id, batch)
                cursor, pages, rows = page.next_cursor or None, pages + 1, rows + len(page.added) + len(
                    page.modified) + len(page.removed)
                await _report(progress, pages, rows)
            break
        except TransactionsSyncMutationError:
            if attempt >= settings.max_restarts:
                raise
            attempt += 1
            log.info("data changed during pagination; restarting sync from the saved cursor (%d)", attempt)
    accounts = await source.accounts(token)
    counts = await store.commit(connection_id, run_id, Commit(cursor, accounts, today))
    return _outcome(connection_id, counts, cursor, pages, rows, len(accounts))


async def _window_run(
    store: LedgerStore, connection_id: str, source: WindowSource, token: str, today: dt.date,
    settings: SyncSettings, run_id: str, progress: Progress | None,
) -> SyncOutcome:
    last = synced_through(await store.cursor(connection_id))
    if last is None:
        start = window_start(today, settings.first_sync_days)
    else:
        start = window_start(min(last, today), settings.overlap_days)
    accounts = await source.accounts(token)
    pages = rows = 0
    for account in accounts:
        fetched = await source.window(token, account.id, start, today)
        batch = await reconcile_window(
            store, connection_id, account.id, start, today, fetched, rule=settings.pairing
        )
        await store.stage(connection_id, run_id, batch)
        pages, rows = pages + 1, rows + len(fetched)
        await _report(progress, pages, rows)
    cursor = window_cursor(today)
    counts = await store.commit(connection_id, run_id, Commit(cursor, accounts, today))
    return _outcome(connection_id, counts, cursor, pages, rows, len(accounts))


def _outcome(
    connection_id: str, counts: Counts, cursor: str | None, pages: int, rows: int, accounts: int
) -> SyncOutcome:
    return SyncOutcome(connection_id, counts.added, counts.modified, counts.removed, cursor, pages, rows, accounts)
