"""SIGKILL a worker in the middle of a long first sync: the other worker finds the job of the dead one (its
heartbeat stopped) and runs it again; the dead run is recorded as crashed, the new one completes, and the
ledger equals the emulator's truth (nothing doubled, nothing lost). While the sync runs, ``jobs status``
shows it with its progress."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

import pytest

from fin_infra.banking.background.queue import SYNC_TASK, ProcrastinateJobs
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.testing.plaid import PlaidEmulator
from tests.jobs.workers import ROOT, Workers, connect, overlaps, runs, wait_idle
from tests.sync.ledger_setup import Ledger
from tests.sync.truth import compare, plaid_truth


@pytest.mark.parametrize("newer", [False, True], ids=["alone", "a-newer-trigger-waits"])
async def test_a_killed_workers_sync_is_retried_by_the_other(
    newer: bool, plaid: PlaidEmulator, workers: Workers, jobs_url: str, postgres_url: str, schema: str
) -> None:
    # newer: a webhook queued a sync while the dead worker's job still looked running; that job can't go back to
    # the queue beside it (one waits per connection), so it is closed as failed and the waiting one syncs.
    token = plaid.create_access_token(transaction_count=3000)  # 6 pages of 500
    item_id = plaid.backend.item_for(token).item_id
    env = Ledger(jobs_url, {})
    await env.connect("conn_big", "plaid", item_id, token)
    plaid.backend.inject_fault(latency=0.5, endpoint="/transactions/sync", times=None)
    jobs = ProcrastinateJobs(jobs_url)
    conn = await connect(postgres_url, schema)
    try:
        await jobs.start()
        assert await jobs.enqueue_sync("conn_big", trigger="exchange")
        first = workers.start(2)
        deadline = time.monotonic() + 60
        while not [r for r in await runs(conn) if r["outcome"] == "running" and r["pages"] >= 1]:
            assert time.monotonic() < deadline and first.poll() is None, workers.log(0)
            await asyncio.sleep(0.05)
        status = subprocess.run([sys.executable, "-m", "fin_infra", "jobs", "status", "--url", jobs_url],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        assert f"running: 1 ({SYNC_TASK} 1)" in status.stdout and "conn_big (exchange) since" in status.stdout
        workers.start(2)  # the other worker is up before the first dies
        await asyncio.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        if newer:
            assert await jobs.enqueue_sync("conn_big", trigger="webhook")
        await wait_idle(conn, workers, 120)
        all_runs = await runs(conn)
        job = await conn.fetch("SELECT status::text AS status, attempts FROM procrastinate_jobs WHERE task_name = $1"
                               " ORDER BY id", SYNC_TASK)
        assert [r["outcome"] for r in all_runs] == ["crashed", "ok"]
        assert overlaps(all_runs) == []  # the crashed run ends when the next one found it dead
        if newer:
            assert [r["status"] for r in job] == ["failed", "succeeded"] and all_runs[1]["trigger"] == "webhook"
        else:
            assert len(job) == 1 and job[0]["status"] == "succeeded" and job[0]["attempts"] >= 1  # the same job
        assert workers.stop()[1] == 0
        ledger = await SQLLedgerStore(env.database).transactions("conn_big")
        diff = compare(ledger, plaid_truth(plaid.backend, token))
        assert diff.clean, diff.line()
        assert len(ledger) >= 3000
    finally:
        await conn.close()
        await jobs.aclose()
        await env.aclose()
