"""The interface every banking provider implements: async first, with a thin synchronous face.

A provider implements the ``get_*`` coroutines (and link/exchange); the synchronous methods
``accounts()``, ``transactions()``, ``balances()`` and ``identity()`` run them to completion, which
also works inside a running event loop (see `fin_infra._sync`).

    >>> from fin_infra.banking import easy_banking
    >>> banking = easy_banking(provider="sandbox")
    >>> accounts = banking.accounts(access_token="access-sandbox-demo")
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from fin_infra._sync import run_sync
from fin_infra.banking.exceptions import UnsupportedOperationError
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction

DateLike = dt.date | str | None


class BankingProvider(ABC):
    """A bank-aggregation provider (sandbox, Teller, Plaid, ...) normalised to fin-infra's models."""

    name: ClassVar[str] = "provider"

    # --- async operations (the implementation) -------------------------------------------------

    @abstractmethod
    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        """The accounts the token can see, with their current balances where the provider gives them."""

    @abstractmethod
    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        """Transactions dated ``start_date`` to ``end_date`` inclusive (default: the last 30 days)."""

    @abstractmethod
    async def get_balances(self, access_token: str, *, account_id: str | None = None) -> list[Balance]:
        """Live balances of every account (or one)."""

    @abstractmethod
    async def get_identity(self, access_token: str) -> Identity:
        """The account owners (PII)."""

    @abstractmethod
    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        """What the front end needs to connect a bank; with ``access_token``, update (re-auth) mode."""

    @abstractmethod
    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        """Turn what the connect widget returned into a long-lived access token."""

    async def create_sandbox_public_token(self, institution_id: str | None = None, **options: Any) -> str:
        """Sandbox only: the public token a finished link flow would hand the front end."""
        raise UnsupportedOperationError(
            f"{self.name} has no sandbox public tokens", provider=self.name, code="unsupported_operation"
        )

    async def remove_item(self, access_token: str) -> None:
        """Disconnect the item / enrollment; its access token stops working."""
        raise UnsupportedOperationError(f"{self.name} can't remove items", provider=self.name)

    async def aclose(self) -> None:  # noqa: B027 - optional hook: providers without connections need nothing
        """Release pooled connections. Safe to call more than once."""

    async def __aenter__(self) -> BankingProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- synchronous face (documented calls for scripts and jobs) --------------------------------

    def accounts(self, access_token: str) -> list[BankAccount]:
        """Synchronous `get_accounts`."""
        return run_sync(self.get_accounts(access_token))

    def transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        """Synchronous `get_transactions`."""
        return run_sync(self.get_transactions(access_token, start_date, end_date, account_id=account_id))

    def balances(self, access_token: str, *, account_id: str | None = None) -> list[Balance]:
        """Synchronous `get_balances`."""
        return run_sync(self.get_balances(access_token, account_id=account_id))

    def identity(self, access_token: str) -> Identity:
        """Synchronous `get_identity`."""
        return run_sync(self.get_identity(access_token))

    def close(self) -> None:
        """Synchronous `aclose`."""
        run_sync(self.aclose())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} provider={self.name!r}>"
