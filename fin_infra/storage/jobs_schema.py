"""The job engine's tables (Procrastinate's schema) in fin-infra's database, applied by ``db upgrade``.

Applied only on PostgreSQL and only when the ``jobs`` extra (procrastinate) is installed; elsewhere it is
skipped (SQLite and ``memory://`` run background work in-process, with no engine). It goes into the same
schema as fin-infra's tables (``?schema=`` in the URL), so two installations in one database never share a
queue. Migration 0004 applies it, and every ``db upgrade`` applies it again if it is missing (an app that
installs the extra after migrating). Upgrading Procrastinate itself to a release with schema changes:
apply its own migration files (see its documentation), as for any Procrastinate app.

    >>> JOBS_TABLE
    'procrastinate_jobs'
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.util import await_only

JOBS_TABLE = "procrastinate_jobs"


def jobs_engine_installed() -> bool:
    """True when the ``jobs`` extra (procrastinate) can be imported."""
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        return False
    return True


def has_jobs_schema(connection: Connection) -> bool:
    """Whether the job tables exist in the connection's schema (its search path)."""
    return connection.scalar(text(f"SELECT to_regclass('{JOBS_TABLE}') IS NOT NULL")) is True


def apply_jobs_schema(connection: Connection) -> bool:
    """Create Procrastinate's tables, types and functions if they are missing (PostgreSQL, extra installed);
    True when it created them. Runs on a synchronous face of an async (asyncpg) connection, in its transaction."""
    if connection.dialect.name != "postgresql" or not jobs_engine_installed() or has_jobs_schema(connection):
        return False
    from procrastinate.schema import SchemaManager

    # The schema file is many statements: asyncpg runs a script only through its own execute (simple protocol).
    driver = connection.connection.dbapi_connection.driver_connection  # type: ignore[union-attr]
    await_only(driver.execute(SchemaManager.get_schema()))
    return True
