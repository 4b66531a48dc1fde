"""The rows of the connection store, as plain values (no ORM objects cross the storage boundary)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

STATUSES = ("ok", "needs_reauth", "pending_expiration", "revoked", "error")


@dataclass(frozen=True)
class StoredAccount:
    """What a connection remembers of one account (no balances: those are fetched, or in the ledger)."""

    id: str
    name: str | None = None
    mask: str | None = None
    type: str | None = None
    subtype: str | None = None
    currency: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class ConnectionRecord:
    """One connected item / enrollment. ``token_ciphertext`` is the encrypted access token (never clear)."""

    id: str
    user_id: str
    provider: str
    item_id: str
    token_ciphertext: str = field(repr=False)
    key_id: str
    institution_id: str | None = None
    institution_name: str | None = None
    accounts: tuple[StoredAccount, ...] = ()
    status: str = "ok"
    error_code: str | None = None
    error_message: str | None = None
    status_changed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    last_success_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    updated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def with_changes(self, **changes: Any) -> ConnectionRecord:
        return replace(self, **changes)


@dataclass(frozen=True)
class AuditEvent:
    """One audit entry: who (``user_id``), when (``at``), why (``reason``: the route or operation),
    what (``action``: ``token.decrypt``, ``identity.read``, ...), which connection, and the ``outcome``."""

    user_id: str
    action: str
    reason: str
    outcome: str = "ok"
    connection_id: str | None = None
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    id: int | None = None
