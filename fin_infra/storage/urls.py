"""Database URLs: what users write (``sqlite:///f.db``, ``postgresql://...``, ``memory://``) and what we connect to.

A ``?schema=name`` query parameter (PostgreSQL) puts every fin-infra table in that schema (created if
missing); it is removed before the driver sees the URL.

    >>> str(normalize_url("postgresql://app@db/app").drivername)
    'postgresql+asyncpg'
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DATABASE_URL_ENV = "FIN_INFRA_DATABASE_URL"
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_HELP = "use sqlite:///path/to/file.db, postgresql://user@host/dbname or memory://"


def is_memory(url: str | URL) -> bool:
    """Whether ``url`` is ``memory://``."""
    return isinstance(url, str) and url.strip().split(":", 1)[0].lower() == "memory"


def normalize_url(url: str | URL) -> URL:
    """The async-driver URL for ``url``: ``sqlite:///f.db`` -> ``sqlite+aiosqlite:///f.db``,
    ``postgresql://`` / ``postgres://`` -> ``postgresql+asyncpg://``. Raises `ValueError` otherwise."""
    try:
        parsed = make_url(url.strip() if isinstance(url, str) else url)
    except ArgumentError:
        raise ValueError(f"not a database URL: {_HELP}") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(f"unsupported database {parsed.drivername!r}: {_HELP}")
    parsed = parsed.set(drivername=driver)
    if driver.startswith("sqlite"):
        if parsed.database in (None, "", ":memory:"):
            raise ValueError(
                "an in-memory SQLite database would not persist: use memory:// or sqlite:///path/to/file.db"
            )
        parent = Path(parsed.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise ValueError(f"the directory of the SQLite file does not exist: {parent}")
    return parsed


def split_schema(url: URL) -> tuple[URL, str | None]:
    """``url`` without its ``schema`` query parameter, and that schema (checked to be a plain identifier)."""
    schema = url.query.get("schema")
    if schema is None:
        return url, None
    if isinstance(schema, tuple):
        schema = schema[-1]
    if not IDENTIFIER.fullmatch(schema):
        raise ValueError("the schema query parameter must be a plain SQL identifier (letters, digits, _)")
    if not url.drivername.startswith("postgresql"):
        raise ValueError("?schema= is for PostgreSQL URLs; a SQLite file is its own namespace")
    return url.difference_update_query(["schema"]), schema


def shown(url: URL) -> str:
    """``url`` as text with any password hidden (for messages and logs)."""
    return url.render_as_string(hide_password=True)
