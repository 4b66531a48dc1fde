"""Events a webhook handler got on the app's thread, readable from the test thread."""

from __future__ import annotations

import threading

from fin_infra.banking.webhooks import WebhookEvent


class Received:
    """A thread-safe list of events with a wait: handlers run on the server's thread after the 200."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []
        self._cond = threading.Condition()

    def add(self, event: WebhookEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[WebhookEvent]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.events) >= count, timeout), f"{len(self.events)} < {count}"
            return list(self.events)
