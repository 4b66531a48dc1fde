"""The transactions query layer: filtering, sorting and pagination between the routes and the provider.

HTTP parameters (`TransactionQueryParams`) or Python keywords (`TransactionQuery.build`) -> a frozen
`TransactionQuery` -> pure filter/sort/page functions over `Transaction`, the same for every provider.
Fetched ranges are cached (`MemoryTransactionCache`, or `RedisTransactionCache` when configured) and
prepared once (`TransactionIndex`), so paging never refetches.

    >>> from fin_infra.banking import easy_banking
    >>> banking = easy_banking(provider="sandbox")
    >>> page = banking.transactions(access_token="access-sandbox-demo", start_date="2025-01-01",
    ...                             end_date="2025-03-31", min_amount=10, category="Food & Drink",
    ...                             sort_by="amount", page=2)
    >>> page.page, len(page) <= page.page_size
    (2, True)
"""

from fin_infra.banking.query.cache import (
    MemoryTransactionCache,
    TransactionCache,
    cache_from_env,
    cache_key,
    make_cache,
)
from fin_infra.banking.query.filters import filter_transactions, matches
from fin_infra.banking.query.index import TransactionIndex
from fin_infra.banking.query.paging import TransactionPage, paginate
from fin_infra.banking.query.params import TransactionQueryParams
from fin_infra.banking.query.service import QueryResult, TransactionQueries
from fin_infra.banking.query.sorting import sort_transactions
from fin_infra.banking.query.value import QueryError, SortBy, SortOrder, TransactionQuery

__all__ = [
    "MemoryTransactionCache",
    "QueryError",
    "QueryResult",
    "SortBy",
    "SortOrder",
    "TransactionCache",
    "TransactionIndex",
    "TransactionPage",
    "TransactionQueries",
    "TransactionQuery",
    "TransactionQueryParams",
    "cache_from_env",
    "cache_key",
    "filter_transactions",
    "make_cache",
    "matches",
    "paginate",
    "sort_transactions",
]
