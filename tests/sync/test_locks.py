"""One sync per connection: the PostgreSQL advisory lock is per connection *and* schema.

Advisory locks belong to the whole database, so two fin-infra installations in two schemas of one database
(or two test runs side by side) that use the same connection id must not see each other's syncs as busy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fin_infra.banking.sync.locks import lock_for
from fin_infra.storage import Database
from tests.storage.databases import drop_schema, unique_schema


@pytest.fixture
async def two_schemas(postgres_url: str) -> AsyncIterator[tuple[Database, Database]]:
    names = [unique_schema(), unique_schema()]
    databases = [Database(postgres_url, schema=name) for name in names]
    yield databases[0], databases[1]
    for database, name in zip(databases, names, strict=True):
        await database.aclose()
        drop_schema(postgres_url, name)


async def test_a_connection_is_busy_while_held_and_free_after(two_schemas: tuple[Database, Database]) -> None:
    first, _ = two_schemas
    lock = lock_for(first)
    async with lock.hold("conn_same") as held:
        assert held
        async with lock_for(first).hold("conn_same") as again:
            assert not again  # the same schema: busy
        async with lock.hold("conn_other") as other:
            assert other  # another connection: free
    async with lock.hold("conn_same") as after:
        assert after


async def test_the_same_connection_id_in_two_schemas_does_not_collide(
    two_schemas: tuple[Database, Database],
) -> None:
    first, second = two_schemas
    async with lock_for(first).hold("conn_same") as one, lock_for(second).hold("conn_same") as two:
        assert one and two
