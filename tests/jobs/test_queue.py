"""The queue's rules, read back from its table (no worker): at most one sync of a connection waits, whatever
the number of triggers; a webhook that finds the connection's nightly sync waiting for its spot in the window
runs it now; a retry keeps the delay the provider asked for."""

from __future__ import annotations

import datetime as dt

from fin_infra.banking.background.queue import SYNC_TASK, ProcrastinateJobs, defer_sync
from tests.jobs.workers import connect


async def test_triggers_coalesce_and_pull_a_nightly_sync_forward(jobs_url: str, postgres_url: str, schema: str) -> None:
    jobs = ProcrastinateJobs(jobs_url)
    conn = await connect(postgres_url, schema)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    try:
        await jobs.start()
        queued = [await jobs.enqueue_sync("conn_burst", trigger="webhook") for _ in range(300)]
        assert queued.count(True) == 1  # 299 coalesced into the one waiting

        assert await defer_sync(jobs.app, "conn_night", trigger="schedule", at=later)
        assert await defer_sync(jobs.app, "conn_limited", trigger="retry:RATE_LIMIT", attempt=1, at=later)
        assert not await jobs.enqueue_sync("conn_night", trigger="webhook:SYNC_UPDATES_AVAILABLE")
        assert not await jobs.enqueue_sync("conn_limited", trigger="webhook:SYNC_UPDATES_AVAILABLE")
        rows = await conn.fetch("SELECT args->>'connection_id' AS cid, scheduled_at, status::text AS status "
                                "FROM procrastinate_jobs WHERE task_name = $1", SYNC_TASK)
    finally:
        await conn.close()
        await jobs.aclose()
    by = {r["cid"]: r for r in rows}
    assert len(rows) == 3 and {r["status"] for r in rows} == {"todo"}
    assert by["conn_night"]["scheduled_at"] <= dt.datetime.now(dt.UTC)  # runs now, not at its spot
    assert by["conn_limited"]["scheduled_at"] == later  # the provider's delay is kept
