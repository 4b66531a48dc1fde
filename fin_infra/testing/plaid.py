"""`serve_plaid_emulator()`: the Plaid emulator on a real local HTTP server, for tests.

>>> from fin_infra.testing import serve_plaid_emulator
>>> with serve_plaid_emulator() as plaid:
...     public_token = plaid.create_public_token(institution_id="ins_109508")
...     env = plaid.env()  # PLAID_* variables that point easy_banking() at it
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fin_infra.emulators.plaid.app import create_app
from fin_infra.emulators.plaid.faults import HttpFaults
from fin_infra.emulators.plaid.models import PlaidBackend
from fin_infra.emulators.plaid.webhooks import SentWebhook
from fin_infra.emulators.server import EmulatorServer

if TYPE_CHECKING:
    from fin_infra.providers.banking.plaid import PlaidProvider


class PlaidEmulator:
    """A running Plaid emulator: its URL, credentials, state (``backend``) and shortcuts."""

    def __init__(self, backend: PlaidBackend, server: EmulatorServer) -> None:
        self.backend = backend
        self.server = server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def client_id(self) -> str:
        return self.backend.client_id

    @property
    def secret(self) -> str:
        return self.backend.secret

    def env(self) -> dict[str, str]:
        """Environment variables that make ``easy_banking(provider="plaid")`` talk to this emulator."""
        return {
            "PLAID_CLIENT_ID": self.backend.client_id,
            "PLAID_SECRET": self.backend.secret,
            "PLAID_ENVIRONMENT": "sandbox",
            "PLAID_BASE_URL": self.base_url,
        }

    def provider_options(self) -> dict[str, Any]:
        """Keyword arguments for ``easy_banking(provider="plaid", **options)`` (no environment needed)."""
        return {
            "client_id": self.backend.client_id,
            "secret": self.backend.secret,
            "base_url": self.base_url,
            "environment": "sandbox",
        }

    def client(self, **options: Any) -> PlaidProvider:
        """Our Plaid provider pointed at this emulator (``options`` override, e.g. ``max_retries=0``)."""
        from fin_infra.providers.banking.plaid import PlaidProvider

        return PlaidProvider(**{**self.provider_options(), **options})

    def create_public_token(
        self,
        institution_id: str = "ins_109508",
        products: list[str] | None = None,
        *,
        webhook: str | None = None,
        days_requested: int | None = None,
        transaction_count: int | None = None,
    ) -> str:
        """A public token for a new ``user_good`` Item, as a finished Link flow would give the front end.
        ``transaction_count`` (emulator only) seeds exactly that many transactions."""
        options: dict[str, Any] = {"webhook": webhook}
        if days_requested is not None:
            options["transactions"] = {"days_requested": days_requested}
        return self.backend.create_public_token(
            institution_id, products or ["transactions"], options, transaction_count=transaction_count
        )

    def create_access_token(self, institution_id: str = "ins_109508", **options: Any) -> str:
        """Shortcut: a public token, exchanged; returns the Item's access token."""
        return self.backend.exchange_public_token(self.create_public_token(institution_id, **options))[0]

    def rotate_webhook_key(self) -> str:
        """Start signing webhooks with a new key (the old one is served with ``expired_at`` set)."""
        return self.backend.rotate_webhook_key()

    @property
    def sent_webhooks(self) -> list[SentWebhook]:
        """Webhooks sent so far (body bytes exactly as sent, headers, the receiver's status)."""
        return list(self.backend.sent_webhooks)

    @property
    def http_faults(self) -> HttpFaults:
        """HTTP-level faults (raw answers, ``Retry-After`` as written, hangs, dropped connections) and the
        record of every request received (``http_faults.requests``: path and body)."""
        faults: HttpFaults = self.server.app.state.http_faults
        return faults

    def reset(self) -> None:
        """Forget every Item, token, fault and webhook."""
        self.backend.reset()
        self.http_faults.clear()


@contextmanager
def serve_plaid_emulator(backend: PlaidBackend | None = None, *, port: int = 0) -> Iterator[PlaidEmulator]:
    """Serve a Plaid emulator over HTTP on 127.0.0.1 (a free port unless ``port``) for the block."""
    backend = backend or PlaidBackend()
    with EmulatorServer(create_app(backend), port=port) as server:
        yield PlaidEmulator(backend, server)


__all__ = ["PlaidEmulator", "serve_plaid_emulator"]
