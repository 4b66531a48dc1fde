"""The fetched-range cache: paging through a result must not refetch the range from the provider.

A small Protocol with two implementations: `MemoryTransactionCache` (default; per process) and
`RedisTransactionCache` (``redis_cache.py``, the ``redis`` extra; shared by workers). Keys hash the
access token with the provider name, so one user's data can never be served for another's token and
the token itself is never stored or logged.

    >>> cache = make_cache(ttl=60)                    # in memory, entries live 60 s
    >>> key = cache_key("sandbox", "access-sandbox-demo", dt.date(2025, 1, 1), dt.date(2025, 1, 31), None)
    >>> "access-sandbox-demo" in key
    False
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fin_infra.banking.exceptions import ProviderConfigurationError

if TYPE_CHECKING:
    from fin_infra.banking.query.index import TransactionIndex

CACHE_URL_ENV = "FIN_INFRA_CACHE_URL"
CACHE_TTL_ENV = "FIN_INFRA_CACHE_TTL"
DEFAULT_TTL = 120.0  # seconds: long enough to page through a result, short enough to see new transactions
KEY_NAMESPACE = "fin-infra:txn:"


@runtime_checkable
class TransactionCache(Protocol):
    """Where fetched ranges live between requests. ``ttl`` is in seconds; 0 turns caching off."""

    ttl: float

    async def get(self, key: str) -> TransactionIndex | None:
        """The prepared range stored under ``key``, or None when absent or expired."""

    async def set(self, key: str, index: TransactionIndex) -> None:
        """Store ``index`` under ``key`` for ``ttl`` seconds."""

    async def forget(self, prefix: str) -> None:
        """Drop every entry whose key starts with ``prefix`` (one token's entries: see `token_prefix`)."""

    async def aclose(self) -> None:
        """Release connections, if any."""


def token_prefix(provider: str, access_token: str) -> str:
    """The key prefix of every entry of one access token at one provider (a hash; never the token)."""
    digest = hashlib.sha256(f"fin-infra|{provider}|{access_token}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{KEY_NAMESPACE}{digest}:"


def cache_key(provider: str, access_token: str, start: dt.date, end: dt.date, account_id: str | None) -> str:
    """The cache key of one fetched range: token hash, then a hash of (start, end, account)."""
    fetch = json.dumps([start.isoformat(), end.isoformat(), account_id], ensure_ascii=True)
    return token_prefix(provider, access_token) + hashlib.sha256(fetch.encode()).hexdigest()[:32]


class MemoryTransactionCache:
    """Ranges kept in this process; the least recently used are dropped beyond ``max_entries`` ranges or
    ``max_transactions`` transactions in all (the bound on memory: 100,000 transactions with their
    indexes take about 200 MB).

    Thread-safe: the synchronous face runs on its own event loop thread next to the app's loop.
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 1024,
        max_transactions: int = 500_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not math.isfinite(ttl) or ttl < 0:
            raise ValueError("ttl must be 0 (no caching) or more seconds")
        if max_entries < 1 or max_transactions < 1:
            raise ValueError("max_entries and max_transactions must be at least 1")
        self.ttl = float(ttl)
        self.max_entries = max_entries
        self.max_transactions = max_transactions
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, TransactionIndex]] = OrderedDict()
        self._held = 0  # transactions in all entries
        self._lock = threading.Lock()

    async def get(self, key: str) -> TransactionIndex | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    async def set(self, key: str, index: TransactionIndex) -> None:
        if self.ttl <= 0:
            return
        if len(index) > self.max_transactions:
            return  # bigger than the whole cache may hold: served, not kept
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (self._clock() + self.ttl, index)
            self._held += len(index)
            while len(self._entries) > self.max_entries or self._held > self.max_transactions:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _, index = self._entries.pop(key)
        self._held -= len(index)

    async def forget(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k.startswith(prefix)]:
                self._drop(key)

    async def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._held = 0

    async def aclose(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._entries)


def make_cache(url: str | None = None, *, ttl: float | None = None) -> TransactionCache:
    """A cache from a URL: None or ``memory://`` -> in memory; ``redis://``, ``rediss://``, ``unix://`` -> Redis.

    ``ttl`` defaults to 120 seconds; 0 turns caching off (every request fetches).
    """
    seconds = DEFAULT_TTL if ttl is None else float(ttl)
    if not math.isfinite(seconds) or seconds < 0:
        raise ProviderConfigurationError("the transactions cache ttl must be 0 (off) or more seconds")
    scheme = (url or "memory://").split("://", 1)[0].lower()
    if scheme == "memory":
        return MemoryTransactionCache(ttl=seconds)
    if scheme in ("redis", "rediss", "unix"):
        from fin_infra.banking.query.redis_cache import RedisTransactionCache

        assert url is not None
        return RedisTransactionCache(url, ttl=seconds)
    raise ProviderConfigurationError(
        f"unsupported transactions cache URL scheme {scheme[:20]!r}: use memory://, redis://, rediss:// or unix://"
    )


def cache_from_env(env: Mapping[str, str] | None = None) -> TransactionCache:
    """The cache ``FIN_INFRA_CACHE_URL`` and ``FIN_INFRA_CACHE_TTL`` ask for (memory, 120 s when unset)."""
    env = os.environ if env is None else env
    raw_ttl = env.get(CACHE_TTL_ENV, "").strip()
    ttl: float | None = None
    if raw_ttl:
        try:
            ttl = float(raw_ttl)
        except ValueError:
            message = f"{CACHE_TTL_ENV} must be a number of seconds (0 turns caching off)"
            raise ProviderConfigurationError(message) from None
    return make_cache(env.get(CACHE_URL_ENV, "").strip() or None, ttl=ttl)
