"""A provider over transactions held in memory (per token), counting its fetches: data we control exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from fin_infra.banking.exceptions import AccountNotFoundError, InvalidCredentialsError
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction
from fin_infra.providers.base import BankingProvider, DateLike
from fin_infra.providers.dates import date_range


class ListProvider(BankingProvider):
    """Serves ``data[token]``; filters by range and account like a real provider; counts `get_transactions`."""

    name = "list"

    def __init__(self, data: Mapping[str, Sequence[Transaction]]) -> None:
        self.data = {k: list(v) for k, v in data.items()}
        self.fetches = 0

    def _txns(self, token: str) -> list[Transaction]:
        if token not in self.data:
            raise InvalidCredentialsError("unknown token", provider=self.name)
        return self.data[token]

    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        self.fetches += 1
        txns = self._txns(access_token)
        start, end = date_range(start_date, end_date)
        if account_id is not None and account_id not in {t.account_id for t in txns}:
            raise AccountNotFoundError("no account with that id for this access token", provider=self.name)
        return [t for t in txns if start <= t.date <= end and (account_id is None or t.account_id == account_id)]

    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        ids = sorted({t.account_id for t in self._txns(access_token)})
        return [BankAccount(id=i, name=i, type="depository") for i in ids]

    async def get_balances(self, access_token: str, *, account_id: str | None = None) -> list[Balance]:
        return []

    async def get_identity(self, access_token: str) -> Identity:
        return Identity(owners=[])

    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        raise NotImplementedError

    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        raise NotImplementedError


def txn(
    tid: str,
    amount: str,
    day: str | dt.date,
    *,
    account: str = "acc_1",
    merchant: str | None = None,
    description: str = "SOMETHING",
    category: str | None = None,
    path: list[str] | None = None,
    pending: bool = False,
) -> Transaction:
    """A transaction with the fields the query layer looks at, and defaults for the rest."""
    return Transaction(
        id=tid,
        account_id=account,
        amount=amount,
        date=day,
        description=description,
        merchant_name=merchant,
        category=category,
        category_path=path if path is not None else ([category] if category else []),
        pending=pending,
    )
