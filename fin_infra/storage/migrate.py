"""Alembic, driven from code: fin-infra's migrations ship in ``fin_infra/storage/migrations``.

Their version is kept in ``fin_infra_alembic_version`` (not ``alembic_version``), so an app's own
Alembic history lives beside ours in the same database. An app that runs Alembic itself can call
`run_migrations(connection)` from its ``env.py`` (a synchronous SQLAlchemy connection).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from fin_infra.storage.jobs_schema import apply_jobs_schema
from fin_infra.storage.tables import VERSION_TABLE

if TYPE_CHECKING:
    from fin_infra.storage.database import Database

SCRIPT_LOCATION = "fin_infra.storage:migrations"
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"fin_infra.storage.migrate").digest()[:8], "big", signed=True)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic `Config` for fin-infra's migrations (``connection``: run them on it)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def run_migrations(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database behind ``connection`` (synchronous) to ``revision``."""
    command.upgrade(alembic_config(connection), revision)


def head_revision() -> str:
    """The newest migration shipped with this version of fin-infra."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


async def upgrade(db: Database, revision: str = "head") -> None:
    """Upgrade ``db`` to ``revision``; on PostgreSQL under an advisory lock, so servers starting together
    don't race, and in ``db.schema`` when set (created if missing)."""
    async with db.engine().begin() as conn:
        if db.dialect_name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            if db.schema:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(run_migrations, revision)
        if revision == "head":  # the jobs extra installed after the last migration: its schema now
            await conn.run_sync(apply_jobs_schema)


async def current_revision(db: Database) -> str | None:
    """The migration ``db`` is at (None: none applied)."""
    async with db.engine().connect() as conn:
        return await conn.run_sync(_current)
