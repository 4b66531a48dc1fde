"""Concurrent per-account calls that fail with the first provider error.

    >>> import asyncio
    >>> async def two(): return await gather_all([asyncio.sleep(0, 1), asyncio.sleep(0, 2)])
    >>> asyncio.run(two())
    [1, 2]
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
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
