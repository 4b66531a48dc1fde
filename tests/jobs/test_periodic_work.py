"""The daily-balances and retention tasks on a real worker: every connection's balances, read from the
provider, kept as today's snapshots; pruning deletes what the retention settings no longer keep (old balance
snapshots, old audit entries, transactions removed long ago, old finished jobs) and nothing else."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from fin_infra.banking import history
from fin_infra.banking.background.queue import (
    BALANCES_ONE_TASK,
    BALANCES_TASK,
    PRUNE_TASK,
    SYNC_TASK,
    ProcrastinateJobs,
)
from fin_infra.banking.history.stores.sql import SQLBalanceStore
from fin_infra.models import Balance
from fin_infra.storage.records import AuditEvent
from fin_infra.testing.plaid import PlaidEmulator
from tests.jobs.workers import Workers, connect, wait_idle
from tests.sync.ledger_setup import Ledger

RETENTION = {"FIN_INFRA_RETENTION_BALANCE_DAYS": "30", "FIN_INFRA_RETENTION_AUDIT_DAYS": "60",
             "FIN_INFRA_RETENTION_REMOVED_DAYS": "90"}


async def test_daily_balances_then_retention(
    plaid: PlaidEmulator, workers: Workers, jobs_url: str, postgres_url: str, schema: str
) -> None:
    env = Ledger(jobs_url, {})
    tokens = {}
    for cid in ("conn_a", "conn_b"):
        tokens[cid] = plaid.create_access_token(transaction_count=30)
        await env.connect(cid, "plaid", plaid.backend.item_for(tokens[cid]).item_id, tokens[cid])
    workers.env.update(RETENTION)
    workers.start(2)
    jobs = ProcrastinateJobs(jobs_url)
    conn = await connect(postgres_url, schema)
    now = int(time.time())
    today = dt.datetime.now(dt.UTC).date()
    try:
        await jobs.start()
        await jobs.app.configure_task(BALANCES_TASK).defer_async(scheduled=now)
        await wait_idle(conn, workers, 60, BALANCES_TASK)
        await wait_idle(conn, workers, 60, BALANCES_ONE_TASK)
        snapshots = await conn.fetch("SELECT connection_id, account_id, date, balance FROM balance_history")
        for cid, token in tokens.items():
            accounts = plaid.backend.item_for(token).accounts
            mine = {r["account_id"]: r for r in snapshots if r["connection_id"] == cid}
            assert set(mine) == {a.account_id for a in accounts}
            assert {r["date"] for r in mine.values()} == {today}
            for a in accounts:
                assert Decimal(str(mine[a.account_id]["balance"])) == a.current

        # what retention must delete, and what it must keep
        await jobs.enqueue_sync("conn_a", trigger="manual")
        await wait_idle(conn, workers, 60)
        store = SQLBalanceStore(env.database)
        old_day = today - dt.timedelta(days=31)
        await history.atrack_balances([Balance(account_id="acc_old", current=Decimal("1.00"))], date=old_day,
                                      store=store, connection_id="conn_a")
        await env.connections.append_audit(AuditEvent("u1", "token.decrypt", "test", "ok", "conn_a",
                                                      at=dt.datetime.now(dt.UTC) - dt.timedelta(days=61)))
        rows = await conn.fetch("SELECT id FROM fin_infra_ledger_transactions WHERE connection_id = 'conn_a'"
                                " AND NOT removed ORDER BY id LIMIT 2")
        await conn.execute("UPDATE fin_infra_ledger_transactions SET removed = true, updated_at = now() - $2::interval"
                           " WHERE id = $1", rows[0]["id"], dt.timedelta(days=91))
        await conn.execute("UPDATE fin_infra_ledger_transactions SET removed = true, updated_at = now() - $2::interval"
                           " WHERE id = $1", rows[1]["id"], dt.timedelta(days=10))
        await conn.execute("UPDATE procrastinate_events SET at = at - interval '15 days' WHERE job_id IN "
                           "(SELECT id FROM procrastinate_jobs WHERE task_name = $1)", BALANCES_ONE_TASK)
        before = {
            "audit": await conn.fetchval("SELECT count(*) FROM fin_infra_audit_log"),
            "rows": await conn.fetchval("SELECT count(*) FROM fin_infra_ledger_transactions"),
            "snapshots": await conn.fetchval("SELECT count(*) FROM balance_history"),
        }
        await jobs.app.configure_task(PRUNE_TASK).defer_async(scheduled=now)
        await wait_idle(conn, workers, 60, PRUNE_TASK)
        after = {
            "audit": await conn.fetchval("SELECT count(*) FROM fin_infra_audit_log"),
            "rows": await conn.fetchval("SELECT count(*) FROM fin_infra_ledger_transactions"),
            "snapshots": await conn.fetchval("SELECT count(*) FROM balance_history"),
        }
        gone = await conn.fetchval("SELECT count(*) FROM fin_infra_ledger_transactions WHERE id = $1", rows[0]["id"])
        kept = await conn.fetchval("SELECT count(*) FROM fin_infra_ledger_transactions WHERE id = $1", rows[1]["id"])
        old_left = await conn.fetchval("SELECT count(*) FROM balance_history WHERE date = $1", old_day)
        sync_jobs = await conn.fetchval("SELECT count(*) FROM procrastinate_jobs WHERE task_name = $1", SYNC_TASK)
        aged_jobs = await conn.fetchval("SELECT count(*) FROM procrastinate_jobs WHERE task_name = $1",
                                        BALANCES_ONE_TASK)
    finally:
        await conn.close()
        await jobs.aclose()
        await env.aclose()
    assert after == {"audit": before["audit"] - 1, "rows": before["rows"] - 1, "snapshots": before["snapshots"] - 1}
    assert (gone, kept, old_left) == (0, 1, 0)
    assert (sync_jobs, aged_jobs) == (1, 0)  # finished jobs are kept FIN_INFRA_RETENTION_JOBS_DAYS (14) days
