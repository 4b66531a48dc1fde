"""`no_full_collections`: the garbage collector's full passes held back while a bulk parse builds long-lived data.

A 10,000-transaction Plaid sync keeps ~60,000 new container objects alive (the transactions and the
raw dicts they carry). CPython starts a full collection whenever the objects that survived the young
generations grow by a quarter, and a full pass walks every tracked object in the process: during
such a sync that is 2-3 passes of 35-50 ms each, the event loop frozen through every one
(bench/plaid_stall.py). Inside this context the young generations are collected exactly as usual
(their cost is bounded by what was allocated since the last one) but the oldest one's threshold is
lifted, so no full pass starts; on leaving, the thresholds are restored, and the collector's usual
rule runs the full pass it held back at its next young collection: after the sync, when the page
dicts are gone and, typically, the result has been stored and dropped.

Process-wide and nestable (syncs on several tasks or threads share one hold, released by the last to
leave). Cycles that end up in the oldest generation are freed at that next full pass, not during the
hold.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_HELD_THRESHOLD = 1 << 30
_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] | None = None


@contextlib.contextmanager
def no_full_collections() -> Iterator[None]:
    """While inside, automatic collections stop at the middle generation (see the module's docstring)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            if len(_saved) >= 3 and _saved[0] > 0:  # a collector set to 0 (off) stays off
                gc.set_threshold(_saved[0], _saved[1], _HELD_THRESHOLD)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                current = gc.get_threshold()
                if current[2:3] == (_HELD_THRESHOLD,):  # unless someone set thresholds of their own meanwhile
                    gc.set_threshold(*_saved)
                _saved = None
