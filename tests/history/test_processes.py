"""Across processes, on SQLite and PostgreSQL: two writers on one account-day, and history surviving a restart."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from fin_infra.banking.history.stores.sql import SQLBalanceStore
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN
from tests.history import _writer
from tests.history.conftest import url_for

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=("sqlite", "postgres"))
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return url_for(str(request.param), tmp_path, request)


@pytest.fixture
async def sql_store(sql_url: str, table: str) -> AsyncIterator[SQLBalanceStore]:
    store = SQLBalanceStore(sql_url, table_name=table)
    try:
        yield store
    finally:
        await store.drop_schema()
        await store.aclose()


async def test_two_processes_on_one_account_day_leave_one_row(sql_store: SQLBalanceStore, table: str) -> None:
    # No table yet: both processes also race to create it.
    start_at = time.time() + 1.5
    url = sql_store.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.history._writer", url, table, str(tag), str(start_at)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for tag in (1, 2)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    rows = await sql_store.range("acc_shared", dt.date.min, dt.date.max)
    assert len(rows) == 1 and rows[0].date == _writer.DAY
    last = _writer.WRITES - 1
    # whichever write committed last, it is some writer's final value, never an older one
    finals = {Decimal(f"{last}.{tag}{task}") for tag in (1, 2) for task in range(_writer.TASKS)}
    assert rows[0].balance in finals


def serve(url: str, table: str) -> tuple[str, subprocess.Popen[str]]:
    port = free_port()
    env = {**os.environ, "HISTORY_TEST_URL": url, "HISTORY_TEST_TABLE": table}
    env.pop("FIN_INFRA_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.history._app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/banking/openapi.json", timeout=1)
            return base, proc
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the app did not start:\n" + (proc.stdout.read() if proc.stdout else "")) from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)  # a graceful shutdown: the lifespan closes the store
    out, _ = proc.communicate(timeout=15)
    return out


async def test_history_survives_an_app_restart(sql_store: SQLBalanceStore, table: str) -> None:
    url = sql_store.url.render_as_string(hide_password=False)
    base, proc = serve(url, table)
    try:
        balances = httpx.get(base + "/banking/balances", headers=AUTH, timeout=10).json()["balances"]
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert "Traceback" not in out

    base, proc = serve(url, table)  # a new process: nothing in memory
    try:
        for b in balances:
            r = httpx.get(base + "/banking/balance-history", params={"account_id": b["account_id"]}, headers=AUTH)
            assert r.status_code == 200, r.text
            history = r.json()["history"]
            assert [(h["date"], h["balance"]) for h in history] == [(dt.date.today().isoformat(), b["current"])]
    finally:
        stop(proc)
