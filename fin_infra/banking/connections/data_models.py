"""What the data routes answer in connections mode: the pass-through bodies, each row with its ``connection_id``,
plus ``errors`` (connections whose provider failed, served around) and, from the ledger, how fresh it is.

These models document the routes (OpenAPI); the routes write their JSON directly (exact money numbers).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from fin_infra.banking.connections.models import Status
from fin_infra.banking.schemas import BalanceHistoryResponse, TransactionsResponse
from fin_infra.models import Balance, BankAccount, Identity, Transaction

_CONNECTION = "the connection the row came from"


class ConnectionAccount(BankAccount):
    connection_id: str = Field(description=_CONNECTION)


class ConnectionBalance(Balance):
    connection_id: str = Field(description=_CONNECTION)


class ConnectionTransaction(Transaction):
    connection_id: str = Field(description=_CONNECTION)


class ConnectionIdentity(Identity):
    connection_id: str = Field(description=_CONNECTION)


class ConnectionFailure(BaseModel):
    """A connection left out of the answer because its provider failed (the others are served)."""

    connection_id: str
    code: str = Field(description="our problem code, as a single-connection request would answer it")
    provider_code: str | None = Field(description="the provider's own code, e.g. ITEM_LOGIN_REQUIRED")
    status: Status = Field(description="the connection's status after the failure")


class ConnectionFreshness(BaseModel):
    connection_id: str
    status: Status
    last_synced_at: dt.datetime | None = Field(description="null until its first sync ends")


class LedgerFreshness(BaseModel):
    """Present when the answer comes from the ledger (connections mode with a ledger, without ``live=true``)."""

    source: Literal["ledger"] | None = Field(default=None, description="'ledger': answered from the last syncs")
    last_synced_at: dt.datetime | None = Field(
        default=None, description="the oldest of the connections' last syncs (null while one has never synced)"
    )
    status: Status | None = Field(default=None, description="the first connection status that is not ok, else ok")
    connections: list[ConnectionFreshness] | None = None


class ConnectionAccountsResponse(BaseModel):
    accounts: list[ConnectionAccount]
    count: int
    errors: list[ConnectionFailure]


class ConnectionBalancesResponse(LedgerFreshness):
    balances: list[ConnectionBalance]
    count: int
    errors: list[ConnectionFailure]


class ConnectionTransactionsResponse(TransactionsResponse, LedgerFreshness):
    transactions: list[ConnectionTransaction]  # type: ignore[assignment]
    errors: list[ConnectionFailure]


class ConnectionIdentitiesResponse(BaseModel):
    identities: list[ConnectionIdentity]
    count: int
    errors: list[ConnectionFailure]


class ConnectionBalanceHistoryResponse(BalanceHistoryResponse):
    connection_id: str = Field(description="the connection holding the account")


__all__ = [
    "ConnectionAccountsResponse",
    "ConnectionBalanceHistoryResponse",
    "ConnectionBalancesResponse",
    "ConnectionFailure",
    "ConnectionIdentitiesResponse",
    "ConnectionTransactionsResponse",
    "LedgerFreshness",
]
