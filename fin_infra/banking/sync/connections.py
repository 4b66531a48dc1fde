"""`SyncConnections`: what a sync needs to know about a stored connection (its provider, its token, where to
record its health). `StoredConnections` implements it on the connection store; the connections service of
`add_banking(connections=...)` (`ConnectionService`) implements it too.

    >>> from fin_infra.storage.sql_connection_store import SQLConnectionStore
    >>> connections = StoredConnections(SQLConnectionStore("memory://"), providers={})  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Protocol

from fin_infra.banking.connections.health import status_for_error
from fin_infra.banking.exceptions import BankingError, BankingProviderError
from fin_infra.crypto import DecryptionError, Keyring
from fin_infra.providers.base import BankingProvider
from fin_infra.providers.registry import build_provider
from fin_infra.storage.connection_store import ConnectionStore
from fin_infra.storage.records import AuditEvent, ConnectionRecord
from fin_infra.storage.rotation import open_token

log = logging.getLogger("fin_infra.sync")


class ConnectionNotFound(BankingError, LookupError):
    """No stored connection has that id."""


class ConnectionTokenError(BankingError):
    """The connection's token can't be decrypted with ``FIN_INFRA_ENCRYPTION_KEYS`` (a key is missing or wrong)."""


class SyncConnections(Protocol):
    async def load(self, connection_id: str) -> ConnectionRecord:
        """The connection (`ConnectionNotFound` if none)."""
        ...

    async def token(self, record: ConnectionRecord, reason: str) -> str:
        """Its access token, decrypted (and the decryption audited)."""
        ...

    def provider(self, name: str) -> BankingProvider: ...

    async def note_error(
        self, record: ConnectionRecord, exc: BankingProviderError, *, since: dt.datetime | None = None
    ) -> None:
        """Record what ``exc`` means for the connection's health; ``since``: when the failing work started (a
        call that worked after it keeps the connection ``ok``)."""
        ...

    async def note_success(self, record: ConnectionRecord) -> None: ...


class StoredConnections:
    """`SyncConnections` on a `ConnectionStore`; providers by name (given, else built from the environment)."""

    def __init__(
        self, store: ConnectionStore, *, providers: Mapping[str, BankingProvider] | None = None,
        keys: Keyring | None = None,
    ) -> None:
        self.store = store
        self.providers = dict(providers or {})
        self._keys = keys

    async def load(self, connection_id: str) -> ConnectionRecord:
        record = await self.store.get(connection_id)
        if record is None:
            raise ConnectionNotFound("no stored connection with that id")
        return record

    async def token(self, record: ConnectionRecord, reason: str) -> str:
        keys = self._keys or Keyring.from_env()
        try:
            token = open_token(record, keys)
        except DecryptionError as exc:
            await self.store.append_audit(AuditEvent(record.user_id, "token.decrypt", reason, "decryption_failed",
                                                     record.id))
            raise ConnectionTokenError(str(exc)) from None
        await self.store.append_audit(AuditEvent(record.user_id, "token.decrypt", reason, "ok", record.id))
        return token

    def provider(self, name: str) -> BankingProvider:
        if name not in self.providers:
            self.providers[name] = build_provider(name)
        return self.providers[name]

    async def note_error(
        self, record: ConnectionRecord, exc: BankingProviderError, *, since: dt.datetime | None = None
    ) -> None:
        """What ``exc`` means for the connection's health, unless a call has worked since ``since`` (when the
        failing work started)."""
        change = status_for_error(exc)  # the one mapping, shared with connections mode's provider calls
        if change is not None:
            status, code = change
            await self.store.set_status(record.id, status, error_code=code, error_message=exc.message,
                                        failed_since=since)

    async def note_success(self, record: ConnectionRecord) -> None:
        if record.status != "ok":
            await self.store.set_status(record.id, "ok")
