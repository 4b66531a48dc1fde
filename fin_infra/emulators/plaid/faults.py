"""HTTP-level faults for the Plaid emulator, and a record of every request it received.

`PlaidBackend.inject_fault` plays Plaid's own errors (a Plaid error object with its status). These
are what Plaid's documented errors can't express, as a proxy or a broken network would produce
them: any status with any body (an HTML error page, malformed JSON, JSON of the wrong shape with a
200), ``Retry-After`` exactly as written (``inf``, an HTTP date), an answer that only comes after a
delay, and a connection cut mid-body. `HttpFaults.requests` records each request's path and body,
so a test can prove what never reached the emulator.

    >>> faults = HttpFaults()
    >>> faults.answer_next(429, '{"error_code": "RATE_LIMIT"}', retry_after="inf")
    >>> faults.drop_next(path="/accounts/get")
    >>> faults.pending()
    2
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class HttpFault:
    """One planned answer: ``status`` with ``body``; or, with ``drop``, a cut connection; after ``delay`` s."""

    status: int = 500
    body: str | None = None
    content_type: str = "application/json"
    retry_after: str | None = None
    drop: bool = False
    delay: float = 0.0
    path: str | None = None  # only requests to this endpoint (None: any)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: bytes


class HttpFaults:
    """A thread-safe fault plan (the test's thread plans, the server's thread plays) and request record."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[HttpFault] = deque()
        self.requests: list[RecordedRequest] = []

    def answer_next(
        self,
        status: int,
        body: str,
        *,
        content_type: str = "application/json",
        retry_after: str | float | None = None,
        times: int = 1,
        path: str | None = None,
    ) -> None:
        """The next ``times`` matching requests answer ``status`` with exactly ``body``."""
        hint = None if retry_after is None else retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        self._add(HttpFault(status, body, content_type, hint, path=path), times)

    def drop_next(self, *, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` matching requests get half an answer, then the connection is closed."""
        self._add(HttpFault(200, drop=True, path=path), times)

    def hang_next(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` matching requests are answered (normally) only after ``seconds``."""
        self._add(HttpFault(200, delay=seconds, path=path), times)

    def _add(self, fault: HttpFault, times: int) -> None:
        with self._lock:
            self._queue.extend(fault for _ in range(times))

    def take(self, path: str) -> HttpFault | None:
        with self._lock:
            for fault in self._queue:
                if fault.path is None or fault.path == path:
                    self._queue.remove(fault)
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Drop every planned fault and forget the recorded requests."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def record(self, method: str, path: str, body: bytes) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, body))


class HttpFaultMiddleware:
    """Records each request (path and body), then plays the next matching `HttpFault`, if any."""

    def __init__(self, app: ASGIApp, faults: HttpFaults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, receive = await _buffer(receive)
        path = scope.get("path", "")
        self.faults.record(scope.get("method", ""), path, body)
        fault = self.faults.take(path)
        if fault is not None and fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault is None or (fault.delay > 0 and fault.body is None and not fault.drop):
            await self.app(scope, receive, send)
            return
        if fault.drop:
            # Promise a body, send part of it and stop: uvicorn then closes the connection mid-response.
            promised = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
            await send({"type": "http.response.start", "status": 200, "headers": promised})
            await send({"type": "http.response.body", "body": b'{"accounts": [{"account_id"', "more_body": True})
            return
        payload = (fault.body or "").encode()
        headers = [(b"content-type", fault.content_type.encode()), (b"content-length", str(len(payload)).encode())]
        if fault.retry_after is not None:
            headers.append((b"retry-after", fault.retry_after.encode("latin-1", "replace")))
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body, and a ``receive`` that replays it to the app."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


__all__ = ["HttpFault", "HttpFaultMiddleware", "HttpFaults", "RecordedRequest"]
