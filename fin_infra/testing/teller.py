"""`serve_teller_emulator()`: a Teller emulator over real HTTPS + mTLS on 127.0.0.1, for your tests.

    from fin_infra.testing import serve_teller_emulator

    with serve_teller_emulator() as teller:
        token = teller.enroll("username", "password")   # the access token Teller Connect hands out
        os.environ.update(teller.env())                 # easy_banking() now builds a TellerClient for it
        banking = easy_banking()
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fin_infra.emulators.server import EmulatorServer, TLSConfig
from fin_infra.emulators.teller import TellerBackend, create_app
from fin_infra.emulators.teller.certs import (
    CertificateBundle,
    expired_client_certificate,
    foreign_client_certificate,
    generate_certificates,
)
from fin_infra.emulators.teller.faults import Faults
from fin_infra.emulators.teller.models import SANDBOX_PASSWORD
from fin_infra.providers.banking.teller import TellerClient

EMULATOR_APPLICATION_ID = "app_emulator000000000"


class TellerEmulator:
    """A running emulator: its URL, certificates, state (`backend`) and fault plan (`faults`)."""

    def __init__(self, server: EmulatorServer, backend: TellerBackend, certs: CertificateBundle) -> None:
        self.server = server
        self.backend = backend
        self.certs = certs

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return self.server.base_url

    @property
    def faults(self) -> Faults:
        """Inject latency, errors (``fail_next(429, retry_after=1)``) and dropped connections."""
        return self.backend.faults

    def connect(self, username: str = "username", password: str = SANDBOX_PASSWORD, **options: Any) -> dict[str, Any]:
        """What Teller Connect's ``onSuccess`` gives the front end: accessToken, enrollment, user."""
        return self.backend.enroll(username, password, **options)

    def enroll(self, username: str = "username", password: str = SANDBOX_PASSWORD, **options: Any) -> str:
        """Enroll a sandbox user and return the access token (``options``: institution, accounts)."""
        return str(self.connect(username, password, **options)["accessToken"])

    def env(self) -> dict[str, str]:
        """Environment variables that point `easy_banking()` at this emulator."""
        return {
            "FIN_INFRA_BANKING_PROVIDER": "teller",
            "TELLER_CERTIFICATE_PATH": str(self.certs.client_cert),
            "TELLER_PRIVATE_KEY_PATH": str(self.certs.client_key),
            "TELLER_ENVIRONMENT": "sandbox",
            "TELLER_APPLICATION_ID": EMULATOR_APPLICATION_ID,
            "TELLER_BASE_URL": self.base_url,
            "TELLER_CA_BUNDLE": str(self.certs.ca_cert),
        }

    def client(self, **options: Any) -> TellerClient:
        """A `TellerClient` for this emulator (``options`` override settings, e.g. ``page_size=50``)."""
        return TellerClient.from_env(self.env(), **options)

    def foreign_certificate(self) -> tuple[Path, Path]:
        """(cert, key) of a client certificate from a CA this emulator doesn't trust."""
        return foreign_client_certificate(self.certs)

    def expired_certificate(self) -> tuple[Path, Path]:
        """(cert, key) of an expired client certificate signed by this emulator's CA."""
        return expired_client_certificate(self.certs)

    def reset(self) -> None:
        """Forget enrollments, recorded requests and faults."""
        self.backend.reset()


@contextlib.contextmanager
def serve_teller_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency: float = 0.0,
    today: Callable[[], dt.date] = dt.date.today,
    cert_dir: str | Path | None = None,
) -> Iterator[TellerEmulator]:
    """Serve a fresh emulator (new certificates, empty state) until the block ends.

    Certificates go to ``cert_dir`` (default: a temporary directory removed afterwards).
    """
    own_dir = cert_dir is None
    directory = Path(tempfile.mkdtemp(prefix="teller-emulator-")) if cert_dir is None else Path(cert_dir)
    try:
        certs = generate_certificates(directory)
        backend = TellerBackend(today=today)
        backend.faults.latency = latency
        tls = TLSConfig(certs.server_cert, certs.server_key, client_ca=certs.ca_cert, require_client_cert=True)
        with EmulatorServer(create_app(backend), host=host, port=port, tls=tls) as server:
            yield TellerEmulator(server, backend, certs)
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


__all__ = ["EMULATOR_APPLICATION_ID", "TellerEmulator", "serve_teller_emulator"]
