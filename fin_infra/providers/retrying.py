"""Retries of one provider call: which answers are retried, jittered exponential backoff, one time budget.

    >>> attempts = Attempts(RetryPolicy(max_attempts=2, base_delay=0.1, max_delay=1.0), timeout=5.0, connect=2.0)
    >>> attempts.start().read
    5.0
    >>> 0.05 <= attempts.delay() <= 0.1     # a second attempt fits: wait this long
    True
    >>> attempts.start() and attempts.delay() is None   # max_attempts reached
    True
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from fin_infra.providers.retry_after import retry_after_header

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent reads are retried on 429, 5xx and connection errors.

    Delays grow exponentially from ``base_delay`` (full jitter, capped at ``max_delay``); a
    ``Retry-After`` from the provider is honoured; nothing is retried past ``total_timeout`` seconds.
    """

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 4.0
    total_timeout: float = 20.0


class Attempts:
    """The attempts of one call: each gets what is left of the time budget; `delay` says if another fits."""

    def __init__(self, policy: RetryPolicy, *, timeout: float, connect: float) -> None:
        self.policy = policy
        self.deadline = time.monotonic() + policy.total_timeout
        self.count = 0
        self._timeout = timeout
        self._connect = connect

    def start(self) -> httpx.Timeout:
        """Begin the next attempt: its timeouts, never past the deadline."""
        self.count += 1
        remaining = max(0.05, self.deadline - time.monotonic())
        return httpx.Timeout(min(self._timeout, remaining), connect=min(self._connect, remaining))

    def backoff(self) -> float:
        cap = min(self.policy.max_delay, self.policy.base_delay * (2 ** (self.count - 1)))
        return random.uniform(cap / 2, cap)  # noqa: S311 - jitter, not cryptography

    def delay(self, headers: Mapping[str, str] | None = None) -> float | None:
        """Seconds to wait before another attempt (``Retry-After`` in ``headers`` first, else backoff), or None
        when attempts or time have run out."""
        hinted = retry_after_header(headers) if headers is not None else None
        wait = hinted if hinted is not None else self.backoff()
        if self.count < self.policy.max_attempts and time.monotonic() + wait < self.deadline:
            return wait
        return None


__all__ = ["RETRY_STATUSES", "Attempts", "RetryPolicy"]
