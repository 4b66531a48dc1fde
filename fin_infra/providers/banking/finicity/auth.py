"""Finicity partner authentication: one short-lived token, shared by every call, refreshed once.

``POST /aggregation/v2/partners/authentication`` with the partner id and secret returns a token that
is sent as ``Finicity-App-Token`` on every later call. It lasts two hours; Finicity advises a new one
every 90 minutes (`FinicitySettings.token_lifetime`). `PartnerToken` keeps it:

- concurrent calls that find no valid token wait for one fetch (one per event loop), not one each;
- a 401 saying the token is invalid or expired drops it (only if it is still the one that failed, so 50
  failing calls cause one fetch) and the call is retried once with a fresh token;
- the token and the secret are never logged, put in a URL, or shown in a repr.

    >>> PartnerToken(lifetime=60).refreshes
    0
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Awaitable, Callable


class PartnerToken:
    """The current partner token and its expiry; safe across threads and event loops."""

    def __init__(self, *, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"<PartnerToken {'set' if self._token else 'empty'} refreshes={self.refreshes}>"

    def current(self) -> str | None:
        """The token while it is fresh, else None."""
        with self._lock:
            if self._token is not None and self.clock() < self._expires_at:
                return self._token
            return None

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._lock:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    async def get(self, fetch: Callable[[], Awaitable[str]]) -> str:
        """A fresh token: the current one, or one ``fetch`` shared by every caller waiting meanwhile."""
        token = self.current()
        if token is not None:
            return token
        async with self._loop_lock():
            token = self.current()  # another caller fetched it while we waited
            if token is not None:
                return token
            token = await fetch()
            with self._lock:
                self._token, self._expires_at = token, self.clock() + self.lifetime
                self.refreshes += 1
            return token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` if it is still the current one (Finicity refused it)."""
        with self._lock:
            if self._token == token:
                self._token, self._expires_at = None, 0.0

    def expire(self) -> None:
        """Forget the current token (the next call fetches a new one)."""
        with self._lock:
            self._token, self._expires_at = None, 0.0
