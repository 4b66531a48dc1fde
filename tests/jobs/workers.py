"""Real worker processes (``python -m fin_infra worker``) for the jobs tests, and what they left in the database."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn

from fin_infra.banking.background.queue import SYNC_TASK
from tests.sync.ledger_setup import KEY_TEXT

ROOT = Path(__file__).resolve().parents[2]
# Workers that notice a dead one within seconds (the defaults are a 10 s heartbeat, dead after 60 s, checked
# each minute): the stalled-jobs check runs every 2 seconds (a six-field cron: seconds last).
FAST = {
    "FIN_INFRA_JOBS_HEARTBEAT": "0.5",
    "FIN_INFRA_JOBS_STALLED_AFTER": "3",
    "FIN_INFRA_JOBS_STALLED_CRON": "* * * * * */2",
    "FIN_INFRA_JOBS_BACKOFF": "0.2",
    "FIN_INFRA_JOBS_MAX_BACKOFF": "1",
}


class Workers:
    """Worker subprocesses on one queue; logs in ``logs``; stopped with SIGTERM (SIGINT may be ignored)."""

    def __init__(self, url: str, logs: Path, env: dict[str, str]) -> None:
        self.url = url
        self.logs = logs
        self.env = {**os.environ, **FAST, "FIN_INFRA_ENCRYPTION_KEYS": KEY_TEXT, **env}
        self.env.pop("FIN_INFRA_JOBS_URL", None)
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, concurrency: int = 4, *extra: str) -> subprocess.Popen[bytes]:
        with open(self.logs / f"worker-{len(self.procs)}.log", "wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(
                [sys.executable, "-m", "fin_infra", "worker", "--url", self.url, "--concurrency", str(concurrency),
                 "--log-level", "warning", *extra],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def log(self, index: int) -> str:
        return (self.logs / f"worker-{index}.log").read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> list[int | None]:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                codes.append(proc.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


async def connect(base: str, schema: str) -> asyncpg.Connection:
    return await asyncpg.connect(base, server_settings={"search_path": schema})


async def queue_counts(conn: asyncpg.Connection, task: str = SYNC_TASK) -> dict[str, int]:
    rows = await conn.fetch("SELECT status::text AS s, count(*) AS n FROM procrastinate_jobs WHERE task_name = $1"
                            " GROUP BY status", task)
    return {r["s"]: r["n"] for r in rows}


async def wait_idle(conn: asyncpg.Connection, workers: Workers, deadline_s: float, task: str = SYNC_TASK) -> None:
    """Until no job of ``task`` waits or runs (a deadline for a loaded machine, not a speed check)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for i, proc in enumerate(workers.procs):
            assert proc.poll() is None or proc.returncode == -signal.SIGKILL, workers.log(i)
        counts = await queue_counts(conn, task)
        if not counts.get("todo") and not counts.get("doing"):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"jobs still queued or running after {deadline_s} s: {await queue_counts(conn, task)}")


async def runs(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM fin_infra_sync_runs ORDER BY connection_id, started_at")
    return [dict(r) for r in rows]


def overlaps(all_runs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Pairs of runs of one connection whose times overlap (a run still running counts as never ending)."""
    found = []
    by: dict[str, list[dict[str, Any]]] = {}
    for run in all_runs:
        by.setdefault(run["connection_id"], []).append(run)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    for cid, each in by.items():
        each.sort(key=lambda r: r["started_at"])
        for a, b in itertools.pairwise(each):
            if (a["ended_at"] or far) > b["started_at"]:
                found.append((cid, a["id"], b["id"]))
    return found


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve ``app`` over HTTP on loopback in a thread, with its lifespan (startup opens the job queue's pool,
    shutdown closes it and every other connection); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
