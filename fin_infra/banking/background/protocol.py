"""`BackgroundJobs`: what the banking services ask of a job engine. Another engine plugs in by implementing
these three methods.

    >>> class Recorder:
    ...     def __init__(self): self.asked = []
    ...     async def enqueue_sync(self, connection_id, *, trigger): self.asked.append(connection_id); return True
    ...     async def start(self): pass
    ...     async def aclose(self): pass
"""

from __future__ import annotations

from typing import Protocol


class BackgroundJobs(Protocol):
    async def enqueue_sync(self, connection_id: str, *, trigger: str) -> bool:
        """Have the connection's ledger synced soon. False when the trigger was coalesced into a sync already
        waiting for it (at most one waits per connection; a running one is followed by the waiting one)."""
        ...

    async def start(self) -> None:
        """Called at the app's startup (open pools, check the engine's schema)."""
        ...

    async def aclose(self) -> None:
        """Called at the app's shutdown (in-process: let running syncs end; a queue: close its pool)."""
        ...
