"""``pg_trgm`` on PostgreSQL: the operator class trigram indexes are built with, for ``LIKE '%...%'`` searches
(migrations 0005 and 0006)."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError


def trigram_ops(bind: Connection) -> str | None:
    """``gin_trgm_ops``, qualified by the schema pg_trgm lives in (installed in public if missing); None when
    the extension is unavailable or not ours to create."""
    found = bind.scalar(text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"))
    if found is None:
        try:
            with bind.begin_nested():
                bind.execute(text("CREATE EXTENSION pg_trgm WITH SCHEMA public"))
        except DBAPIError:
            return None
        found = "public"
    return f"{found}.gin_trgm_ops"
