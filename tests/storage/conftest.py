"""Storage fixtures: a database URL per backend (SQLite file in tmp_path; PostgreSQL in a schema of its own,
dropped afterwards, so parallel runs never share a table)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.databases import drop_schema, unique_schema


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each backend: ``sqlite:///...`` or ``postgresql://...?schema=...``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fin_infra.db'}"
        return
    base = str(request.getfixturevalue("postgres_url"))
    schema = unique_schema()
    yield f"{base}?schema={schema}"
    drop_schema(base, schema)
