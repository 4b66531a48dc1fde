"""`serve_teller_emulator()`: a Teller emulator over real HTTPS + mTLS on 127.0.0.1, for your tests.

As Teller does, the emulator asks for the client certificate in the TLS handshake without requiring it:
a certificate that is presented must be one its CA signed (else the handshake fails); sandbox tokens
work without one, and a development or production token without one answers HTTP 400 ``Missing
certificate`` (``teller.enroll(environment="development")``).

    from fin_infra.testing import serve_teller_emulator

    with serve_teller_emulator() as teller:
        token = teller.enroll("username", "password")   # the access token Teller Connect hands out
        os.environ.update(teller.env())                 # easy_banking() now builds a TellerClient for it
        banking = easy_banking()

        teller.set_webhook(f"{app_url}/banking/webhooks/teller", secrets=["whsec_test"])
        teller.disconnect(enrollment_id, "mfa_required")  # POSTs a signed enrollment.disconnected
        teller.sent_webhooks[-1].status_code            # what your app answered
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from fin_infra.emulators.faults import Faults
from fin_infra.emulators.server import EmulatorServer, TLSConfig
from fin_infra.emulators.teller import TellerBackend, create_app
from fin_infra.emulators.teller.certs import (
    CertificateBundle,
    expired_client_certificate,
    foreign_client_certificate,
    generate_certificates,
)
from fin_infra.emulators.teller.models import SANDBOX_PASSWORD
from fin_infra.emulators.teller.webhooks import SentWebhook
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
        """Environment variables that point `easy_banking()` at this emulator.

        Once a webhook is set, ``TELLER_WEBHOOK_SECRETS`` too (the live signing secrets).
        """
        env = {
            "FIN_INFRA_BANKING_PROVIDER": "teller",
            "TELLER_CERTIFICATE_PATH": str(self.certs.client_cert),
            "TELLER_PRIVATE_KEY_PATH": str(self.certs.client_key),
            "TELLER_ENVIRONMENT": "sandbox",
            "TELLER_APPLICATION_ID": EMULATOR_APPLICATION_ID,
            "TELLER_BASE_URL": self.base_url,
            "TELLER_CA_BUNDLE": str(self.certs.ca_cert),
        }
        if self.backend.webhooks.url is not None:
            env["TELLER_WEBHOOK_SECRETS"] = ",".join(self.backend.webhooks.live_secrets())
        return env

    def client(self, **options: Any) -> TellerClient:
        """A `TellerClient` for this emulator (``options`` override settings, e.g. ``page_size=50``)."""
        return TellerClient.from_env(self.env(), **options)

    def foreign_certificate(self) -> tuple[Path, Path]:
        """(cert, key) of a client certificate from a CA this emulator doesn't trust."""
        return foreign_client_certificate(self.certs)

    def expired_certificate(self) -> tuple[Path, Path]:
        """(cert, key) of an expired client certificate signed by this emulator's CA."""
        return expired_client_certificate(self.certs)

    # --- webhooks (signed and POSTed over real HTTP; see fin_infra.emulators.teller.webhooks) ---

    def set_webhook(self, url: str | None, secrets: Sequence[str] | None = None) -> list[str]:
        """Deliver webhooks to ``url`` signed with ``secrets`` (one made up if none); returns the live secrets."""
        return self.backend.webhooks.configure(url, secrets)

    def rotate_webhook_secret(self, new_secret: str | None = None, *, expire_old_in: float = 3600.0) -> str:
        """Add a signing secret; the old ones keep signing (a second ``v1``) for ``expire_old_in`` seconds."""
        return self.backend.webhooks.rotate_secret(new_secret, expire_old_in=expire_old_in)

    def disconnect(self, enrollment_id: str, reason: str = "disconnected") -> SentWebhook | None:
        """Disconnect an enrollment (``mfa_required``, ``account_locked``, ...): sends ``enrollment.disconnected``."""
        return self.backend.disconnect(enrollment_id, reason)

    def process_transactions(self, enrollment_id: str, *, days: int = 2) -> SentWebhook | None:
        """Send ``transactions.processed`` with the enrollment's transactions of the last ``days`` days."""
        return self.backend.process_transactions(enrollment_id, days=days)

    def send_test_webhook(self) -> SentWebhook | None:
        """Send ``webhook.test`` (empty payload)."""
        return self.backend.send_test_webhook()

    def redeliver_webhook(self, event_id: str) -> SentWebhook:
        """Send an event again as Teller's retry would: same body, fresh timestamp and signature."""
        return self.backend.webhooks.redeliver(event_id)

    @property
    def sent_webhooks(self) -> list[SentWebhook]:
        """Deliveries so far: exact body bytes, headers, and the receiver's status (None if unreachable)."""
        return self.backend.webhooks.sent

    def reset(self) -> None:
        """Forget enrollments, recorded requests, faults and webhook settings."""
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
        # Requested, verified when presented, not required: the API answers a missing one (400) where needed.
        tls = TLSConfig(certs.server_cert, certs.server_key, client_ca=certs.ca_cert, require_client_cert=False)
        with EmulatorServer(create_app(backend), host=host, port=port, tls=tls) as server:
            backend.base_url = server.base_url
            yield TellerEmulator(server, backend, certs)
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


__all__ = ["EMULATOR_APPLICATION_ID", "TellerEmulator", "serve_teller_emulator"]
