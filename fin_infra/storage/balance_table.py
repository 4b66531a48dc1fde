"""Create or upgrade a balance-history table in place (used by the migrations, and by stores on a
table of another name, which the migrations don't know about).

Shape 1 (fin-infra <= 0.1 history stores): key (account_id, date).
Shape 2: a ``connection_id`` column ('' when unknown) joins the key: (connection_id, account_id, date).
Every row is kept: old rows become unscoped ('').
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.schema import CreateIndex, CreateTable

from fin_infra.storage.tables import balance_history_table
from fin_infra.storage.urls import IDENTIFIER


def _check(name: str) -> None:
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(f"table name must be a plain SQL identifier (letters, digits, _), got {name[:70]!r}")


def create_or_upgrade(conn: Connection, name: str) -> str:
    """Make ``name`` a shape-2 balance table; returns ``created``, ``upgraded`` or ``current``."""
    _check(name)
    table = balance_history_table(name, MetaData())
    inspector = inspect(conn)
    if not inspector.has_table(name):
        conn.execute(CreateTable(table))
        for index in table.indexes:
            conn.execute(CreateIndex(index))
        return "created"
    columns = {c["name"] for c in inspector.get_columns(name)}
    if "connection_id" in columns:
        return "current"
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE {name} ADD COLUMN connection_id VARCHAR(64) NOT NULL DEFAULT ''"))
        old_pk = inspector.get_pk_constraint(name).get("name") or f"pk_{name}"
        conn.execute(text(f'ALTER TABLE {name} DROP CONSTRAINT "{old_pk}"'))
        conn.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT pk_{name} PRIMARY KEY (connection_id, account_id, date)"))
        return "upgraded"
    # SQLite can't change a primary key: copy into a table of the new shape, inside this transaction
    staging = f"{name}__fin_infra_new"
    conn.execute(text(f"DROP TABLE IF EXISTS {staging}"))
    conn.execute(CreateTable(balance_history_table(staging, MetaData())))
    # both names are checked plain identifiers (_check): no user value reaches the SQL text
    kept = "account_id, date, balance, currency"
    copy = f"INSERT INTO {staging} (connection_id, {kept}) SELECT '', {kept} FROM {name}"  # noqa: S608
    conn.execute(text(copy))
    conn.execute(text(f"DROP TABLE {name}"))
    conn.execute(text(f"ALTER TABLE {staging} RENAME TO {name}"))
    for index in table.indexes:
        conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
        conn.execute(CreateIndex(index))
    return "upgraded"


def create_shape1(conn: Connection, name: str) -> None:
    """Create ``name`` exactly as fin-infra 0.1's history store did (tests of the in-place upgrade)."""
    _check(name)
    conn.execute(
        text(
            f"CREATE TABLE {name} (account_id VARCHAR(256) NOT NULL, date DATE NOT NULL, "
            f"balance {'NUMERIC' if conn.dialect.name == 'postgresql' else 'TEXT'} NOT NULL, "
            f"currency VARCHAR(16) NOT NULL, CONSTRAINT pk_{name} PRIMARY KEY (account_id, date))"
        )
    )
    conn.execute(text(f"CREATE INDEX ix_{name}_date ON {name} (date)"))
