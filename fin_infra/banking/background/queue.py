"""`ProcrastinateJobs`: background work queued in PostgreSQL for Procrastinate workers (the ``jobs`` extra).

The queue's tables live in the database and schema of the URL (``?schema=`` as for fin-infra's own tables);
``python -m fin_infra db upgrade`` creates them. Each sync is a job of the task `SYNC_TASK` with
Procrastinate's ``lock`` = the connection (one runs at a time, across every worker) and ``queueing_lock`` =
the connection (at most one waits), so a burst of webhooks for one item is one or two syncs.

    >>> jobs = ProcrastinateJobs("postgresql://app@db/app")   # doctest: +SKIP
    >>> await jobs.start(); await jobs.enqueue_sync("conn_...", trigger="webhook")  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from fin_infra.storage.urls import shown, split_schema

if TYPE_CHECKING:
    from procrastinate import App

SYNC_TASK = "fin_infra.sync_connection"
SYNC_ALL_TASK = "fin_infra.sync_all"
BALANCES_TASK = "fin_infra.record_balances"
BALANCES_ONE_TASK = "fin_infra.record_connection_balances"
PRUNE_TASK = "fin_infra.prune"
TICK_TASK = "fin_infra.schedule_tick"
STALLED_TASK = "fin_infra.retry_stalled"
PERIODIC_TASKS = (SYNC_ALL_TASK, BALANCES_TASK, PRUNE_TASK)
SCHEDULED = "schedule"  # the trigger of the nightly syncs
# A trigger that finds the connection's nightly sync waiting for its spot in the window runs it now instead:
# a webhook must not wait up to the window's length. (Retries keep their delay: the provider asked for it.)
_PULL_FORWARD = (
    "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE queueing_lock = %(lock)s AND status = 'todo' "
    "AND scheduled_at > now() AND args->>'trigger' = %(scheduled)s"
)
MISSING_SCHEMA = "the job queue's tables are missing from {where}: run `python -m fin_infra db upgrade` first"


def sync_lock(connection_id: str) -> str:
    """The Procrastinate lock and queueing lock of a connection's syncs."""
    return f"sync:{connection_id}"


def connector_options(url: str) -> tuple[dict[str, Any], str]:
    """psycopg pool options for a fin-infra database URL (``postgresql://...?schema=x``), and the URL as shown."""
    parsed = make_url(url.strip())
    if not parsed.drivername.startswith(("postgresql", "postgres")):
        raise ValueError("the job queue needs PostgreSQL: jobs='postgresql://user@host/dbname'")
    parsed, schema = split_schema(parsed)
    # libpq parameters in the query (sslmode=require, ...) stay; only fin-infra's own ``schema`` is taken out
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    kwargs: dict[str, Any] = {"options": f"-c search_path={schema}"} if schema else {}
    where = shown(parsed) + (f" (schema {schema})" if schema else "")
    return {"conninfo": conninfo, "kwargs": kwargs}, where


def make_app(url: str, *, pool_size: int = 4) -> tuple[App, str]:
    """A Procrastinate `App` on ``url`` with no tasks of its own (enough to queue jobs by name)."""
    try:
        from procrastinate import App, PsycopgConnector
    except ImportError as exc:
        raise ImportError(f"a job queue needs the jobs extra: pip install 'fin-infra[jobs]' ({exc.name} is missing)",
                          name=exc.name) from None

    options, where = connector_options(url)
    return App(connector=PsycopgConnector(**options, min_size=1, max_size=pool_size)), where


async def check_schema(app: App, where: str) -> None:
    """Raise a clear error naming the command to run when the queue's tables are missing."""
    row = await app.connector.execute_query_one_async("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS ok")
    if not row["ok"]:
        raise RuntimeError(MISSING_SCHEMA.format(where=where))


async def defer_sync(
    app: App, connection_id: str, *, trigger: str, attempt: int = 0, at: dt.datetime | None = None
) -> bool:
    """Queue a sync of the connection; False when one already waits for it (the trigger is coalesced; a nightly
    sync still waiting for its spot in the window then runs now)."""
    from procrastinate.exceptions import AlreadyEnqueued

    lock = sync_lock(connection_id)
    deferrer = app.configure_task(SYNC_TASK, lock=lock, queueing_lock=lock, schedule_at=at)
    try:
        await deferrer.defer_async(connection_id=connection_id, trigger=trigger[:48], attempt=attempt)
    except AlreadyEnqueued:
        if at is None and trigger != SCHEDULED:
            await app.connector.execute_query_async(_PULL_FORWARD, lock=lock, scheduled=SCHEDULED)
        return False
    return True


class ProcrastinateJobs:
    """`BackgroundJobs` on a Procrastinate queue in PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.app, self.where = make_app(url)
        self._open = False
        self._opening: asyncio.Lock | None = None

    async def start(self) -> None:
        self._opening = self._opening or asyncio.Lock()
        async with self._opening:  # concurrent first triggers (an app served without its lifespan) open one pool
            if not self._open:
                await self.app.open_async()  # a second call reuses the pool
                await check_schema(self.app, self.where)
                self._open = True

    async def enqueue_sync(self, connection_id: str, *, trigger: str) -> bool:
        if not self._open:
            await self.start()
        return await defer_sync(self.app, connection_id, trigger=trigger)

    async def aclose(self) -> None:
        self._open = False
        await self.app.close_async()  # nothing to do when never opened

    def __repr__(self) -> str:
        return f"ProcrastinateJobs({self.where!r})"
