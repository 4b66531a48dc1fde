"""Injected faults: latency on every request, and one-shot errors or dropped connections.

    >>> faults = Faults()
    >>> faults.fail_next(429, retry_after=1)
    >>> faults.take("/accounts").status
    429
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One injected failure: an error response (``status``) or, with ``drop``, a cut connection."""

    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    drop: bool = False
    path: str | None = None  # only requests whose path starts with this


class Faults:
    """Thread-safe fault plan shared by the test (main thread) and the server (its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self.latency: float = 0.0

    def fail_next(
        self,
        status: int,
        code: str | None = None,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next ``times`` matching requests answer ``status`` (with Teller's error body)."""
        with self._lock:
            self._queue.extend(Fault(status, code, message, retry_after, False, path) for _ in range(times))

    def drop_next(self, *, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` matching requests lose their connection mid-response."""
        with self._lock:
            self._queue.extend(Fault(drop=True, path=path) for _ in range(times))

    def take(self, path: str) -> Fault | None:
        """The fault for a request to ``path``, consumed; None when the request should succeed."""
        with self._lock:
            for fault in self._queue:
                if fault.path is None or path.startswith(fault.path):
                    self._queue.remove(fault)
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.latency = 0.0
