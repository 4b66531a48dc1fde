"""Serve an ASGI app with uvicorn on a background thread, on 127.0.0.1 and a free port.

With a `TLSConfig` that names a client CA, the client certificate a connection presented (if any) is
handed to the app in the ASGI TLS extension: ``scope["extensions"]["tls"]["client_cert_chain"]`` (PEM
strings, empty when none was presented), so an app can answer a missing certificate at the HTTP level.

    >>> from fastapi import FastAPI
    >>> with EmulatorServer(FastAPI()) as server:
    ...     server.base_url.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string


@dataclass(frozen=True)
class TLSConfig:
    """Server-side TLS: the server's certificate and key, and (for mTLS) the CA that signs client certificates."""

    certfile: Path
    keyfile: Path
    client_ca: Path | None = None
    # True: a connection without a certificate fails the TLS handshake. False: the certificate is
    # requested (and verified when presented) and the app decides (see the TLS scope extension).
    require_client_cert: bool = True


def _peer_certificate_protocol() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, extended to put the client's certificate in the ASGI TLS extension."""
    base: Any = import_from_string(HTTP_PROTOCOLS["auto"])

    class PeerCertificateProtocol(base):  # type: ignore[misc]
        app: Any  # uvicorn's protocols keep the ASGI app here, one protocol object per connection

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            tls = {
                "server_cert": None,
                "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
                "client_cert_name": None,
                "client_cert_error": None,
                "tls_version": None,
                "cipher_suite": None,
            }
            inner = self.app

            async def app(scope: Any, receive: Any, send: Any) -> None:
                if scope.get("type") in ("http", "websocket"):
                    scope = {**scope, "extensions": {**(scope.get("extensions") or {}), "tls": tls}}
                await inner(scope, receive, send)

            self.app = app

    return PeerCertificateProtocol


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
                    http=_peer_certificate_protocol(),
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
