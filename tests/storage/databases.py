"""Helpers for tests on the real PostgreSQL: unique schemas, dropped with everything in them."""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor


def unique_schema() -> str:
    return f"fi_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"


async def _drop(url: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def _sql(url: str, schema: str, statements: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5, server_settings={"search_path": schema})
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _in_thread(coro: object) -> None:
    # the caller may be inside a running loop (async tests): run on a loop of our own
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


def drop_schema(url: str, schema: str) -> None:
    _in_thread(_drop(url, schema))


def run_sql(url: str, schema: str, statements: list[str]) -> None:
    """Run raw SQL statements in ``schema`` (created if missing) with the plain asyncpg driver."""
    _in_thread(_sql(url, schema, statements))


async def fetch(url: str, schema: str, query: str) -> list[tuple[object, ...]]:
    """Raw rows, read with the plain driver (no fin-infra code in between)."""
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5, server_settings={"search_path": schema})
    try:
        return [tuple(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()


async def raw_rows(url: str, query: str) -> list[tuple[object, ...]]:
    """Raw rows of ``query`` on a ``sqlite:///`` or ``postgresql://...?schema=`` test URL, read with the
    plain driver (no fin-infra code in between)."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return [tuple(r) for r in conn.execute(query)]
        finally:
            conn.close()
    base, schema = url.split("?schema=")
    return await fetch(base, schema, query)
