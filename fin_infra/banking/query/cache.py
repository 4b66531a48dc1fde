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
import functools
import hashlib
import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fin_infra.banking.exceptions import ProviderConfigurationError

if TYPE_CHECKING:
    from fin_infra.banking.query.index import TransactionIndex

CACHE_URL_ENV = "FIN_INFRA_CACHE_URL"
CACHE_TTL_ENV = "FIN_INFRA_CACHE_TTL"
DEFAULT_TTL = 120.0  # seconds: long enough to page through a result, short enough to see new transactions
KEY_NAMESPACE = "fin-infra:txn:"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # per process, all tokens
DEFAULT_MAX_BYTES_PER_TOKEN = 32 * 1024 * 1024  # one token can't pin more, however many ranges it asks for


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
    return token_prefix(provider, access_token) + _range_hash(start, end, account_id)


@functools.lru_cache(maxsize=4096)
def _range_hash(start: dt.date, end: dt.date, account_id: str | None) -> str:
    # the same few ranges come back on every page of every user: hashed once (no token in this cache)
    fetch = json.dumps([start.isoformat(), end.isoformat(), account_id], ensure_ascii=True)
    return hashlib.sha256(fetch.encode()).hexdigest()[:32]


def _prefix_of(key: str) -> str:
    # cache_key = token_prefix + range hash: the prefix ends at the last ":"
    return key[: key.rfind(":") + 1]


class MemoryTransactionCache:
    """Ranges kept in this process, bounded by memory: at most ``max_bytes`` in all and
    ``max_bytes_per_token`` for one access token (estimated with `TransactionIndex.nbytes`), and at
    most ``max_entries`` ranges and ``max_transactions`` transactions. Beyond a bound the least
    recently used ranges go first (for the per-token bound, that token's own). A range bigger than a
    bound is served, not kept. Expired ranges are dropped, and their memory freed, at the next call
    to the cache, whichever range it is for.

    Thread-safe: the synchronous face runs on its own event loop thread next to the app's loop.
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 1024,
        max_transactions: int = 500_000,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_bytes_per_token: int = DEFAULT_MAX_BYTES_PER_TOKEN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not math.isfinite(ttl) or ttl < 0:
            raise ValueError("ttl must be 0 (no caching) or more seconds")
        if min(max_entries, max_transactions, max_bytes, max_bytes_per_token) < 1:
            raise ValueError("max_entries, max_transactions, max_bytes and max_bytes_per_token must be at least 1")
        self.ttl = float(ttl)
        self.max_entries = max_entries
        self.max_transactions = max_transactions
        self.max_bytes = max_bytes
        self.max_bytes_per_token = max_bytes_per_token
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._held = 0  # transactions in all entries
        self._bytes = 0
        self._token_bytes: dict[str, int] = {}
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Estimated bytes held in all (see `TransactionIndex.nbytes`)."""
        return self._bytes

    def token_bytes(self, prefix: str) -> int:
        """Estimated bytes held for one token (its `token_prefix`)."""
        with self._lock:
            return self._token_bytes.get(prefix, 0)

    async def get(self, key: str) -> TransactionIndex | None:
        with self._lock:
            now = self._clock()
            self._sweep(now)
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= now:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry.index

    async def set(self, key: str, index: TransactionIndex) -> None:
        if self.ttl <= 0:
            return
        size = index.nbytes
        if len(index) > self.max_transactions or size > min(self.max_bytes, self.max_bytes_per_token):
            return  # bigger than a bound: served, not kept
        prefix = _prefix_of(key)
        with self._lock:
            now = self._clock()
            self._sweep(now)
            if key in self._entries:
                self._drop(key)
            self._entries[key] = _Entry(now + self.ttl, index, size, prefix)
            self._held += len(index)
            self._bytes += size
            self._token_bytes[prefix] = self._token_bytes.get(prefix, 0) + size
            if self._token_bytes[prefix] > self.max_bytes_per_token:
                for other in [k for k, e in self._entries.items() if e.prefix == prefix and k != key]:
                    self._drop(other)
                    if self._token_bytes.get(prefix, 0) <= self.max_bytes_per_token:
                        break
            while (
                len(self._entries) > self.max_entries
                or self._held > self.max_transactions
                or self._bytes > self.max_bytes
            ):
                self._drop(next(iter(self._entries)))

    def _sweep(self, now: float) -> None:
        # Every expired entry, not just the one asked for: an expired range must not pin its memory.
        # A full pass at most once a second (a few microseconds per thousand entries).
        if now < self._next_sweep:
            return
        self._next_sweep = now + 1.0
        for key in [k for k, e in self._entries.items() if e.expires <= now]:
            self._drop(key)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._held -= len(entry.index)
        self._bytes -= entry.size
        left = self._token_bytes.get(entry.prefix, 0) - entry.size
        if left > 0:
            self._token_bytes[entry.prefix] = left
        else:
            self._token_bytes.pop(entry.prefix, None)

    async def forget(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k.startswith(prefix)]:
                self._drop(key)

    async def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._held = 0
            self._bytes = 0
            self._token_bytes.clear()

    async def aclose(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: float
    index: TransactionIndex
    size: int
    prefix: str


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
