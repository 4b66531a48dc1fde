"""Injected faults, shared by the Teller, MX and Finicity emulators: latency on every request, and one-shot
errors, raw answers, hangs or dropped connections. `FaultGate` is the emulators' ASGI middleware playing them
(with `arrive` and `answer`); only the error body (the provider's own shape) and the provider's own request
checks differ per emulator.

    >>> faults = Faults()
    >>> faults.fail_next(429, retry_after=1)
    >>> faults.take("/accounts").status
    429
    >>> faults.answer_next(200, "<html>oops</html>", content_type="text/html")   # a raw body, any status
    >>> faults.fail_next(429, retry_after="inf")      # Retry-After sent as written, absurd values included
    >>> faults.hang_next(5.0)                          # answer only after 5 s (a hung upstream)
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True)
class Fault:
    """One injected failure: an error response (``status``) or, with ``drop``, a cut connection."""

    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: float | str | None = None  # a string is sent as written ("inf", an HTTP date, ...)
    drop: bool = False
    path: str | None = None  # only requests whose path starts with this
    body: str | None = None  # a raw body instead of the provider's error JSON (HTML, malformed or wrong-shape JSON)
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before answering

    def retry_after_header(self) -> str | None:
        if self.retry_after is None:
            return None
        return self.retry_after if isinstance(self.retry_after, str) else f"{self.retry_after:g}"


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
        retry_after: float | str | None = None,
        message: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next ``times`` matching requests answer ``status`` (with the provider's error body)."""
        with self._lock:
            self._queue.extend(Fault(status, code, message, retry_after, False, path) for _ in range(times))

    def answer_next(
        self,
        status: int,
        body: str,
        *,
        content_type: str = "application/json",
        times: int = 1,
        retry_after: float | str | None = None,
        path: str | None = None,
    ) -> None:
        """The next ``times`` matching requests answer ``status`` with exactly ``body`` (e.g. an HTML error
        page from a proxy, malformed JSON, or JSON of the wrong shape with a 200)."""
        fault = Fault(status, retry_after=retry_after, path=path, body=body, content_type=content_type)
        with self._lock:
            self._queue.extend(fault for _ in range(times))

    def hang_next(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` matching requests are answered (normally) only after ``seconds``."""
        with self._lock:
            self._queue.extend(Fault(200, path=path, delay=seconds) for _ in range(times))

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

    def apply(self, plan: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a plan as the emulators' ``POST /_emulator/faults`` takes it: ``{"latency": 0.05, "fail":
        {"status": 503, "code": ..., "times": 2, "retry_after": 1, "path": ...}, "drop": {"times": 1, "path":
        ...}}`` (any part may be left out); returns what is now planned."""
        if "latency" in plan:
            self.latency = float(plan["latency"])
        fail = plan.get("fail")
        if isinstance(fail, dict):
            self.fail_next(int(fail.get("status", 500)), fail.get("code"), times=int(fail.get("times", 1)),
                           retry_after=fail.get("retry_after"), path=fail.get("path"))  # fmt: skip
        drop = plan.get("drop")
        if isinstance(drop, dict):
            self.drop_next(times=int(drop.get("times", 1)), path=drop.get("path"))
        return {"pending_faults": self.pending(), "latency": self.latency}

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.latency = 0.0


async def arrive(faults: Faults, path: str) -> Fault | None:
    """Wait out the latency, then take the fault for a request to ``path`` (a hang waits here too).

    None: answer the request normally (no fault, or a hang that ends in a normal answer)."""
    if faults.latency > 0:
        await asyncio.sleep(faults.latency)
    fault = faults.take(path)
    if fault is not None and fault.delay > 0:
        await asyncio.sleep(fault.delay)
        if fault.body is None and not fault.drop and fault.status < 400:
            return None
    return fault


ErrorResponse = Callable[[Fault, "dict[str, str] | None"], ASGIApp]


async def answer(
    fault: Fault,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    error: ErrorResponse,
    partial_body: bytes,
    media_type: str = "application/json",
) -> None:
    """Play ``fault``: a cut connection (``partial_body`` sent, then nothing), a raw answer, or the provider's
    error response built by ``error(fault, headers)`` (``Retry-After`` sent as the fault gives it)."""
    if fault.drop:
        # Promise a body, send part of it and stop: uvicorn then closes the connection mid-response.
        promised = [(b"content-type", media_type.encode()), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": promised})
        await send({"type": "http.response.body", "body": partial_body, "more_body": True})
        return
    hint = fault.retry_after_header()
    headers = {"retry-after": hint} if hint is not None else None
    if fault.body is not None:  # an HTML error page from a proxy, malformed or wrong-shape JSON
        raw = Response(fault.body, status_code=fault.status, media_type=fault.content_type, headers=headers)
        await raw(scope, receive, send)
        return
    await error(fault, headers)(scope, receive, send)


class _Backend(Protocol):
    faults: Faults

    def record(self, method: str, path: str, query: dict[str, str]) -> None: ...


B = TypeVar("B", bound=_Backend)


class FaultGate(Generic[B]):
    """An emulator's middleware: records each API request, waits out the latency, plays an injected fault;
    otherwise the provider's own checks (`refusal`) and then the app. Subclasses name what differs."""

    partial_body: bytes = b"{"  # what a cut connection has sent (the start of a plausible body)
    media_type: str = "application/json"

    def __init__(self, app: ASGIApp, backend: B) -> None:
        self.app = app
        self.backend = backend

    def passes(self, path: str) -> bool:
        """Paths served untouched: the emulator's control routes, widget pages."""
        return False

    def fault_error(self, fault: Fault, headers: dict[str, str] | None) -> ASGIApp:
        """The provider's error response for an injected error ``fault``."""
        raise NotImplementedError

    def refusal(self, scope: Scope) -> ASGIApp | None:
        """The provider's answer to a request it refuses (credentials, headers), or None to serve it."""
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or self.passes(path):
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        self.backend.record(scope["method"], path, query)
        fault = await arrive(self.backend.faults, path)
        if fault is not None:
            await answer(fault, scope, receive, send, error=self.fault_error, partial_body=self.partial_body,
                         media_type=self.media_type)  # fmt: skip
            return
        await (self.refusal(scope) or self.app)(scope, receive, send)


def request_headers(scope: Scope) -> dict[str, str]:
    """A request's headers, names lower-cased."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
