"""Everything fin-infra stores, in one database: balance history, connections, the audit trail
(and the ledger next), on SQLAlchemy 2 async with versioned Alembic migrations shipped here.

    memory://                       a throwaway SQLite file, removed at close (dev, tests)
    sqlite:///path/app.db           embedded default (``pip install 'fin-infra[connections]'``)
    postgresql://user@host/db       production (``pip install 'fin-infra[connections,postgres]'``)

Apply the migrations with ``python -m fin_infra db upgrade`` (``--url`` or ``FIN_INFRA_DATABASE_URL``),
or let the app do it at startup. Apps running their own Alembic call `run_migrations(connection)` from
their ``env.py``: our version is kept in its own table, ``fin_infra_alembic_version``.

    >>> from fin_infra.storage import Database
    >>> db = Database("memory://")
"""

from __future__ import annotations

from fin_infra.storage.database import Database
from fin_infra.storage.urls import DATABASE_URL_ENV, normalize_url

__all__ = ["DATABASE_URL_ENV", "Database", "current_revision", "head_revision", "normalize_url", "run_migrations"]


def __getattr__(name: str) -> object:
    # alembic is imported only when migrations are asked for
    if name in ("run_migrations", "head_revision", "current_revision"):
        from fin_infra.storage import migrate

        return getattr(migrate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
