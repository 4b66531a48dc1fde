"""The queue's tables come with ``db upgrade``: on PostgreSQL with the jobs extra, in fin-infra's schema; an
extra installed after the database was migrated gets its tables at the next upgrade; SQLite never gets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fin_infra.storage import jobs_schema
from fin_infra.storage.database import Database
from fin_infra.storage.migrate import current_revision, head_revision
from tests.jobs.workers import connect


async def test_upgrade_adds_the_queue_later_when_the_extra_arrives(
    postgres_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"{postgres_url}?schema={schema}")
    conn = await connect(postgres_url, schema)
    try:
        with monkeypatch.context() as m:
            m.setattr(jobs_schema, "jobs_engine_installed", lambda: False)  # as without the jobs extra
            await db.upgrade()
        assert await current_revision(db) == head_revision()
        where = "SELECT table_schema FROM information_schema.tables WHERE table_name = 'procrastinate_jobs'"
        assert schema not in [r[0] for r in await conn.fetch(where)]
        db.upgraded = False
        await db.upgrade()  # the extra is installed now: the same command adds the queue
        assert schema in [r[0] for r in await conn.fetch(where)]
        await db.upgrade()  # and again is a no-op
    finally:
        await conn.close()
        await db.aclose()


async def test_sqlite_gets_no_queue(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        await db.upgrade()
        async with db.engine().connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "fin_infra_sync_runs" in names and not [n for n in names if n.startswith("procrastinate")]
    finally:
        await db.aclose()
