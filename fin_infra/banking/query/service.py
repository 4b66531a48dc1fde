"""`TransactionQueries`: fetch a range once (through the cache), then answer queries over it.

What the route and ``banking.transactions(...)`` both call. A cache that fails (Redis down) costs a
refetch, never the request.

    >>> import asyncio
    >>> from fin_infra.providers.banking.sandbox import SandboxProvider
    >>> queries = TransactionQueries(SandboxProvider())
    >>> q = TransactionQuery.build("2025-01-01", "2025-01-31", category="Food & Drink", page_size=5)
    >>> page = asyncio.run(queries.page("access-sandbox-demo", q))
    >>> len(page), page.page_size
    (5, 5)
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fin_infra.banking.query.cache import TransactionCache, cache_from_env, cache_key, token_prefix
from fin_infra.banking.query.index import TransactionIndex
from fin_infra.banking.query.paging import TransactionPage, total_pages
from fin_infra.banking.query.value import TransactionQuery

if TYPE_CHECKING:
    from fin_infra.providers.base import BankingProvider

log = logging.getLogger("fin_infra.banking")
_MAX_FORGOTTEN = 4096


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One page of a query: the prepared range, the positions of the page in it, and the total."""

    query: TransactionQuery
    index: TransactionIndex
    positions: list[int]
    total: int

    @property
    def total_pages(self) -> int:
        return total_pages(self.total, self.query.page_size)

    def to_page(self) -> TransactionPage:
        """The page as a `TransactionPage` (a list of `Transaction` with the totals)."""
        txns = self.index.transactions
        return TransactionPage(
            (txns[i] for i in self.positions), total=self.total, page=self.query.page, page_size=self.query.page_size
        )


class TransactionQueries:
    """Queries over ``provider``'s transactions, with fetched ranges kept in ``cache``
    (default: from ``FIN_INFRA_CACHE_URL`` / ``FIN_INFRA_CACHE_TTL``, else in memory for 120 s)."""

    def __init__(self, provider: BankingProvider, cache: TransactionCache | None = None) -> None:
        self.provider = provider
        self.cache = cache if cache is not None else cache_from_env()
        self._inflight: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Future[TransactionIndex]] = {}
        # Invalidation that sticks: `forget` stamps the token with a new generation; a fetch that started
        # before it may still answer its own request, but it is never cached nor shared afterwards.
        self._generation = 0
        self._forgotten: dict[str, int] = {}  # token prefix -> generation of its last forget
        self._loading: dict[int, int] = {}  # id of a fetch in progress -> generation it started in
        self._lock = threading.Lock()

    async def fetch(self, access_token: str, q: TransactionQuery) -> TransactionIndex:
        """The prepared range ``q`` asks for: from the cache, else from the provider (then cached).

        Concurrent requests for the same uncached range share one provider fetch (per event loop).
        A `forget` of the token while a fetch is in flight wins: that fetch is neither cached nor
        joined by later requests.
        """
        key = cache_key(self.provider.name, access_token, q.start_date, q.end_date, q.account_id)
        index = await self._cached(key)
        if index is not None:
            return index
        loop = asyncio.get_running_loop()
        flight = self._inflight.get((loop, key))
        if flight is not None:
            try:
                return await asyncio.shield(flight)
            except asyncio.CancelledError:
                if not flight.cancelled():
                    raise  # this request was cancelled, not the fetch it waited for
                # the request that was fetching went away: fetch for ourselves
        flight = loop.create_future()
        self._inflight[(loop, key)] = flight
        try:
            index = await self._load(access_token, q, key)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                flight.cancel()
            else:
                flight.set_exception(exc)
                flight.exception()  # waiters re-raise it; nobody waiting is not an error to report
            raise
        else:
            flight.set_result(index)
            return index
        finally:
            if self._inflight.get((loop, key)) is flight:  # a forget may have replaced or removed it
                del self._inflight[(loop, key)]

    async def _cached(self, key: str) -> TransactionIndex | None:
        try:
            return await self.cache.get(key)
        except Exception as exc:  # a cache outage must not fail the request: fetch instead
            log.warning("transactions cache read failed (%s); fetching from the provider", type(exc).__name__)
            return None

    async def _load(self, access_token: str, q: TransactionQuery, key: str) -> TransactionIndex:
        prefix = token_prefix(self.provider.name, access_token)
        ticket = object()
        with self._lock:
            started = self._generation
            self._loading[id(ticket)] = started
        try:
            txns = await self.provider.get_transactions(
                access_token, q.start_date, q.end_date, account_id=q.account_id
            )
            index = TransactionIndex(txns, start=q.start_date, end=q.end_date, account_id=q.account_id)
            with self._lock:
                stale = self._forgotten.get(prefix, -1) > started
            if stale:
                log.info("transactions fetched before the token's cache was forgotten; served, not cached")
                return index
            try:
                await self.cache.set(key, index)
            except Exception as exc:
                log.warning("transactions cache write failed (%s)", type(exc).__name__)
            return index
        finally:
            with self._lock:
                del self._loading[id(ticket)]

    async def run(self, access_token: str, q: TransactionQuery) -> QueryResult:
        """The page ``q`` asks for, with the positions into the prepared range (what the route serialises)."""
        index = await self.fetch(access_token, q)
        positions, total = index.page(q)
        return QueryResult(q, index, positions, total)

    async def page(self, access_token: str, q: TransactionQuery) -> TransactionPage:
        """The page ``q`` asks for, as a `TransactionPage`."""
        return (await self.run(access_token, q)).to_page()

    async def forget(self, access_token: str) -> None:
        """Drop every cached range of ``access_token`` (e.g. on a provider's transactions webhook).

        It sticks: a fetch already in flight for the token is not cached when it lands, and requests
        made from now on don't join it (they fetch afresh).
        """
        prefix = token_prefix(self.provider.name, access_token)
        with self._lock:
            self._generation += 1
            self._forgotten[prefix] = self._generation
            if len(self._forgotten) > _MAX_FORGOTTEN:
                # Only fetches still in progress can be stale: older stamps can go.
                oldest = min(self._loading.values(), default=self._generation)
                self._forgotten = {p: g for p, g in self._forgotten.items() if g > oldest}
            for slot in [slot for slot in self._inflight if slot[1].startswith(prefix)]:
                del self._inflight[slot]
        await self.cache.forget(prefix)
