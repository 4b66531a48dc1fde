"""What the connection routes accept and answer (the token is in none of them)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fin_infra.banking.schemas import ExchangeRequest
from fin_infra.storage.records import ConnectionRecord

Status = Literal["ok", "needs_reauth", "pending_expiration", "revoked", "error"]


class ConnectedAccount(BaseModel):
    id: str
    name: str | None = None
    mask: str | None = Field(default=None, description="last digits of the account number")
    type: str | None = None
    subtype: str | None = None
    currency: str | None = None


class ConnectionError_(BaseModel):
    code: str | None = Field(description="the provider's code, e.g. ITEM_LOGIN_REQUIRED")
    message: str | None = None
    at: dt.datetime


class SyncRunInfo(BaseModel):
    """A ledger sync run: why it started, how far it got (pages and rows read), how it ended."""

    id: str
    trigger: str = Field(description="exchange, manual, webhook:<code>, follow-up")
    outcome: Literal["running", "ok", "error", "crashed"]
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    pages: int = Field(description="provider pages read so far")
    rows: int = Field(description="transaction rows read so far")
    added: int = 0
    modified: int = 0
    removed: int = 0
    error_code: str | None = Field(default=None, description="the provider's code when the run failed")


class ConnectionSync(BaseModel):
    """The connection's ledger: when it was last brought up to date, and the current or last run."""

    last_synced_at: dt.datetime | None = None
    run: SyncRunInfo | None = None


class Connection(BaseModel):
    """One bank connection of the current user (an item / enrollment at a provider)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="opaque connection id: pass it as connection_id to the data routes")
    provider: str
    institution_id: str | None = None
    institution_name: str | None = None
    accounts: list[ConnectedAccount]
    status: Status
    error: ConnectionError_ | None = Field(default=None, description="why the status is not ok")
    created_at: dt.datetime
    updated_at: dt.datetime
    last_success_at: dt.datetime | None = None
    sync: ConnectionSync | None = Field(default=None, description="the ledger's sync state (one connection's view)")

    @classmethod
    def of(cls, record: ConnectionRecord) -> Connection:
        error = None
        if record.status != "ok":
            error = ConnectionError_(code=record.error_code, message=record.error_message, at=record.status_changed_at)
        return cls(
            id=record.id,
            provider=record.provider,
            institution_id=record.institution_id,
            institution_name=record.institution_name,
            accounts=[ConnectedAccount(**a.to_json()) for a in record.accounts],
            status=record.status,  # the store only writes known statuses
            error=error,
            created_at=record.created_at,
            updated_at=record.updated_at,
            last_success_at=record.last_success_at,
        )


class ConnectionResponse(BaseModel):
    connection: Connection


class SyncAccepted(BaseModel):
    connection_id: str
    sync: Literal["started"] = Field(description="see GET /connections/{id} for its progress")


class ConnectionsResponse(BaseModel):
    connections: list[Connection]
    count: int


class ConnectionLinkRequest(BaseModel):
    """Start connecting a bank for the current user (the user comes from the app's own auth)."""

    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(
        default=None, max_length=32, description="one of the app's providers (default: the first)"
    )
    products: list[str] | None = Field(default=None, max_length=10)
    country_codes: list[str] | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=10)
    webhook: str | None = Field(default=None, max_length=2048)
    redirect_uri: str | None = Field(default=None, max_length=2048)

    def options(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude={"provider"}).items() if v is not None}


class ReconnectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str | None = Field(default=None, max_length=10)
    webhook: str | None = Field(default=None, max_length=2048)
    redirect_uri: str | None = Field(default=None, max_length=2048)

    def options(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ConnectionExchangeRequest(ExchangeRequest):
    """What the connect widget returned, and which provider it came from (default: the first)."""

    provider: str | None = Field(default=None, max_length=32)
