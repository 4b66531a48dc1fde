"""Concurrent per-account calls that fail with the first provider error, and the bounds on them.

    >>> import asyncio
    >>> async def two(): return await gather_all([asyncio.sleep(0, 1), asyncio.sleep(0, 2)])
    >>> asyncio.run(two())
    [1, 2]
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import TypeVar, cast

from fin_infra.banking.exceptions import BankingError

T = TypeVar("T")
U = TypeVar("U")


async def gather_all(aws: Sequence[Awaitable[T]]) -> list[T]:
    """Run ``aws`` concurrently and return their results; if any failed, raise the first failure.

    Siblings of a failed call are let finish rather than cancelled: cancelling a request while it
    opens its connection can leak that socket (the connect completes after the cancellation), and
    they are in flight already, each bounded by the retry budget.
    """
    results = await asyncio.gather(*aws, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise next((f for f in failures if isinstance(f, BankingError)), failures[0])
    return cast(list[T], results)


async def gather_pair(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """Two different awaitables concurrently, failing like `gather_all`."""
    a, b = await asyncio.gather(first, second, return_exceptions=True)
    for result in (a, b):
        if isinstance(result, BaseException):
            raise next((r for r in (a, b) if isinstance(r, BankingError)), result)
    return cast(T, a), cast(U, b)


class RequestLimits:
    """Bounds on concurrent requests to one provider host: at most ``per_host`` in all, at most
    ``per_token`` for one access token, so one user's fan-out over many accounts can't take every slot.

    A request waits for its token's slot first and only then for a host slot, so queued requests of a
    busy token never hold host slots others could use. Tokens are kept as hashes, never as given; a
    token's entry is dropped when its last request finishes. Bound to one event loop.

        >>> import asyncio
        >>> limits = RequestLimits(per_host=100, per_token=8)
        >>> async def one():
        ...     async with limits.slot("test_token_abc"):
        ...         return limits.in_flight
        >>> asyncio.run(one())
        1
    """

    def __init__(self, *, per_host: int, per_token: int) -> None:
        if per_host < 1 or per_token < 1:
            raise ValueError("per_host and per_token must be at least 1")
        self.per_host, self.per_token = per_host, per_token
        self._host = asyncio.Semaphore(per_host)
        self._tokens: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}  # key -> (slots, [requests using it])
        self.in_flight = 0

    @contextlib.asynccontextmanager
    async def slot(self, access_token: str | None) -> AsyncIterator[None]:
        """Hold one request slot for ``access_token`` (None: a call made without one) and for the host."""
        if not access_token:
            async with self._host:
                yield
            return
        token_key = hashlib.sha256(access_token.encode()).hexdigest()
        entry = self._tokens.get(token_key)
        if entry is None:
            entry = self._tokens[token_key] = (asyncio.Semaphore(self.per_token), [0])
        slots, users = entry
        users[0] += 1
        try:
            async with slots, self._host:
                self.in_flight += 1
                try:
                    yield
                finally:
                    self.in_flight -= 1
        finally:
            users[0] -= 1
            if not users[0]:
                del self._tokens[token_key]

    @property
    def tokens(self) -> int:
        """How many tokens have requests running or waiting."""
        return len(self._tokens)
