"""Webhook delivery as MX does it: a JSON POST with the HTTP Basic credentials the client configured.

MX signs nothing (no signature header is documented; UNCONFIRMED): the receiver authenticates the
delivery by the Basic credentials it gave MX in the Client Dashboard. One URL serves every event type
here (MX allows one per type). Bodies are compact JSON; MX expects a fast 2xx and retries otherwise
(the emulator makes one attempt; `MXWebhooks.redeliver` plays a retry: the same bytes again).

Events caused by an API call (a job finishing, a status change) are delivered from a worker thread,
so the API answers first, as MX does; `MXWebhooks.drain` waits for them.

    >>> hooks = MXWebhooks()
    >>> hooks.configure("http://127.0.0.1:8000/banking/webhooks/mx", "mx-hooks", "s3cret")
    >>> hooks.url
    'http://127.0.0.1:8000/banking/webhooks/mx'
"""

from __future__ import annotations

import base64
import json
import queue
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fin_infra.emulators.deliveries import SentWebhook, deliver


class MXWebhooks:
    """The client's webhook settings (URL, Basic credentials) and the delivery log; thread-safe."""

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._url: str | None = None
        self._credentials: tuple[str, str] | None = None
        self._sent: list[SentWebhook] = []
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._waiters: list[threading.Event] = []

    @property
    def url(self) -> str | None:
        return self._url

    @property
    def credentials(self) -> tuple[str, str] | None:
        return self._credentials

    @property
    def sent(self) -> list[SentWebhook]:
        with self._lock:
            return list(self._sent)

    def configure(self, url: str | None, username: str | None = None, password: str | None = None) -> None:
        """Deliver to ``url`` (None: stop) with HTTP Basic ``username``/``password`` (None: no credentials)."""
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"the webhook URL must be an absolute http(s) URL, got {url!r}")
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        with self._lock:
            self._url = url
            self._credentials = (username, password) if username is not None and password is not None else None

    def send(self, payload: Mapping[str, Any], *, wait: bool = False) -> SentWebhook | None:
        """Deliver one event (``wait``: from this thread, returning the delivery; else queued)."""
        if self._url is None:
            return None
        body = json.dumps(dict(payload), separators=(",", ":")).encode()
        kind = str(payload.get("type", ""))
        if wait:
            return self._deliver(kind, body)
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="mx-emulator-webhooks", daemon=True)
                self._worker.start()
        self._queue.put((kind, body))
        return None

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queued delivery has been made (or ``timeout`` seconds pass)."""
        done = threading.Event()
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                return
            self._waiters.append(done)
        self._queue.put(None)
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                with self._lock:
                    waiters, self._waiters = self._waiters, []
                for w in waiters:
                    w.set()
                continue
            self._deliver(*item)

    def redeliver(self, index: int = -1) -> SentWebhook:
        """Send an earlier delivery's bytes again, as MX's retry would."""
        earlier = self.sent[index]
        return self._deliver(earlier.type, earlier.body)

    def clear(self) -> None:
        with self._lock:
            self._url = None
            self._credentials = None
            self._sent.clear()

    def _deliver(self, kind: str, body: bytes) -> SentWebhook:
        url, credentials = self._url, self._credentials
        if url is None:
            raise ValueError("no webhook URL is configured")
        headers = {"Content-Type": "application/json"}
        if credentials is not None:
            headers["Authorization"] = _basic(*credentials)
        sent = deliver(url, body, headers, type=kind, timeout=self.timeout)
        with self._lock:
            self._sent.append(sent)
        return sent


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


__all__ = ["MXWebhooks", "SentWebhook"]
