"""Serve an ASGI app with uvicorn on a background thread, on 127.0.0.1 and a free port.

    >>> from fastapi import FastAPI
    >>> with EmulatorServer(FastAPI()) as server:
    ...     server.base_url.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn


@dataclass(frozen=True)
class TLSConfig:
    """Server-side TLS: the server's certificate and key, and (for mTLS) the CA that signs client certificates."""

    certfile: Path
    keyfile: Path
    client_ca: Path | None = None
    require_client_cert: bool = True


class EmulatorServer:
    """A real HTTP(S) server for ``app`` on ``host``; the port is free-picked when ``port`` is 0."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TLSConfig | None = None,
        log_level: str = "warning",
    ) -> None:
        self.app = app
        self.host = host
        self.tls = tls
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        options: dict[str, Any] = {}
        if tls is not None:
            options.update(ssl_certfile=str(tls.certfile), ssl_keyfile=str(tls.keyfile))
            if tls.client_ca is not None:
                options.update(
                    ssl_ca_certs=str(tls.client_ca),
                    ssl_cert_reqs=ssl.CERT_REQUIRED if tls.require_client_cert else ssl.CERT_OPTIONAL,
                )
        config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off", **options)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Start serving; returns once the server accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name=f"emulator-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
