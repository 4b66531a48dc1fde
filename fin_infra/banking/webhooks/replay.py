"""Replay protection: remember which deliveries were accepted, so a second copy is ignored.

What names a delivery:
- Plaid: the signed part of the ``Plaid-Verification`` JWT (key id, ``iat``, body hash). Replaying
  the captured request is caught; the token can't be re-spelt into a new id (ECDSA signatures can
  be, which is why the signature is not part of it). It only has to be remembered while ``iat`` is
  fresh (5 minutes + skew): after that the verifier refuses it anyway. The body alone would be
  wrong: two genuine ``SYNC_UPDATES_AVAILABLE`` webhooks for one item can have identical bodies.
- Teller: the event ``id`` (``wh_...``) inside the signed body, so a retry of an event already
  handled is ignored too, remembered for 24 hours by default.

The store is a small Protocol: one atomic "add if absent" with an expiry, which Redis does with
``SET key 1 NX EX ttl`` (see `RedisReplayStore`). The in-memory default is per process: behind
several workers, use a shared store.

    >>> import asyncio
    >>> store = MemoryReplayStore()
    >>> asyncio.run(store.add_if_new("plaid:abc", ttl=360)), asyncio.run(store.add_if_new("plaid:abc", ttl=360))
    (True, False)
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger("fin_infra.banking.webhooks")


@runtime_checkable
class ReplayStore(Protocol):
    """Where accepted delivery ids are remembered."""

    async def add_if_new(self, delivery_id: str, ttl: float) -> bool:
        """Remember ``delivery_id`` for ``ttl`` seconds; True if it was not already remembered (atomic)."""
        ...


class MemoryReplayStore:
    """Delivery ids in a dict with expiry times, for one process (the default).

    At most ``max_entries`` unexpired ids are kept; past that the ones closest to expiry are
    dropped first (and a warning logged), so memory stays bounded under a flood.
    """

    def __init__(self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    async def add_if_new(self, delivery_id: str, ttl: float) -> bool:
        """See `ReplayStore.add_if_new`."""
        now = self._clock()
        with self._lock:
            self._purge(now)
            until = self._expiry.get(delivery_id)
            if until is not None and until > now:
                return False
            self._expiry[delivery_id] = now + ttl
            heapq.heappush(self._heap, (now + ttl, delivery_id))
            if len(self._expiry) > self._max:
                log.warning("webhook replay store full (%d ids): forgetting the ones closest to expiry", self._max)
                while len(self._expiry) > self._max and self._heap:
                    _, oldest = heapq.heappop(self._heap)
                    self._expiry.pop(oldest, None)
            return True

    def _purge(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            expiry, delivery_id = heapq.heappop(self._heap)
            if self._expiry.get(delivery_id) == expiry:
                del self._expiry[delivery_id]

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._expiry)


class RedisReplayStore:
    """Delivery ids in Redis (``SET NX EX``), shared by every worker (needs the ``redis`` extra).

    >>> from redis.asyncio import Redis
    >>> store = RedisReplayStore(Redis.from_url("redis://localhost:6379/0"))  # doctest: +SKIP
    """

    def __init__(self, client: Any, *, prefix: str = "fin-infra:webhook:") -> None:
        self._client = client
        self._prefix = prefix

    async def add_if_new(self, delivery_id: str, ttl: float) -> bool:
        """See `ReplayStore.add_if_new`."""
        seconds = max(1, int(ttl + 0.999))
        created = await self._client.set(self._prefix + delivery_id, b"1", nx=True, ex=seconds)
        return bool(created)


__all__ = ["MemoryReplayStore", "RedisReplayStore", "ReplayStore"]
