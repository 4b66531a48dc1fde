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
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from fin_infra._sync import run_sync
from fin_infra.banking.exceptions import UnsupportedOperationError
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction

if TYPE_CHECKING:
    from fin_infra.banking.query import TransactionCache, TransactionPage, TransactionQueries

DateLike = dt.date | str | None
AmountLike = Decimal | float | int | str | None
_queries_lock = threading.Lock()


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

    # --- transaction queries: filters, sorting, paging over a cached fetch (fin_infra.banking.query) ---

    @property
    def transaction_queries(self) -> TransactionQueries:
        """The query layer over this provider's transactions (cache from the environment unless set)."""
        queries: TransactionQueries | None = self.__dict__.get("_fin_infra_queries")
        if queries is None:
            from fin_infra.banking.query import TransactionQueries

            with _queries_lock:
                queries = self.__dict__.get("_fin_infra_queries")
                if queries is None:
                    queries = TransactionQueries(self)
                    self.__dict__["_fin_infra_queries"] = queries
        return queries

    def set_transactions_cache(self, cache: TransactionCache) -> None:
        """Keep fetched transaction ranges in ``cache`` (see `fin_infra.banking.query.make_cache`)."""
        from fin_infra.banking.query import TransactionQueries

        with _queries_lock:
            self.__dict__["_fin_infra_queries"] = TransactionQueries(self, cache)

    async def query_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
        min_amount: AmountLike = None,
        max_amount: AmountLike = None,
        merchant_name: str | None = None,
        category: str | None = None,
        exclude_pending: bool = False,
        sort_by: str = "date",
        sort_order: str = "desc",
        page: int | None = None,
        page_size: int | None = None,
    ) -> TransactionPage:
        """Transactions in range, filtered, sorted and paged: the async twin of `transactions`.

        Filters compose with AND: ``min_amount``/``max_amount`` bound the absolute amount (inclusive),
        ``merchant_name`` is a case-insensitive partial match, ``category`` exact. ``sort_by`` is
        ``date``, ``amount`` or ``merchant``, ``sort_order`` ``asc`` or ``desc`` (default newest first).
        ``page`` counts from 1 (``page_size`` 1-200, default 50 once either is given); without them the
        whole result is one page. The fetched range is cached briefly, so paging does not refetch.
        Bad arguments raise `fin_infra.banking.query.QueryError` (a ValueError naming the field).

            >>> page = await banking.query_transactions(token, "2025-01-01", "2025-01-31", sort_by="amount", page=1)
            >>> page.total, page.total_pages, page.has_next
        """
        from fin_infra.banking.query import TransactionQuery

        query = TransactionQuery.build(
            start_date,
            end_date,
            account_id=account_id,
            min_amount=min_amount,
            max_amount=max_amount,
            merchant_name=merchant_name,
            category=category,
            exclude_pending=exclude_pending,
            sort_by=sort_by,
            sort_order=sort_order,
            page=page,
            page_size=page_size,
        )
        return await self.transaction_queries.page(access_token, query)

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
        min_amount: AmountLike = None,
        max_amount: AmountLike = None,
        merchant_name: str | None = None,
        category: str | None = None,
        exclude_pending: bool = False,
        sort_by: str = "date",
        sort_order: str = "desc",
        page: int | None = None,
        page_size: int | None = None,
    ) -> TransactionPage:
        """Synchronous `query_transactions`: a `TransactionPage`, a ``list[Transaction]`` with ``.total`` etc.

        Without ``page``/``page_size`` every matching transaction comes back (one page), newest first.

            >>> txns = banking.transactions(access_token=token, start_date="2025-01-01", end_date="2025-01-31",
            ...                             min_amount=10, category="Food & Drink", sort_by="amount", page=2)
        """
        return run_sync(
            self.query_transactions(
                access_token,
                start_date,
                end_date,
                account_id=account_id,
                min_amount=min_amount,
                max_amount=max_amount,
                merchant_name=merchant_name,
                category=category,
                exclude_pending=exclude_pending,
                sort_by=sort_by,
                sort_order=sort_order,
                page=page,
                page_size=page_size,
            )
        )

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
