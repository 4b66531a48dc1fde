"""The nightly sync runs at its scheduled time, read in its time zone: the test drives Procrastinate's own
periodic deferrer with chosen clock times (a minute before the schedule, then the scheduled minute) and a real
worker runs what it deferred. Nothing runs before; at the time, every connection's sync is queued at its spot
in the window. No real waiting for the clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from zoneinfo import ZoneInfo

from procrastinate.periodic import PeriodicDeferrer

from fin_infra.banking.background.queue import SYNC_ALL_TASK, SYNC_TASK, TICK_TASK, make_app
from fin_infra.banking.background.settings import JobSettings
from fin_infra.banking.background.work import spread_offset
from fin_infra.jobs.resources import Resources
from fin_infra.jobs.status import status_data
from fin_infra.jobs.tasks import register_tasks
from fin_infra.testing.plaid import PlaidEmulator
from tests.jobs.workers import Workers, connect, runs, wait_idle
from tests.sync.ledger_setup import Ledger

ZONE = "America/New_York"
SCHEDULE = {"FIN_INFRA_JOBS_TIMEZONE": ZONE, "FIN_INFRA_JOBS_SYNC_CRON": "30 2 * * *",
            "FIN_INFRA_JOBS_SYNC_WINDOW": "900"}


def last_schedule(now: dt.datetime) -> dt.datetime:
    """The most recent 02:30 in New York at least an hour ago (the worker's own clock never reaches it)."""
    local = now.astimezone(ZoneInfo(ZONE)) - dt.timedelta(hours=1)
    at = local.replace(hour=2, minute=30, second=0, microsecond=0)
    return at if at <= local else at - dt.timedelta(days=1)


async def test_nightly_sync_runs_at_its_time_in_its_zone(
    plaid: PlaidEmulator, workers: Workers, jobs_url: str, postgres_url: str, schema: str
) -> None:
    env = Ledger(jobs_url, {})
    ids = [f"conn_{i}" for i in range(3)]
    for cid in ids:
        token = plaid.create_access_token(transaction_count=10)
        await env.connect(cid, "plaid", plaid.backend.item_for(token).item_id, token)
    settings = JobSettings.from_env(SCHEDULE)
    app, _ = make_app(jobs_url, pool_size=2)

    def no_resources() -> Resources:
        raise AssertionError("the test process only defers")

    register_tasks(app, no_resources, settings)
    deferrer = PeriodicDeferrer(app.periodic_registry, max_delay=120)
    scheduled = int(last_schedule(dt.datetime.now(dt.UTC)).timestamp())
    workers.env.update(SCHEDULE)
    conn = await connect(postgres_url, schema)
    try:
        async with app.open_async():
            await deferrer.defer_jobs(deferrer.get_previous_tasks(at=scheduled - 30))  # the minute before
            workers.start(2)
            await wait_idle(conn, workers, 60, TICK_TASK)
            ticks = await conn.fetch("SELECT args FROM procrastinate_jobs WHERE task_name = $1", TICK_TASK)
            assert any(f'"timestamp": {scheduled - 60}' in r["args"] for r in ticks)
            assert await conn.fetchval("SELECT count(*) FROM procrastinate_jobs WHERE task_name = $1",
                                       SYNC_ALL_TASK) == 0
            assert await runs(conn) == []

            await deferrer.defer_jobs(deferrer.get_previous_tasks(at=scheduled + 30))  # the scheduled minute
            deadline = time.monotonic() + 60
            while len(await runs(conn)) < len(ids):
                assert time.monotonic() < deadline, workers.log(0)
                await asyncio.sleep(0.1)
            await wait_idle(conn, workers, 60)
        jobs = await conn.fetch("SELECT args, scheduled_at FROM procrastinate_jobs WHERE task_name = $1", SYNC_TASK)
        status = await status_data(jobs_url)
        all_runs = await runs(conn)
    finally:
        await conn.close()
        await env.aclose()
    assert sorted(r["connection_id"] for r in all_runs) == ids
    assert {r["outcome"] for r in all_runs} == {"ok"} and {r["trigger"] for r in all_runs} == {"schedule"}
    start = dt.datetime.fromtimestamp(scheduled, dt.UTC)
    for job in jobs:  # each connection at its own spot in the 15-minute window after 02:30 New York time
        cid = next(c for c in ids if f'"{c}"' in job["args"])
        assert job["scheduled_at"] == start + dt.timedelta(seconds=spread_offset(cid, 900))
    assert len({job["scheduled_at"] for job in jobs}) == len(ids)
    assert status["periodic"][SYNC_ALL_TASK]["status"] == "succeeded"  # what `jobs status` shows as its last run
    assert SYNC_TASK not in status["queued"] and status["failed"] == {} and status["syncs"] == []
