"""Ledger syncs on Procrastinate workers: ``python -m bench.jobs_throughput``.

The Plaid emulator answers every call after 50 ms (``latency``); each Item has 25 transactions. For 1, 2 and 4
worker processes (``python -m fin_infra worker --concurrency 1``; started and registered before the clock
runs), 40 syncs per worker are queued at once; printed, each next to what it is judged by:

- syncs per second (first run's start to last run's end, from the recorded runs), and the ratio to linear
  (k workers' rate / (k x one worker's rate));
- per job: the sync's own time (its run record), the job's time (Procrastinate's started -> succeeded events:
  the sync plus its lock and bookkeeping) and the time a worker slot spent on it (window x slots / jobs); slot
  minus job is the queue's own overhead per job (fetching, status writes, the gap between jobs).

Needs PostgreSQL (``FIN_INFRA_TEST_POSTGRES_URL``, default postgresql://postgres@127.0.0.1:5432/test); each run
uses a schema of its own, dropped after. ``BENCH_JOBS_PER_WORKER`` / ``BENCH_JOBS_LATENCY`` change the sizes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from fin_infra.banking.background.queue import SYNC_TASK, ProcrastinateJobs
from fin_infra.crypto import Keyring, new_key
from fin_infra.storage.database import Database
from fin_infra.storage.records import ConnectionRecord
from fin_infra.storage.rotation import seal_token
from fin_infra.storage.sql_connection_store import SQLConnectionStore
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator

BASE = os.environ.get("FIN_INFRA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PER_WORKER = int(os.environ.get("BENCH_JOBS_PER_WORKER", "40"))
LATENCY = float(os.environ.get("BENCH_JOBS_LATENCY", "0.05"))
ROOT = Path(__file__).resolve().parents[1]
KEY = new_key("bench")


async def prepare(url: str, plaid: PlaidEmulator, n: int) -> list[str]:
    db = Database(url)
    keys = Keyring.parse(KEY)
    try:
        await db.upgrade()
        store = SQLConnectionStore(db)
        ids = []
        for i in range(n):
            token = plaid.create_access_token(transaction_count=25)
            cid = f"conn_{i:04d}"
            await store.insert(ConnectionRecord(
                id=cid, user_id=f"u{i}", provider="plaid", item_id=plaid.backend.item_for(token).item_id,
                token_ciphertext=seal_token(token, cid, f"u{i}", keys), key_id=keys.primary_id,
            ))
            ids.append(cid)
        return ids
    finally:
        await db.aclose()


async def run(k: int, plaid: PlaidEmulator, logs: Path) -> dict[str, float]:
    schema = f"bench_jobs_{uuid.uuid4().hex[:8]}"
    url = f"{BASE}?schema={schema}"
    n = PER_WORKER * k
    ids = await prepare(url, plaid, n)
    env = {**os.environ, **plaid.env(), "FIN_INFRA_ENCRYPTION_KEYS": KEY}
    procs = []
    for i in range(k):
        with open(logs / f"w{k}-{i}.log", "wb") as log:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "fin_infra", "worker", "--url", url, "--concurrency", "1", "--log-level",
                 "warning"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    conn = await asyncpg.connect(BASE, server_settings={"search_path": schema})
    jobs = ProcrastinateJobs(url)
    try:
        while await conn.fetchval("SELECT count(*) FROM procrastinate_workers") < k:
            assert all(p.poll() is None for p in procs), "a worker died: see " + str(logs)
            await asyncio.sleep(0.1)
        await jobs.start()
        for cid in ids:
            await jobs.enqueue_sync(cid, trigger="bench")
        while await conn.fetchval("SELECT count(*) FROM procrastinate_jobs WHERE task_name = $1 "
                                  "AND status IN ('todo', 'doing')", SYNC_TASK):
            await asyncio.sleep(0.1)
        window = await conn.fetchval("SELECT extract(epoch FROM max(ended_at) - min(started_at)) FROM "
                                     "fin_infra_sync_runs")
        syncs = [r[0] for r in await conn.fetch("SELECT extract(epoch FROM ended_at - started_at) FROM "
                                                "fin_infra_sync_runs WHERE outcome = 'ok'")]
        assert len(syncs) == n, f"{len(syncs)} of {n} syncs ok"
        held = [r[0] for r in await conn.fetch(
            "SELECT extract(epoch FROM max(e.at) FILTER (WHERE e.type = 'succeeded') - "
            "max(e.at) FILTER (WHERE e.type = 'started')) FROM procrastinate_jobs j JOIN procrastinate_events e "
            "ON e.job_id = j.id WHERE j.task_name = $1 GROUP BY j.id", SYNC_TASK)]
    finally:
        await jobs.aclose()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
    window = float(window)
    sync = statistics.mean(float(s) for s in syncs)
    job = statistics.mean(float(h) for h in held)
    return {"n": n, "rate": n / window, "sync": sync, "job": job, "slot": window * k / n}


async def main() -> None:
    with serve_plaid_emulator() as plaid, tempfile.TemporaryDirectory() as tmp:
        plaid.backend.inject_fault(latency=LATENCY, times=None)
        print(f"Plaid emulator answering after {LATENCY * 1000:.0f} ms; {PER_WORKER} syncs per worker, "
              f"concurrency 1 each")
        results: dict[int, dict[str, float]] = {}
        for k in (1, 2, 4):
            started = time.perf_counter()
            results[k] = r = await run(k, plaid, Path(tmp))
            linear = r["rate"] / (k * results[1]["rate"])
            print(f"{k} worker(s): {r['n']:.0f} syncs, {r['rate']:.1f} syncs/s = {linear:.2f} x linear "
                  f"({k} x {results[1]['rate']:.1f})", flush=True)
            print(f"    per job: sync {r['sync'] * 1000:.0f} ms (its run record); job {r['job'] * 1000:.0f} ms "
                  f"(started -> succeeded: + lock, run bookkeeping, token audit); worker slot "
                  f"{r['slot'] * 1000:.0f} ms -> queue overhead {(r['slot'] - r['job']) * 1000:.0f} ms "
                  f"(fetch, status writes, gap), {(r['slot'] - r['sync']) / r['sync']:.0%} of the sync in all "
                  f"[{time.perf_counter() - started:.0f} s]", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
