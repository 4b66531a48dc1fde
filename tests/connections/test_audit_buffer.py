"""The audit trail written in batches (`BufferedAuditStore`): late by at most the flush interval, never lost.

On a real database (SQLite file and PostgreSQL): entries reach the table on their own, reads and shutdown
write the queue first, a store that refuses writes keeps them queued (in order) and makes accesses wait for
their entry (so they fail while it refuses), and a full queue is written by the access that fills it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator

import pytest

from fin_infra.banking.connections.audit_buffer import BufferedAuditStore
from fin_infra.storage.records import AuditEvent
from fin_infra.storage.sql_connection_store import SQLConnectionStore


class RefusingStore(SQLConnectionStore):
    """A real store whose audit writes can be made to fail (the database refusing them)."""

    refuse = False

    async def append_audit_many(self, events: list[AuditEvent]) -> None:
        if self.refuse:
            raise ConnectionError("database unavailable")
        await super().append_audit_many(events)


@pytest.fixture
async def raw(db_url: str) -> AsyncIterator[RefusingStore]:
    store = RefusingStore(db_url)
    await store.create_schema()
    yield store
    await store.aclose()


def event(n: int, user: str = "alice") -> AuditEvent:
    return AuditEvent(user, "token.decrypt", f"GET /banking/accounts #{n}", "ok", "conn_a")


async def reasons(store: SQLConnectionStore, user: str = "alice") -> list[str]:
    return [e.reason for e in reversed(await store.read_audit(user_id=user))]


async def test_entries_reach_the_table_on_their_own_within_the_interval(raw: RefusingStore) -> None:
    buffered = BufferedAuditStore(raw, flush_interval=0.05)
    for n in range(3):
        await buffered.append_audit(event(n))
    assert buffered.pending == 3  # queued: the accesses did not wait for the database
    for _ in range(200):
        if len(await reasons(raw)) == 3:
            break
        await asyncio.sleep(0.01)
    assert await reasons(raw) == [f"GET /banking/accounts #{n}" for n in range(3)]
    assert buffered.pending == 0


async def test_reads_retention_and_shutdown_write_the_queue_first(raw: RefusingStore) -> None:
    buffered = BufferedAuditStore(raw, flush_interval=60)
    await buffered.append_audit(event(1))
    assert [e.reason for e in await buffered.read_audit(user_id="alice")] == ["GET /banking/accounts #1"]
    await buffered.append_audit(event(2, user="bob"))
    assert await buffered.prune_audit(dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) == 0
    assert await reasons(raw, "bob") == ["GET /banking/accounts #2"]
    await buffered.append_audit(event(3))
    await buffered.aclose()  # closes the wrapped store too; it reconnects when used again
    assert await reasons(raw) == ["GET /banking/accounts #1", "GET /banking/accounts #3"]


async def test_a_refused_write_keeps_the_entries_and_accesses_wait_until_it_succeeds(
    raw: RefusingStore, caplog: pytest.LogCaptureFixture
) -> None:
    buffered = BufferedAuditStore(raw, flush_interval=0.01)
    raw.refuse = True
    await buffered.append_audit(event(1))  # queued; the background write will fail
    for _ in range(100):
        if "could not be written" in caplog.text:
            break
        await asyncio.sleep(0.01)
    assert "could not be written" in caplog.text and buffered.pending == 1
    with pytest.raises(ConnectionError):
        await buffered.append_audit(event(2))  # now the access waits for its entry, and fails with the write
    assert buffered.pending == 2
    raw.refuse = False
    with caplog.at_level(logging.WARNING):
        await buffered.append_audit(event(3))  # written at once, with everything queued before it
    assert buffered.pending == 0
    assert await reasons(raw) == [f"GET /banking/accounts #{n}" for n in (1, 2, 3)]
    await buffered.append_audit(event(4))  # and back to batches
    assert buffered.pending == 1
    await buffered.flush()


async def test_a_full_queue_is_written_by_the_access_that_fills_it(raw: RefusingStore) -> None:
    buffered = BufferedAuditStore(raw, flush_interval=60, max_pending=5)
    for n in range(4):
        await buffered.append_audit(event(n))
    assert buffered.pending == 4 and await reasons(raw) == []
    await buffered.append_audit(event(4))
    assert buffered.pending == 0 and len(await reasons(raw)) == 5
    await buffered.aclose()


async def test_shutdown_says_how_many_entries_were_never_written(
    raw: RefusingStore, caplog: pytest.LogCaptureFixture
) -> None:
    buffered = BufferedAuditStore(raw, flush_interval=60)
    await buffered.append_audit(event(1))
    await buffered.append_audit(event(2))
    raw.refuse = True
    await buffered.aclose()
    assert "2 entries were never written" in caplog.text


class SlowStore(RefusingStore):
    """A real store whose batch write takes a while (a busy database)."""

    async def append_audit_many(self, events: list[AuditEvent]) -> None:
        await asyncio.sleep(0.2)
        await super().append_audit_many(events)


async def test_shutdown_waits_for_a_write_in_flight(db_url: str) -> None:
    # Closing the store under a background write would leave that write's connection open (a leak).
    slow = SlowStore(db_url)
    await slow.create_schema()
    store = BufferedAuditStore(slow, flush_interval=0.01)
    await store.append_audit(AuditEvent("alice", "token.decrypt", "GET /accounts", "ok", "conn_1"))
    await asyncio.sleep(0.05)  # the timer fired: the batch is being written
    assert store.pending == 0
    await store.aclose()
    reopened = SQLConnectionStore(db_url)
    try:
        assert [e.action for e in await reopened.read_audit(connection_id="conn_1")] == ["token.decrypt"]
    finally:
        await reopened.aclose()


async def test_a_read_sees_the_entries_of_a_write_in_flight(db_url: str) -> None:
    slow = SlowStore(db_url)
    await slow.create_schema()
    store = BufferedAuditStore(slow, flush_interval=0.01)
    try:
        await store.append_audit(event(1))
        await asyncio.sleep(0.05)  # the timer fired: the batch is being written, nothing is queued
        assert store.pending == 0
        read = await store.read_audit(connection_id="conn_a")
        assert [e.reason for e in read] == ["GET /banking/accounts #1"]
    finally:
        await store.aclose()
