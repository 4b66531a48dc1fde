"""``python -m fin_infra worker`` as a command: a database without the queue's tables is a clear error naming
the command to run; SIGTERM lets a running sync finish, or past ``--graceful-timeout`` hands it back to the
queue; ``add_banking(jobs=...)`` outside connections mode is refused."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.background.queue import SYNC_TASK, ProcrastinateJobs
from fin_infra.testing.plaid import PlaidEmulator
from tests.jobs.workers import ROOT, Workers, connect, queue_counts, runs
from tests.storage.databases import run_sql


def test_a_database_without_the_schema_names_the_command(postgres_url: str, schema: str) -> None:
    run_sql(postgres_url, schema, [])  # the schema exists, empty
    url = f"{postgres_url}?schema={schema}"
    for command in (["worker"], ["jobs", "status"]):
        done = subprocess.run([sys.executable, "-m", "fin_infra", *command, "--url", url], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert "job queue's tables are missing" in done.stderr
        assert "run `python -m fin_infra db upgrade` first" in done.stderr
        assert "Traceback" not in done.stderr


def test_jobs_need_connections_mode() -> None:
    with pytest.raises(ValueError, match="connections mode"):
        add_banking(FastAPI(), provider="sandbox", jobs="postgresql://127.0.0.1/app")


async def start_long_sync(plaid: PlaidEmulator, workers: Workers, jobs_url: str, conn: object, *extra: str) -> None:
    from tests.sync.ledger_setup import Ledger

    token = plaid.create_access_token(transaction_count=2000)
    env = Ledger(jobs_url, {})
    try:
        await env.connect("conn_long", "plaid", plaid.backend.item_for(token).item_id, token)
    finally:
        await env.aclose()
    plaid.backend.inject_fault(latency=0.5, endpoint="/transactions/sync", times=None)
    jobs = ProcrastinateJobs(jobs_url)
    try:
        await jobs.enqueue_sync("conn_long", trigger="manual")
    finally:
        await jobs.aclose()
    proc = workers.start(1, *extra)
    deadline = time.monotonic() + 60
    while not [r for r in await runs(conn) if r["outcome"] == "running"]:  # type: ignore[arg-type]
        assert time.monotonic() < deadline and proc.poll() is None, workers.log(0)
        await asyncio.sleep(0.05)


async def test_sigterm_lets_the_running_sync_finish(
    plaid: PlaidEmulator, workers: Workers, jobs_url: str, postgres_url: str, schema: str
) -> None:
    conn = await connect(postgres_url, schema)
    try:
        await start_long_sync(plaid, workers, jobs_url, conn)
        assert await asyncio.to_thread(workers.stop, 60) == [0]
        assert [r["outcome"] for r in await runs(conn)] == ["ok"]
        assert await queue_counts(conn) == {"succeeded": 1}
    finally:
        await conn.close()


async def test_past_the_grace_period_the_sync_goes_back_to_the_queue(
    plaid: PlaidEmulator, workers: Workers, jobs_url: str, postgres_url: str, schema: str
) -> None:
    conn = await connect(postgres_url, schema)
    try:
        await start_long_sync(plaid, workers, jobs_url, conn, "--graceful-timeout", "0.2")
        assert await asyncio.to_thread(workers.stop, 60) == [0]
        assert [(r["outcome"], r["error_code"]) for r in await runs(conn)] == [("error", "CancelledError")]
        counts = await queue_counts(conn)
        assert counts == {"aborted": 1, "todo": 1}, counts  # handed back: the next worker syncs it
        waiting = await conn.fetchval("SELECT args FROM procrastinate_jobs WHERE task_name = $1 AND status = 'todo'",
                                      SYNC_TASK)
        assert '"conn_long"' in waiting
    finally:
        await conn.close()
