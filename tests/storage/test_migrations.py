"""Migrations on SQLite and the real PostgreSQL: a fresh database, a database made by fin-infra 0.1's
history store (upgraded in place, no row lost), idempotence, and the command line."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from fin_infra.banking.history import aget_balance_history, atrack_balances
from fin_infra.banking.history.stores.sql import SQLBalanceStore
from fin_infra.storage import Database
from fin_infra.storage.migrate import current_revision, head_revision
from fin_infra.storage.urls import split_schema
from tests.storage.databases import raw_rows, run_sql

OLD_ROWS = [
    ("acc_1", "2025-01-01", "5432.10", "USD"),
    ("acc_1", "2025-01-02", "0.000001", "USD"),
    ("acc_2", "2025-01-01", "-99999999999999999.99", "EUR"),
]
TABLES = {"balance_history", "fin_infra_connections", "fin_infra_audit_log", "fin_infra_alembic_version"}


def _make_old_history(url: str) -> None:
    """The table exactly as fin-infra 0.1's SQLBalanceStore created it, with rows, and no version table."""
    create = [
        "CREATE TABLE balance_history (account_id VARCHAR(256) NOT NULL, date DATE NOT NULL, "
        "balance {balance} NOT NULL, currency VARCHAR(16) NOT NULL, "
        "CONSTRAINT pk_balance_history PRIMARY KEY (account_id, date))",
        "CREATE INDEX ix_balance_history_date ON balance_history (date)",
    ]
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        for statement in create:
            conn.execute(statement.format(balance="TEXT"))
        conn.executemany("INSERT INTO balance_history VALUES (?, ?, ?, ?)", OLD_ROWS)
        conn.commit()
        conn.close()
        return
    base, schema = url.split("?schema=")
    inserts = [f"INSERT INTO balance_history VALUES ('{a}', '{d}', {b}, '{c}')" for a, d, b, c in OLD_ROWS]
    run_sql(base, schema, [s.format(balance="NUMERIC") for s in create] + inserts)


async def _tables(db: Database) -> set[str]:
    async with db.engine().connect() as conn:
        if db.dialect_name == "sqlite":
            rows = await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
        else:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        return {r[0] for r in rows}


