"""`SQLConnectionStore`: connections and the audit trail in fin-infra's database (memory, SQLite, PostgreSQL).

>>> store = SQLConnectionStore("sqlite:////srv/app/fin_infra.db")   # doctest: +SKIP
>>> await store.create_schema()                                    # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from fin_infra.storage.connection_store import DuplicateItemError
from fin_infra.storage.database import Database
from fin_infra.storage.records import STATUSES, AuditEvent, ConnectionRecord, StoredAccount
from fin_infra.storage.tables import audit_log, connections

_MAX_MESSAGE = 500


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _accounts_json(accounts: tuple[StoredAccount, ...]) -> str:
    return json.dumps([a.to_json() for a in accounts], separators=(",", ":"))


def _accounts(text: str | None) -> tuple[StoredAccount, ...]:
    return tuple(StoredAccount(**item) for item in json.loads(text or "[]"))


def _record(row: Row[Any]) -> ConnectionRecord:
    m = row._mapping
    return ConnectionRecord(
        id=m["id"],
        user_id=m["user_id"],
        provider=m["provider"],
        item_id=m["item_id"],
        token_ciphertext=m["token_ciphertext"],
        key_id=m["key_id"],
        institution_id=m["institution_id"],
        institution_name=m["institution_name"],
        accounts=_accounts(m["accounts"]),
        status=m["status"],
        error_code=m["error_code"],
        error_message=m["error_message"],
        status_changed_at=m["status_changed_at"],
        last_success_at=m["last_success_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class SQLConnectionStore:
    """The `ConnectionStore` on a `Database` (or a URL: ``memory://``, ``sqlite:///``, ``postgresql://``)."""

    def __init__(self, database: Database | str | URL, *, create_schema: bool = True) -> None:
        self.database = database if isinstance(database, Database) else Database(database)
        self._owns_database = not isinstance(database, Database)
        self._auto_create = create_schema
        c = connections
        self._by_id = select(c).where(c.c.id == bindparam("id"))

    async def _engine(self) -> AsyncEngine:
        if self._auto_create and not self.database.upgraded:
            await self.database.ensure_schema()
        return self.database.engine()

    async def _reader(self) -> AsyncEngine:
        await self._engine()
        return self.database.reader()

    async def create_schema(self) -> None:
        await self.database.ensure_schema()

    async def insert(self, record: ConnectionRecord) -> None:
        engine = await self._engine()
        values = {
            "id": record.id,
            "user_id": record.user_id,
            "provider": record.provider,
            "item_id": record.item_id,
            "institution_id": record.institution_id,
            "institution_name": record.institution_name,
            "accounts": _accounts_json(record.accounts),
            "token_ciphertext": record.token_ciphertext,
            "key_id": record.key_id,
            "status": record.status,
            "error_code": record.error_code,
            "error_message": record.error_message,
            "status_changed_at": record.status_changed_at,
            "last_success_at": record.last_success_at,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(connections).values(**values))
        except IntegrityError:
            raise DuplicateItemError(await self.find_by_item(record.provider, record.item_id)) from None

    async def get(self, connection_id: str) -> ConnectionRecord | None:
        engine = await self._reader()
        async with engine.connect() as conn:
            row = (await conn.execute(self._by_id, {"id": connection_id})).first()
        return _record(row) if row is not None else None

    async def list_for_user(self, user_id: str) -> list[ConnectionRecord]:
        engine = await self._reader()
        c = connections
        async with engine.connect() as conn:
            rows = await conn.execute(select(c).where(c.c.user_id == user_id).order_by(c.c.created_at, c.c.id))
            return [_record(r) for r in rows]

    async def find_by_item(self, provider: str, item_id: str) -> ConnectionRecord | None:
        engine = await self._reader()
        c = connections
        async with engine.connect() as conn:
            row = (await conn.execute(select(c).where(c.c.provider == provider, c.c.item_id == item_id))).first()
        return _record(row) if row is not None else None

    async def set_status(
        self,
        connection_id: str,
        status: str,
        *,
        error_code: str | None = None,
        error_message: str | None = None,
        at: dt.datetime | None = None,
        failed_since: dt.datetime | None = None,
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        when = at or _now()
        values: dict[str, Any] = {
            "status": status,
            "error_code": None if status == "ok" else error_code,
            "error_message": None if status == "ok" else (error_message or "")[:_MAX_MESSAGE] or None,
            "status_changed_at": when,
            "updated_at": when,
        }
        if status == "ok":
            values["last_success_at"] = when
        where = connections.c.id == connection_id
        if status != "ok" and failed_since is not None:  # a call that worked after the failing one began wins
            success = connections.c.last_success_at
            where = and_(where, or_(success.is_(None), success <= failed_since))
        engine = await self._engine()
        async with engine.begin() as conn:
            await conn.execute(update(connections).where(where).values(**values))

    async def update_token(
        self, connection_id: str, token_ciphertext: str, key_id: str, *, expected_ciphertext: str | None = None
    ) -> bool:
        c = connections
        where = c.c.id == connection_id
        if expected_ciphertext is not None:
            where = and_(where, c.c.token_ciphertext == expected_ciphertext)
        engine = await self._engine()
        async with engine.begin() as conn:
            result = await conn.execute(
                update(c).where(where).values(token_ciphertext=token_ciphertext, key_id=key_id, updated_at=_now())
            )
            return bool(result.rowcount)

    async def update_accounts(self, connection_id: str, accounts: tuple[StoredAccount, ...]) -> None:
        engine = await self._engine()
        async with engine.begin() as conn:
            await conn.execute(
                update(connections)
                .where(connections.c.id == connection_id)
                .values(accounts=_accounts_json(accounts), updated_at=_now())
            )

    async def delete(self, connection_id: str) -> bool:
        engine = await self._engine()
        async with engine.begin() as conn:
            result = await conn.execute(delete(connections).where(connections.c.id == connection_id))
            return bool(result.rowcount)

    async def not_under_key(self, key_id: str, limit: int) -> list[ConnectionRecord]:
        engine = await self._reader()
        c = connections
        async with engine.connect() as conn:
            rows = await conn.execute(select(c).where(c.c.key_id != key_id).order_by(c.c.id).limit(limit))
            return [_record(r) for r in rows]

    # --- audit trail ----------------------------------------------------------------------------

    async def append_audit(self, event: AuditEvent) -> None:
        await self.append_audit_many([event])

    async def append_audit_many(self, events: list[AuditEvent]) -> None:
        """Append several audit entries in one transaction (all or none), in order."""
        if not events:
            return
        engine = await self._engine()
        async with engine.begin() as conn:
            if self.database.dialect_name == "postgresql":
                # committed without waiting for the disk: only a crash of the database server itself
                # within a fraction of a second could lose them
                await conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            rows = [
                {
                    "at": e.at,
                    "user_id": e.user_id,
                    "connection_id": e.connection_id,
                    "action": e.action[:64],
                    "reason": e.reason[:200],
                    "outcome": e.outcome[:64],
                }
                for e in events
            ]
            await conn.execute(insert(audit_log), rows)

    async def read_audit(
        self, *, user_id: str | None = None, connection_id: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        if user_id is None and connection_id is None:
            raise ValueError("read the audit trail of a user_id and/or a connection_id")
        a = audit_log
        query = select(a).order_by(a.c.at.desc(), a.c.id.desc()).limit(max(1, min(int(limit), 100_000)))
        if user_id is not None:
            query = query.where(a.c.user_id == user_id)
        if connection_id is not None:
            query = query.where(a.c.connection_id == connection_id)
        engine = await self._reader()
        async with engine.connect() as conn:
            rows = await conn.execute(query)
            return [
                AuditEvent(
                    id=r.id,
                    at=r.at,
                    user_id=r.user_id,
                    connection_id=r.connection_id,
                    action=r.action,
                    reason=r.reason,
                    outcome=r.outcome,
                )
                for r in rows
            ]

    async def prune_audit(self, before: dt.datetime) -> int:
        engine = await self._engine()
        async with engine.begin() as conn:
            result = await conn.execute(delete(audit_log).where(audit_log.c.at < before))
            return int(result.rowcount or 0)

    async def aclose(self) -> None:
        if self._owns_database:
            await self.database.aclose()

    def __repr__(self) -> str:
        return f"SQLConnectionStore({self.database!r})"
