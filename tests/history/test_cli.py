"""``python -m fin_infra.banking.history migrate|prune``, run as users run it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fin_infra.banking.history import DATABASE_URL_ENV, atrack_balances
from fin_infra.banking.history.stores.sql import SQLBalanceStore
from tests.history.conftest import url_for

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != DATABASE_URL_ENV}
    return subprocess.run(
        [sys.executable, "-m", "fin_infra.banking.history", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(params=("sqlite", "postgres"))
async def sql_store(request: pytest.FixtureRequest, tmp_path: Path, table: str) -> AsyncIterator[SQLBalanceStore]:
    url = url_for(str(request.param), tmp_path, request)
    store = SQLBalanceStore(url, table_name=table, create_schema=False)
    try:
        yield store
    finally:
        await store.drop_schema()
        await store.aclose()


def plain_url(store: SQLBalanceStore) -> str:
    return store.url.render_as_string(hide_password=False)


async def test_migrate_creates_the_table_then_prune_deletes_old_days(sql_store: SQLBalanceStore, table: str) -> None:
    done = cli("migrate", "--url", plain_url(sql_store), "--table", table)
    assert done.returncode == 0, done.stderr
    assert f"balance history table {table!r} is ready" in done.stdout
    assert cli("migrate", "--url", plain_url(sql_store), "--table", table).returncode == 0  # idempotent

    today = dt.date.today()
    await atrack_balances(
        [{"account_id": "acc", "balance": age, "date": today - dt.timedelta(days=age)} for age in (0, 10, 11, 500)],
        store=sql_store,
    )
    done = cli("prune", "--older-than-days", "10", "--table", table, env={DATABASE_URL_ENV: plain_url(sql_store)})
    assert done.returncode == 0, done.stderr
    assert "deleted 2 snapshot(s) older than 10 days" in done.stdout
    assert [s.date for s in await sql_store.range("acc", dt.date.min, dt.date.max)] == [
        today - dt.timedelta(days=10),
        today,
    ]


def test_without_a_url_it_says_what_to_set() -> None:
    done = cli("migrate")
    assert done.returncode == 2 and DATABASE_URL_ENV in done.stderr


def test_a_bad_url_is_a_clear_error_without_the_password() -> None:
    done = cli("migrate", "--url", "mysql://app:pw-s3cret@db/app")
    assert done.returncode == 1 and "unsupported database" in done.stderr
    unreachable = cli("migrate", "--url", "postgresql://app:pw-s3cret@127.0.0.1:1/app")
    assert unreachable.returncode == 1 and unreachable.stderr.startswith("error:")
    assert "pw-s3cret" not in done.stderr + done.stdout + unreachable.stderr + unreachable.stdout
