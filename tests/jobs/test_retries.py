"""Retries on a real worker against the Plaid emulator: a rate-limited sync is tried again (a new job under the
connection's lock) and ends exact; an outage is retried a bounded number of times; ITEM_LOGIN_REQUIRED is never
retried and the connection's status says why."""

from __future__ import annotations

from fin_infra.banking.background.queue import SYNC_TASK, ProcrastinateJobs
from fin_infra.banking.sync.sql import SQLLedgerStore
from fin_infra.testing.plaid import PlaidEmulator
from tests.jobs.workers import Workers, connect, runs, wait_idle
from tests.sync.ledger_setup import Ledger
from tests.sync.truth import compare, plaid_truth

SYNC = "/transactions/sync"


async def test_rate_limit_outage_and_reauth(
    plaid: PlaidEmulator, workers: Workers, jobs_url: str, postgres_url: str, schema: str
) -> None:
    env = Ledger(jobs_url, {})
    tokens = {}
    for cid in ("conn_limited", "conn_down", "conn_login"):
        tokens[cid] = plaid.create_access_token(transaction_count=20)
        await env.connect(cid, "plaid", plaid.backend.item_for(tokens[cid]).item_id, tokens[cid])
    workers.env["FIN_INFRA_JOBS_OUTAGE_RETRIES"] = "1"
    workers.start(1)
    jobs = ProcrastinateJobs(jobs_url)
    conn = await connect(postgres_url, schema)
    try:
        await jobs.start()
        # the provider client retries a 429 three times itself: the fourth answer makes the sync fail
        plaid.backend.inject_fault("RATE_LIMIT", endpoint=SYNC, times=4)
        await jobs.enqueue_sync("conn_limited", trigger="manual")
        await wait_idle(conn, workers, 90)
        plaid.backend.inject_fault("INSTITUTION_DOWN", endpoint=SYNC, times=None)
        await jobs.enqueue_sync("conn_down", trigger="manual")
        await wait_idle(conn, workers, 90)
        plaid.backend.clear_faults()
        plaid.backend.inject_fault("ITEM_LOGIN_REQUIRED", endpoint=SYNC, times=1)
        await jobs.enqueue_sync("conn_login", trigger="manual")
        await wait_idle(conn, workers, 90)
        all_runs = await runs(conn)
        job_rows = await conn.fetch("SELECT args, status::text AS status FROM procrastinate_jobs WHERE task_name = $1"
                                    " ORDER BY id", SYNC_TASK)
        statuses = dict(await conn.fetch("SELECT id, status FROM fin_infra_connections"))
        each = {cid: [(r["outcome"], r["trigger"], r["error_code"]) for r in all_runs if r["connection_id"] == cid]
                for cid in tokens}
        assert each["conn_limited"] == [("error", "manual", "RATE_LIMIT"), ("ok", "retry:RATE_LIMIT", None)]
        assert each["conn_down"] == [("error", "manual", "INSTITUTION_DOWN"),
                                     ("error", "retry:INSTITUTION_DOWN", "INSTITUTION_DOWN")]
        assert each["conn_login"] == [("error", "manual", "ITEM_LOGIN_REQUIRED")]
        per_job = [(next(c for c in tokens if c in r["args"]), r["status"]) for r in job_rows]
        assert per_job == [("conn_limited", "succeeded"), ("conn_limited", "succeeded"), ("conn_down", "succeeded"),
                           ("conn_down", "failed"), ("conn_login", "failed")]
        assert statuses["conn_login"] == "needs_reauth" and statuses["conn_limited"] == "ok"
        ledger = await SQLLedgerStore(env.database).transactions("conn_limited")
        assert compare(ledger, plaid_truth(plaid.backend, tokens["conn_limited"])).clean
    finally:
        await conn.close()
        await jobs.aclose()
        await env.aclose()