async def test_a_fresh_database_gets_every_table_at_the_newest_version(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert await current_revision(db) is None
        await db.upgrade()
        await db.upgrade()  # idempotent
        assert await current_revision(db) == head_revision()
        assert await _tables(db) >= TABLES
    finally:
        await db.aclose()


async def test_a_history_database_from_fin_infra_0_1_upgrades_in_place_without_losing_a_row(db_url: str) -> None:
    _make_old_history(db_url)
    store = SQLBalanceStore(db_url)  # the default table: the migrations run on first use
    try:
        got = await aget_balance_history("acc_1", "2025-01-01", "2025-01-31", store=store)
        assert [(s.date, s.balance) for s in got] == [
            (dt.date(2025, 1, 1), Decimal("5432.10")),
            (dt.date(2025, 1, 2), Decimal("0.000001")),
        ]
        other = await aget_balance_history("acc_2", "2025-01-01", "2025-01-01", store=store)
        assert [(s.balance, s.currency) for s in other] == [(Decimal("-99999999999999999.99"), "EUR")]
        assert await current_revision(store.database) == head_revision()
        # the old rows are now unscoped; a connection's snapshot of the same account and day lives beside them
        await atrack_balances(
            [{"account_id": "acc_1", "balance": "1.00", "date": "2025-01-01"}], store=store, connection_id="conn_x"
        )
        scoped = await aget_balance_history("acc_1", "2025-01-01", "2025-01-01", store=store, connection_id="conn_x")
        assert [s.balance for s in scoped] == [Decimal("1.00")]
        unscoped = await aget_balance_history("acc_1", "2025-01-01", "2025-01-01", store=store)
        assert [s.balance for s in unscoped] == [Decimal("5432.10")]
    finally:
        await store.aclose()
    rows = await raw_rows(db_url, "SELECT connection_id, account_id, date, balance FROM balance_history")
    assert len(rows) == len(OLD_ROWS) + 1
    assert sorted(str(r[0]) for r in rows) == ["", "", "", "conn_x"]


async def test_a_renamed_0_1_history_table_is_upgraded_on_first_use_too(db_url: str) -> None:
    _make_old_history(db_url)
    # a table of another name (table_name=): the migrations don't know it, the store upgrades it in place
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        conn.execute("ALTER TABLE balance_history RENAME TO my_history")
        conn.commit()
        conn.close()
    else:
        base, schema = db_url.split("?schema=")
        run_sql(base, schema, ["ALTER TABLE balance_history RENAME TO my_history"])
    store = SQLBalanceStore(db_url, table_name="my_history")
    try:
        got = await aget_balance_history("acc_1", "2025-01-01", "2025-01-31", store=store)
        assert [s.balance for s in got] == [Decimal("5432.10"), Decimal("0.000001")]
    finally:
        await store.aclose()


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fin_infra.storage", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


async def test_db_upgrade_command_migrates_the_database_named_by_the_environment(db_url: str) -> None:
    _make_old_history(db_url)
    done = _cli("db", "upgrade", env={"FIN_INFRA_DATABASE_URL": db_url})
    assert done.returncode == 0, done.stderr
    assert f"at migration {head_revision()}" in done.stdout
    current = _cli("db", "current", "--url", db_url)
    assert current.returncode == 0 and f"applied {head_revision()}" in current.stdout
    rows = await raw_rows(db_url, "SELECT count(*) FROM balance_history")
    assert rows == [(len(OLD_ROWS),)]


def test_db_command_errors_are_one_clear_line_without_the_password(tmp_path: Path) -> None:
    done = _cli("db", "upgrade", "--url", "mysql://app:pw-s3cret@db/app")
    assert done.returncode == 1 and "unsupported database 'mysql'" in done.stderr
    assert "pw-s3cret" not in done.stderr + done.stdout
    unreachable = _cli("db", "upgrade", "--url", "postgresql://app:pw-s3cret@127.0.0.1:1/app")
    assert unreachable.returncode == 1 and "pw-s3cret" not in unreachable.stderr + unreachable.stdout
    missing = _cli("db", "upgrade", env={"FIN_INFRA_DATABASE_URL": ""})
    assert missing.returncode == 2 and "FIN_INFRA_DATABASE_URL" in missing.stderr


def test_schema_in_the_url_is_for_postgresql_and_must_be_an_identifier() -> None:
    from fin_infra.storage.urls import normalize_url

    with pytest.raises(ValueError, match="plain SQL identifier"):
        split_schema(normalize_url("postgresql://u@h/db?schema=x;drop"))
    with pytest.raises(ValueError, match="for PostgreSQL"):
        Database("sqlite:////tmp/x.db?schema=abc")


async def test_memory_database_is_a_throwaway_file_removed_at_close() -> None:
    db = Database("memory://")
    path = Path(str(db.url.database))
    await db.upgrade()
    assert path.exists()
    await db.aclose()
    assert not path.exists()


async def test_a_ledger_from_migration_0003_gets_the_query_indexes_in_place_of_its_old_ones(db_url: str) -> None:
    from fin_infra.storage.ledger_tables import (
        LEDGER_MERCHANTS,
        LEDGER_TRANSACTIONS,
        MERCHANT_KEYS_TRIGRAM_INDEX,
        MERCHANT_TRIGRAM_INDEX,
        QUERY_INDEXES,
    )

    db = Database(db_url)
    try:
        await db.upgrade("0003")
        before = (("date", "date"), ("size", "size_key"), ("merchant", "merchant_key"))
        old = [f"CREATE INDEX ix_{LEDGER_TRANSACTIONS}_{name} ON {LEDGER_TRANSACTIONS} "
               f"(connection_id, removed, {column})" for name, column in before]
        async with db.engine().begin() as conn:  # the indexes as 0003 made them before 0005 existed
            for index in QUERY_INDEXES:
                await conn.execute(text(f"DROP INDEX {index.name}"))
            for statement in old:
                await conn.execute(text(statement))
        await db.upgrade()
        assert await current_revision(db) == head_revision()
        async with db.engine().connect() as conn:
            if db.dialect_name == "sqlite":
                found = await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                "AND tbl_name = :t"), {"t": LEDGER_TRANSACTIONS})
            else:
                found = await conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                                                "AND tablename = :t"), {"t": LEDGER_TRANSACTIONS})
            names = {r[0] for r in found}
            keys_indexes = set()
            if db.dialect_name == "postgresql":
                found = await conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = "
                                                "current_schema() AND tablename = :t"), {"t": LEDGER_MERCHANTS})
                keys_indexes = {r[0] for r in found}
        expected = {i.name for i in QUERY_INDEXES} | {f"ix_{LEDGER_TRANSACTIONS}_account_date"}
        assert expected <= names
        assert MERCHANT_TRIGRAM_INDEX not in names  # 0005's, replaced by 0006's on the merchant keys
        if db.dialect_name == "postgresql":
            assert MERCHANT_KEYS_TRIGRAM_INDEX in keys_indexes  # pg_trgm is available on the test server
        assert not names & {f"ix_{LEDGER_TRANSACTIONS}_{n}" for n in ("date", "size", "merchant")}
    finally:
        await db.aclose()
