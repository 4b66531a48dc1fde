"""The `ConnectionStore` protocol: connections (encrypted tokens, owner, health) and the audit trail.

`SQLConnectionStore` implements it on `Database` (memory, SQLite, PostgreSQL). The ledger's stores
live in the same database and key their rows by ``ConnectionRecord.id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from fin_infra.storage.records import AuditEvent, ConnectionRecord, StoredAccount


class DuplicateItemError(Exception):
    """The provider item is already stored (unique (provider, item_id)); ``existing`` is its row."""

    def __init__(self, existing: ConnectionRecord | None) -> None:
        super().__init__("this provider item is already connected")
        self.existing = existing


@runtime_checkable
class ConnectionStore(Protocol):
    """Where connections and their audit trail live. All methods are safe from several event loops."""

    async def create_schema(self) -> None:
        """Apply the migrations (idempotent)."""

    async def insert(self, record: ConnectionRecord) -> None:
        """Store a new connection; `DuplicateItemError` if (provider, item_id) is already stored."""

    async def get(self, connection_id: str) -> ConnectionRecord | None:
        """The connection, or None."""

    async def list_for_user(self, user_id: str) -> list[ConnectionRecord]:
        """The user's connections, oldest first."""

    async def find_by_item(self, provider: str, item_id: str) -> ConnectionRecord | None:
        """The connection of a provider item / enrollment (webhooks find their connection this way)."""

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
        """Record the connection's health (``ok`` also stamps ``last_success_at`` and clears the error).
        ``failed_since``: for a failure, when the failing call started; a success recorded after that time
        (a later call worked) keeps its ``ok``, and the failure is not recorded."""

    async def update_token(
        self, connection_id: str, token_ciphertext: str, key_id: str, *, expected_ciphertext: str | None = None
    ) -> bool:
        """Replace the encrypted token (only if it is still ``expected_ciphertext``, when given)."""

    async def update_accounts(self, connection_id: str, accounts: tuple[StoredAccount, ...]) -> None:
        """Replace the remembered accounts."""

    async def delete(self, connection_id: str) -> bool:
        """Delete the connection (and its encrypted token); False if it was not there."""

    async def not_under_key(self, key_id: str, limit: int) -> list[ConnectionRecord]:
        """Up to ``limit`` connections whose token is encrypted under another key than ``key_id``."""

    async def append_audit(self, event: AuditEvent) -> None:
        """Append one audit entry (the audit log is never updated)."""

    async def read_audit(
        self, *, user_id: str | None = None, connection_id: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        """Audit entries of a user and/or a connection, newest first."""

    async def prune_audit(self, before: dt.datetime) -> int:
        """Delete audit entries older than ``before`` (retention); returns how many."""

    async def aclose(self) -> None:
        """Release connections (the store reconnects if used again)."""
