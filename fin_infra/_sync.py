"""Run the async implementation from synchronous code, even inside a running event loop.

Every synchronous call is run on one long-lived background event loop (a "portal" thread), so a
provider's pooled HTTP client made for that loop is reused across synchronous calls, and calling
``banking.accounts(...)`` from inside an ``async def`` works (it blocks that caller, as any
synchronous call does: prefer the ``await banking.get_accounts(...)`` twin in async code).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _portal() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="fin-infra-sync", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on the portal loop and return its result (or raise its error)."""
    loop = _portal()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        raise RuntimeError("a synchronous fin-infra call can't be made from fin-infra's own portal loop; await it")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()
