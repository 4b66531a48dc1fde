"""Where a sync reads from: the two small interfaces a provider implements to plug into the ledger.

- `CursorSource` (Plaid; any provider with a change feed): pages of added / modified / removed since a
  cursor. A page that finds the data changed mid-way raises
  `fin_infra.providers.banking.plaid.errors.TransactionsSyncMutationError` (other providers raise it
  too); the engine restarts from the saved cursor.
- `WindowSource` (Teller, the sandbox, MX, Finicity, ...): every transaction of one account in a date
  range. `ProviderWindowSource` makes one of any `BankingProvider`, so a new provider syncs with no extra
  code; give it a dedicated source only to read pages more cheaply.

Both list the accounts with their balances (the snapshot each sync writes into balance history).

    >>> from fin_infra.banking import easy_banking
    >>> source = ProviderWindowSource(easy_banking(provider="sandbox"))
    >>> isinstance(source, WindowSource)
    True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fin_infra.models import BankAccount, Transaction

if TYPE_CHECKING:
    from fin_infra.providers.banking.plaid import PlaidProvider
    from fin_infra.providers.banking.plaid.sync import SyncPage
    from fin_infra.providers.base import BankingProvider


@runtime_checkable
class CursorSource(Protocol):
    """A provider with a change feed."""

    name: str

    async def accounts(self, access_token: str) -> list[BankAccount]: ...

    def pages(self, access_token: str, cursor: str | None) -> AsyncIterator[SyncPage]:
        """Normalised pages from ``cursor`` (None: the whole history) until ``has_more`` is false."""
        ...


@runtime_checkable
class WindowSource(Protocol):
    """A provider read by date range."""

    name: str

    async def accounts(self, access_token: str) -> list[BankAccount]: ...

    async def window(self, access_token: str, account_id: str, start: dt.date, end: dt.date) -> list[Transaction]:
        """Every transaction of ``account_id`` dated ``start``..``end`` inclusive (complete, or an error)."""
        ...


class PlaidCursorSource:
    """`CursorSource` over `PlaidProvider` (``/transactions/sync``)."""

    def __init__(self, provider: PlaidProvider) -> None:
        self.provider = provider
        self.name = provider.name

    async def accounts(self, access_token: str) -> list[BankAccount]:
        return await self.provider.get_accounts(access_token)

    def pages(self, access_token: str, cursor: str | None) -> AsyncIterator[SyncPage]:
        return self.provider.sync_pages(access_token, cursor)


class ProviderWindowSource:
    """`WindowSource` over any `BankingProvider` (its ``get_accounts`` / ``get_transactions``)."""

    def __init__(self, provider: BankingProvider) -> None:
        self.provider = provider
        self.name = provider.name

    async def accounts(self, access_token: str) -> list[BankAccount]:
        return await self.provider.get_accounts(access_token)

    async def window(self, access_token: str, account_id: str, start: dt.date, end: dt.date) -> list[Transaction]:
        return await self.provider.get_transactions(access_token, start, end, account_id=account_id)


def source_for(provider: BankingProvider) -> CursorSource | WindowSource:
    """The source a provider syncs through: its own ``sync_source()`` if it has one, else by date window."""
    custom = getattr(provider, "sync_source", None)
    if callable(custom):
        source: CursorSource | WindowSource = custom()
        return source
    return ProviderWindowSource(provider)
