"""fin-infra's Procrastinate tasks, registered on an app by `register_tasks`.

    fin_infra.sync_connection        one connection's ledger sync (lock and queueing lock: the connection)
    fin_infra.schedule_tick          every minute: starts the periodic work whose cron (read in the configured
                                     time zone) names this minute
    fin_infra.sync_all               queue every connection's sync, spread over the sync window
    fin_infra.record_balances        queue every connection's balance snapshot (record_connection_balances)
    fin_infra.prune                  delete what the retention policy no longer keeps, and old finished jobs
    fin_infra.retry_stalled          jobs of workers that stopped sending heartbeats (killed) run again

Procrastinate's own periodic tasks read cron in UTC; the minute tick lets the schedules follow a time zone
(daylight saving included) while each minute is still deferred once across all workers.

    >>> app, _ = make_app("postgresql://app@db/app")          # doctest: +SKIP
    >>> register_tasks(app, lambda: resources, JobSettings())  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable

from fin_infra.banking.background import work
from fin_infra.banking.background.queue import (
    BALANCES_ONE_TASK,
    BALANCES_TASK,
    PRUNE_TASK,
    SCHEDULED,
    STALLED_TASK,
    SYNC_ALL_TASK,
    SYNC_TASK,
    TICK_TASK,
    defer_sync,
)
from fin_infra.banking.background.settings import JobSettings
from fin_infra.banking.exceptions import BankingProviderError
from fin_infra.banking.sync.connections import ConnectionNotFound
from fin_infra.jobs.resources import Resources
from fin_infra.jobs.retry import retry_delay

log = logging.getLogger("fin_infra.jobs")

TICK_CRON = "* * * * *"


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def due(cron: str, timestamp: float, settings: JobSettings) -> bool:
    """Whether ``cron``, read in the settings' time zone, names the minute starting at ``timestamp``."""
    from croniter import croniter

    return bool(croniter.match(cron, _utc(timestamp).astimezone(settings.zone)))


def register_tasks(app: object, resources: Callable[[], Resources], settings: JobSettings) -> None:
    """Add fin-infra's tasks to the Procrastinate ``app``; ``resources`` gives the worker's `Resources`."""
    from procrastinate import App
    from procrastinate.exceptions import AlreadyEnqueued
    from procrastinate.jobs import Status

    assert isinstance(app, App)

    @app.task(name=SYNC_TASK)
    async def sync_connection(connection_id: str, trigger: str = "queue", attempt: int = 0) -> None:
        # Retries are new jobs (not Procrastinate retries of this one): a retried job would go back to the
        # queue under the connection's queueing lock, which a newer trigger may already hold.
        try:
            await resources().ledger.sync(connection_id, trigger=trigger)
        except asyncio.CancelledError:  # the worker stops past its grace period: hand the sync back
            await asyncio.shield(defer_sync(app, connection_id, trigger=trigger, attempt=attempt))
            raise
        except ConnectionNotFound:
            log.info("sync of a connection that no longer exists: dropped")
        except Exception as exc:
            delay = retry_delay(exc, attempt, settings)
            if delay is None:
                raise  # the run record and the connection's status say why
            code = exc.code if isinstance(exc, BankingProviderError) else type(exc).__name__
            at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
            queued = await defer_sync(app, connection_id, trigger=f"retry:{code}", attempt=attempt + 1, at=at)
            log.info("sync failed (%s): retry %d in %.0f s%s", code, attempt + 1, delay,
                     "" if queued else " (a queued sync covers it)")

    @app.periodic(cron=TICK_CRON, periodic_id="tick")
    @app.task(name=TICK_TASK)
    async def schedule_tick(timestamp: int) -> None:
        for task, cron in ((SYNC_ALL_TASK, settings.sync_cron), (BALANCES_TASK, settings.balances_cron),
                           (PRUNE_TASK, settings.retention_cron)):
            if due(cron, timestamp, settings):
                try:
                    await app.configure_task(task, queueing_lock=task).defer_async(scheduled=timestamp)
                except AlreadyEnqueued:
                    log.info("%s still waiting from an earlier schedule: not queued twice", task)

    @app.task(name=SYNC_ALL_TASK)
    async def sync_all(scheduled: int) -> None:
        start = _utc(scheduled)
        for connection_id in await work.connection_ids(resources().database):
            at = start + dt.timedelta(seconds=work.spread_offset(connection_id, settings.sync_window))
            await defer_sync(app, connection_id, trigger=SCHEDULED, at=at)

    @app.task(name=BALANCES_TASK)
    async def record_balances(scheduled: int) -> None:
        day = _utc(scheduled).astimezone(settings.zone).date()
        for connection_id in await work.connection_ids(resources().database):
            key = f"balances:{connection_id}"
            with contextlib.suppress(AlreadyEnqueued):  # yesterday's still waits: it records today's
                await app.configure_task(BALANCES_ONE_TASK, lock=key, queueing_lock=key).defer_async(
                    connection_id=connection_id, day=day.isoformat()
                )

    @app.task(name=BALANCES_ONE_TASK, retry=3)
    async def record_connection_balances(connection_id: str, day: str) -> None:
        r = resources()
        await work.record_balances(r.connections, r.balances, connection_id, today=dt.date.fromisoformat(day))

    @app.task(name=PRUNE_TASK)
    async def prune(scheduled: int) -> None:
        r = resources()
        pruned = await work.prune(r.database, r.store, r.balances, settings)
        await app.job_manager.delete_old_jobs(nb_hours=settings.jobs_days * 24, include_failed=True,
                                              include_cancelled=True, include_aborted=True)
        log.info("pruned %s", pruned)

    @app.periodic(cron=settings.stalled_cron, periodic_id="stalled")
    @app.task(name=STALLED_TASK)
    async def retry_stalled(timestamp: int) -> None:
        for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.stalled_after):
            assert job.id is not None
            try:
                await app.job_manager.retry_job(job)
                log.warning("job %s (%s) of a stopped worker: queued again", job.id, job.task_name)
            except Exception:  # a newer job of the same queueing lock waits: it does the work
                await app.job_manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
                log.warning("job %s (%s) of a stopped worker: a queued job covers it", job.id, job.task_name)
