"""Balances of one account, and the daily snapshots balance history keeps."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from fin_infra.models._money import Money


class Balance(BaseModel):
    """The balances of one account now.

    For credit accounts ``current`` is the amount owed and ``available`` the remaining credit.
    ``available`` is ``None`` when the institution doesn't report it.
    """

    model_config = ConfigDict(frozen=True)

    account_id: str
    current: Money | None
    available: Money | None = None
    limit: Money | None = Field(default=None, description="credit limit, for credit accounts")
    currency: str = "USD"


class BalanceSnapshot(BaseModel):
    """The balance of one account on one day (one snapshot per account per day)."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    date: dt.date
    balance: Money
    currency: str = "USD"
