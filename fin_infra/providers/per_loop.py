"""One resource per event loop (an `httpx.AsyncClient` and its bounds), built on first use, closed with the loop.

A provider object is used from the app's event loop and from the synchronous face's portal loop (see
`fin_infra._sync`); a pooled client belongs to the loop it was first used on, so each loop gets its own.

    >>> import asyncio
    >>> closed = []
    >>> async def close(value): closed.append(value)
    >>> per_loop = PerLoop(lambda: "client", close, name="demo")
    >>> async def use():
    ...     first = await per_loop.get()
    ...     return first is await per_loop.get()
    >>> asyncio.run(use()), closed   # the same value within a loop; closed when asyncio.run shuts the loop down
    (True, ['client'])
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from fin_infra import _sync

log = logging.getLogger("fin_infra.providers")
T = TypeVar("T")


async def _close_with_loop(value: T, close: Callable[[T], Awaitable[None]]) -> AsyncGenerator[None, None]:
    # An async generator the loop tracks: when its owner shuts the loop down (asyncio.run, pytest-asyncio),
    # loop.shutdown_asyncgens() runs this ``finally`` on that loop, so pooled connections are closed before
    # the loop is, even if nobody called aclose().
    try:
        yield
    finally:
        await close(value)


class PerLoop(Generic[T]):
    """``build()`` once per running event loop; ``close(value)`` when the loop shuts down or on `aclose`."""

    def __init__(self, build: Callable[[], T], close: Callable[[T], Awaitable[None]], *, name: str) -> None:
        self._build = build
        self._close = close
        self._name = name
        self._states: dict[asyncio.AbstractEventLoop, tuple[T, AsyncGenerator[None, None]]] = {}
        self._lock = threading.Lock()

    async def get(self) -> T:
        """This loop's value (built now if it has none)."""
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is not None:
            return state[0]
        value = self._build()
        keeper = _close_with_loop(value, self._close)
        await keeper.__anext__()  # runs to its ``yield`` without suspending: no other task can race us here
        with self._lock:
            for old in [lp for lp in self._states if lp.is_closed()]:
                del self._states[old]
            self._states[loop] = (value, keeper)
        return value

    async def aclose(self) -> None:
        """Close this loop's value, and the synchronous face's (portal loop) one.

        Values of other loops are left to those loops: waiting on a loop that may itself be blocked
        waiting on us (a synchronous call made from async code) would deadlock. They close when their
        loop shuts down or when ``aclose()`` runs there.
        """
        current = asyncio.get_running_loop()
        portal = _sync._loop
        with self._lock:
            mine = self._states.pop(current, None)
            theirs = self._states.pop(portal, None) if portal is not None and portal is not current else None
        if mine is not None:
            await mine[1].aclose()
        if theirs is not None and portal is not None and portal.is_running():
            # The portal loop never waits on another loop, so waiting on it here can't deadlock.
            future = asyncio.run_coroutine_threadsafe(_finish(theirs[1]), portal)
            try:
                await asyncio.wait_for(asyncio.wrap_future(future), timeout=5)
            except TimeoutError:
                log.warning("the %s HTTP client of the synchronous face did not close in time", self._name)


async def _finish(keeper: AsyncGenerator[None, None]) -> None:
    await keeper.aclose()


@dataclass
class BoundedClient:
    """A pooled client and the bound on requests in flight through it (one per loop: see `PerLoop`)."""

    client: httpx.AsyncClient
    limiter: asyncio.Semaphore

    @staticmethod
    async def close(bounded: BoundedClient) -> None:
        await bounded.client.aclose()


__all__ = ["BoundedClient", "PerLoop"]
