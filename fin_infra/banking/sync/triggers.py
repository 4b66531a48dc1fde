"""Provider webhooks that start work: a ledger sync of the connection they are about (connections kept in
fin-infra's database), or, in pass-through mode, dropping the cached ranges of the item's token.

    webhooks = Webhooks()
    sync_on_webhooks(webhooks, ledger, find=connections.find_by_item)        # ledger mode
    forget_on_webhooks(webhooks, provider, token_for_item=my_token_lookup)   # pass-through mode
    add_banking(app, provider="plaid", webhooks=webhooks)

Events that mean "transactions changed": Plaid ``TRANSACTIONS`` ``SYNC_UPDATES_AVAILABLE``, ``DEFAULT_UPDATE``,
``HISTORICAL_UPDATE``, ``INITIAL_UPDATE``, ``TRANSACTIONS_REMOVED``; Teller ``transactions.processed``; MX
``AGGREGATION`` and ``HISTORY`` (``member_data_updated``: MX aggregated the member; ``item_id`` is its GUID).
Syncs run in the background of the process (`InProcessRunner`), or through ``jobs`` (a `BackgroundJobs`, e.g.
the Procrastinate queue of ``add_banking(..., jobs=...)``); a sync already running for the connection turns the
trigger into its one follow-up run (`runner.LedgerSync.sync`), a queued one absorbs it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fin_infra.banking.webhooks.registry import WebhookEvent, Webhooks

if TYPE_CHECKING:
    from fin_infra.banking.background.protocol import BackgroundJobs

log = logging.getLogger("fin_infra.sync")

PLAID_CODES = (
    "SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE", "HISTORICAL_UPDATE", "INITIAL_UPDATE", "TRANSACTIONS_REMOVED",
)
TELLER_TYPE = "transactions.processed"
MX_TYPES = ("AGGREGATION", "HISTORY")

FindConnection = Callable[[str, str], Awaitable[Any]]  # (provider, item id) -> record with ``.id``, or None
TokenForItem = Callable[[str], Awaitable[str | None] | str | None]


class InProcessRunner:
    """Background syncs as tasks of the running event loop (`InProcessJobs`; a queue replaces it with ``jobs=``)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def submit(self, work: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        async def guarded() -> Any:
            try:
                return await work
            except Exception as exc:  # recorded in the run and the connection's status already
                log.warning("background %s failed: %s", name, type(exc).__name__)
                return None

        task = asyncio.get_running_loop().create_task(guarded(), name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait for every background sync started so far (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def _on_transactions(webhooks: Webhooks, handler: Callable[[WebhookEvent], Awaitable[None]]) -> None:
    # Repeatable: a refresh is safe twice, and a repeat of a Plaid notice may be a genuine second change.
    for code in PLAID_CODES:
        webhooks.add_handler(handler, "TRANSACTIONS", code, provider="plaid", repeatable=True)
    webhooks.add_handler(handler, TELLER_TYPE, provider="teller", repeatable=True)
    for kind in MX_TYPES:
        webhooks.add_handler(handler, kind, "member_data_updated", provider="mx", repeatable=True)


def sync_on_webhooks(
    webhooks: Webhooks, ledger: Any, *, find: FindConnection, runner: InProcessRunner | None = None,
    jobs: BackgroundJobs | None = None,
) -> InProcessRunner:
    """On a transactions webhook, sync the connection of its item / enrollment in the background: through
    ``jobs`` when given (e.g. a queue for workers), else as a task of this process (``runner``)."""
    runner = runner or InProcessRunner()

    async def handle(event: WebhookEvent) -> None:
        if not event.item_id:
            return
        record = await find(event.provider, event.item_id)
        if record is None:
            log.info("%s webhook for an item with no stored connection: ignored", event.provider)
            return
        trigger = f"webhook:{event.code or event.type}"
        if jobs is not None:
            await jobs.enqueue_sync(record.id, trigger=trigger)
        else:
            runner.submit(ledger.sync(record.id, trigger=trigger), f"sync {record.id}")

    _on_transactions(webhooks, handle)
    return runner


def forget_on_webhooks(webhooks: Webhooks, provider: Any, *, token_for_item: TokenForItem) -> None:
    """Pass-through mode: on a transactions webhook, drop the cached ranges of the item's token, so the next
    query reads the provider again (``token_for_item``: your lookup from item / enrollment id to token)."""

    async def handle(event: WebhookEvent) -> None:
        if not event.item_id:
            return
        token = token_for_item(event.item_id)
        if inspect.isawaitable(token):
            token = await token
        if token:
            await provider.transaction_queries.forget(token)

    _on_transactions(webhooks, handle)
