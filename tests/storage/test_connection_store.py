"""The connection store on SQLite and PostgreSQL: rows, uniqueness, health, the append-only audit
trail, and key rotation, with the raw rows read back to prove no token is stored in clear."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fin_infra.crypto import DecryptionError, Keyring, new_key
from fin_infra.storage.connection_store import ConnectionStore, DuplicateItemError
from fin_infra.storage.records import AuditEvent, ConnectionRecord, StoredAccount
from fin_infra.storage.rotation import open_token, rotate_keys, seal_token
from fin_infra.storage.sql_connection_store import SQLConnectionStore
from tests.storage.databases import raw_rows

TOKEN_A = "access-sandbox-aaaaaaaa-token-of-alice"
TOKEN_B = "access-sandbox-bbbbbbbb-token-of-bob"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SQLConnectionStore]:
    s = SQLConnectionStore(db_url)
    yield s
    await s.aclose()


def record(cid: str, user: str, token: str, keys: Keyring, item: str = "item-1") -> ConnectionRecord:
    return ConnectionRecord(
        id=cid,
        user_id=user,
        provider="plaid",
        item_id=item,
        token_ciphertext=seal_token(token, cid, user, keys),
        key_id=keys.primary_id,
        institution_id="ins_1",
        institution_name="First Platypus Bank",
        accounts=(StoredAccount(id="acc_1", name="Checking", mask="0000", type="depository"),),
    )


async def test_store_round_trip_and_nothing_secret_in_any_column(db_url: str, store: SQLConnectionStore) -> None:
    keys = Keyring.parse(new_key("k1"))
    assert isinstance(store, ConnectionStore)
    await store.insert(record("conn_a", "alice", TOKEN_A, keys, "item-a"))
    await store.insert(record("conn_b", "bob", TOKEN_B, keys, "item-b"))
    got = await store.get("conn_a")
    assert got is not None and got.user_id == "alice" and got.accounts[0].mask == "0000"
    assert open_token(got, keys) == TOKEN_A
    assert [r.id for r in await store.list_for_user("bob")] == ["conn_b"]
    assert (await store.find_by_item("plaid", "item-b")) is not None
    rows = await raw_rows(db_url, "SELECT * FROM fin_infra_connections")
    dump = repr(rows)
    assert len(rows) == 2 and TOKEN_A not in dump and TOKEN_B not in dump and "aaaaaaaa" not in dump
    assert TOKEN_A not in repr(got)


async def test_same_provider_item_twice_is_a_duplicate(store: SQLConnectionStore) -> None:
    keys = Keyring.parse(new_key("k1"))
    await store.insert(record("conn_a", "alice", TOKEN_A, keys, "item-a"))
    with pytest.raises(DuplicateItemError) as err:
        await store.insert(record("conn_c", "alice", TOKEN_A, keys, "item-a"))
    assert err.value.existing is not None and err.value.existing.id == "conn_a"


async def test_a_token_copied_onto_another_row_does_not_decrypt(store: SQLConnectionStore) -> None:
    keys = Keyring.parse(new_key("k1"))
    await store.insert(record("conn_a", "alice", TOKEN_A, keys, "item-a"))
    await store.insert(record("conn_b", "bob", TOKEN_B, keys, "item-b"))
    a = await store.get("conn_a")
    assert a is not None
    await store.update_token("conn_b", a.token_ciphertext, a.key_id)  # an attacker with write access
    b = await store.get("conn_b")
    assert b is not None
    with pytest.raises(DecryptionError):
        open_token(b, keys)


async def test_health_ok_clears_the_error_and_stamps_the_success(store: SQLConnectionStore) -> None:
    keys = Keyring.parse(new_key("k1"))
    await store.insert(record("conn_a", "alice", TOKEN_A, keys))
    await store.set_status("conn_a", "needs_reauth", error_code="ITEM_LOGIN_REQUIRED", error_message="log in again")
    bad = await store.get("conn_a")
    assert bad is not None and (bad.status, bad.error_code) == ("needs_reauth", "ITEM_LOGIN_REQUIRED")
    await store.set_status("conn_a", "ok")
    good = await store.get("conn_a")
    assert good is not None and (good.status, good.error_code, good.error_message) == ("ok", None, None)
    assert good.last_success_at is not None and good.last_success_at.tzinfo is not None
    with pytest.raises(ValueError, match="status must be one of"):
        await store.set_status("conn_a", "fine")


async def test_a_failure_from_a_call_older_than_the_last_success_does_not_undo_it(store: SQLConnectionStore) -> None:
    keys = Keyring.parse(new_key("k1"))
    await store.insert(record("conn_a", "alice", TOKEN_A, keys))
    noon = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    await store.set_status("conn_a", "ok", at=noon)
    # a sync that began before noon fails after it: the call that worked at noon is newer news
    await store.set_status("conn_a", "needs_reauth", error_code="ITEM_LOGIN_REQUIRED",
                           failed_since=noon - dt.timedelta(seconds=5), at=noon + dt.timedelta(seconds=1))
    kept = await store.get("conn_a")
    assert kept is not None and (kept.status, kept.error_code, kept.last_success_at) == ("ok", None, noon)
    # a call that began after the last success and failed is recorded
    await store.set_status("conn_a", "needs_reauth", error_code="ITEM_LOGIN_REQUIRED",
                           failed_since=noon + dt.timedelta(seconds=2))
    failed = await store.get("conn_a")
    assert failed is not None and (failed.status, failed.error_code) == ("needs_reauth", "ITEM_LOGIN_REQUIRED")


async def test_audit_trail_reads_per_user_and_connection_prunes_and_refuses_updates(
    store: SQLConnectionStore,
) -> None:
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    await store.append_audit(AuditEvent("alice", "token.decrypt", "GET /banking/accounts", "ok", "conn_a", at=old))
    await store.append_audit(AuditEvent("alice", "identity.read", "GET /banking/identity", "ok", "conn_a"))
    await store.append_audit(AuditEvent("bob", "token.decrypt", "GET /banking/accounts", "ok", "conn_b"))
    alice = await store.read_audit(user_id="alice")
    assert [e.action for e in alice] == ["identity.read", "token.decrypt"]  # newest first
    assert [e.user_id for e in await store.read_audit(connection_id="conn_b")] == ["bob"]
    with pytest.raises(ValueError):
        await store.read_audit()
    async with store.database.engine().connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text("UPDATE fin_infra_audit_log SET outcome = 'forged'"))
    assert await store.prune_audit(dt.datetime(2021, 1, 1, tzinfo=dt.UTC)) == 1
    assert len(await store.read_audit(user_id="alice")) == 1


async def test_rotation_re_encrypts_every_row_under_the_new_key_and_old_rows_stay_readable(
    db_url: str, store: SQLConnectionStore
) -> None:
    old_line = new_key("old")
    old = Keyring.parse(old_line)
    for n in range(5):
        await store.insert(record(f"conn_{n}", f"user_{n % 2}", f"token-{n}-secret", old, f"item-{n}"))
    new_line = new_key("new")
    both = Keyring.parse(f"{new_line},{old_line}")
    first = await store.get("conn_0")
    assert first is not None and open_token(first, both) == "token-0-secret"  # readable before rotation
    result = await rotate_keys(store, both, batch=2)
    assert (result.reencrypted, result.failed) == (5, [])
    only_new = Keyring.parse(new_line)
    for n in range(5):
        row = await store.get(f"conn_{n}")
        assert row is not None and row.key_id == "new" and open_token(row, only_new) == f"token-{n}-secret"
    audit = await store.read_audit(connection_id="conn_3")
    assert [(e.action, e.reason) for e in audit] == [("token.reencrypt", "key rotation")]
    assert (await rotate_keys(store, both)).reencrypted == 0


async def test_rotate_command_reports_rows_no_key_opens(db_url: str, store: SQLConnectionStore) -> None:
    lost = Keyring.parse(new_key("lost"))
    kept_line = new_key("kept")
    await store.insert(record("conn_lost", "alice", TOKEN_A, lost, "item-l"))
    await store.insert(record("conn_kept", "alice", TOKEN_B, Keyring.parse(kept_line), "item-k"))
    new_line = new_key("new")
    done = subprocess.run(
        [sys.executable, "-m", "fin_infra.storage", "keys", "rotate", "--url", db_url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FIN_INFRA_ENCRYPTION_KEYS": f"{new_line},{kept_line}"},
    )
    assert done.returncode == 1
    assert "re-encrypted 1 token(s)" in done.stdout and "conn_lost" in done.stderr
    assert new_line.split(":")[1] not in done.stdout + done.stderr
    row = await store.get("conn_kept")
    assert row is not None and row.key_id == "new"
