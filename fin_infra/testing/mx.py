"""`serve_mx_emulator()`: the MX emulator on a real local HTTP server, for tests.

>>> from fin_infra.testing import serve_mx_emulator
>>> with serve_mx_emulator() as mx:
...     token = mx.create_access_token("app-user-1")   # a connected MX Bank member's access token
...     env = mx.env()                                   # MX_* variables that point easy_banking() at it
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from fin_infra.emulators.faults import Faults
from fin_infra.emulators.mx import MXBackend, SentWebhook, create_app
from fin_infra.emulators.server import EmulatorServer
from fin_infra.providers.banking.mx import MXClient
from fin_infra.providers.banking.mx.tokens import encode_token, signing_key

EMULATOR_TOKEN_SECRET = "mx-emulator-token-secret"  # noqa: S105 - a test value, signs emulator tokens only


class MXEmulator:
    """A running MX emulator: its URL, credentials, state (``backend``) and shortcuts."""

    def __init__(self, backend: MXBackend, server: EmulatorServer) -> None:
        self.backend = backend
        self.server = server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def client_id(self) -> str:
        return self.backend.client_id

    @property
    def api_key(self) -> str:
        return self.backend.api_key

    @property
    def faults(self) -> Faults:
        """Inject latency, errors (``fail_next(429, retry_after=1)``) and dropped connections."""
        return self.backend.faults

    def env(self) -> dict[str, str]:
        """Environment variables that make ``easy_banking()`` build an `MXClient` for this emulator."""
        return {
            "FIN_INFRA_BANKING_PROVIDER": "mx",
            "MX_CLIENT_ID": self.client_id,
            "MX_API_KEY": self.api_key,
            "MX_ENVIRONMENT": "integration",
            "MX_BASE_URL": self.base_url,
            "MX_TOKEN_SECRET": EMULATOR_TOKEN_SECRET,
        }

    def provider_options(self) -> dict[str, Any]:
        """Keyword arguments for ``easy_banking(provider="mx", **options)`` (no environment needed)."""
        return {"client_id": self.client_id, "api_key": self.api_key, "environment": "integration",
                "base_url": self.base_url, "token_secret": EMULATOR_TOKEN_SECRET}  # fmt: skip

    def client(self, **options: Any) -> MXClient:
        """Our MX client pointed at this emulator (``options`` override, e.g. ``page_size=10``)."""
        return MXClient(**{**self.provider_options(), **options})

    def user_guid(self, user_id: str) -> str:
        """The MX user for ``user_id`` (created on first use)."""
        found = self.backend.find_users(user_id)
        return found[0].guid if found else self.backend.create_user(user_id).guid

    def connect(self, user_id: str = "app-user-1", password: str = "password", **options: Any) -> dict[str, Any]:  # noqa: S107
        """What the Connect widget posts when ``user_id`` logs in to MX Bank (``options``: institution_code,
        username, answer, accounts, seed): ``mx/connect/memberConnected`` or ``memberStatusUpdate``."""
        session = self.backend.create_widget(self.user_guid(user_id), None, include_identity=True)
        return self.backend.connect(session.token, password=password, **options)

    def access_token(self, user_guid: str, member_guid: str) -> str:
        """The access token our client accepts for ``member_guid`` (what /exchange would return)."""
        return encode_token(user_guid, member_guid, signing_key(self.api_key, self.client_id, EMULATOR_TOKEN_SECRET))

    def create_access_token(self, user_id: str = "app-user-1", *, accounts: int = 3, seed: str | None = None,
                            password: str = "password") -> str:  # noqa: S107 - MX Bank's sandbox accepts any
        """A member connected at MX Bank (``password`` picks the sandbox outcome), and its access token."""
        member = self.backend.create_member(self.user_guid(user_id), "mxbank", "mxuser", password,
                                            accounts=accounts, seed=seed)  # fmt: skip
        return self.access_token(member.user_guid, member.guid)

    def member_of(self, access_token: str) -> str:
        """The member GUID an access token names."""
        return MXClient(**self.provider_options()).member_ref(access_token).member_guid

    def set_status(self, member_guid: str, connection_status: str) -> None:
        """The member's status changes at MX (sends CONNECTION_STATUS for the states MX notifies)."""
        self.backend.set_status(member_guid, connection_status)

    def set_bank_balance(self, account_guid: str, balance: Decimal | str) -> None:
        """The bank's balance changes; MX serves it after the next ``check_balance`` or aggregation."""
        self.backend.set_bank_balance(account_guid, Decimal(balance))

    def set_webhook(self, url: str | None, username: str | None = None, password: str | None = None) -> None:
        """Deliver webhooks to ``url`` with these HTTP Basic credentials (what the Client Dashboard sets)."""
        self.backend.webhooks.configure(url, username, password)

    @property
    def sent_webhooks(self) -> list[SentWebhook]:
        """Deliveries so far (call `drain_webhooks` first for the ones an API call caused)."""
        return self.backend.webhooks.sent

    def drain_webhooks(self, timeout: float = 10.0) -> list[SentWebhook]:
        """Wait for queued deliveries; returns every delivery so far."""
        self.backend.webhooks.drain(timeout)
        return self.backend.webhooks.sent

    def reset(self) -> None:
        """Forget users, members, recorded requests, faults and webhook settings."""
        self.backend.reset()


@contextmanager
def serve_mx_emulator(
    backend: MXBackend | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency: float = 0.0,
    today: Callable[[], dt.date] = dt.date.today,
) -> Iterator[MXEmulator]:
    """Serve an MX emulator over HTTP on 127.0.0.1 (a free port unless ``port``) for the block."""
    backend = backend or MXBackend(today=today)
    backend.faults.latency = latency
    with EmulatorServer(create_app(backend), host=host, port=port) as server:
        yield MXEmulator(backend, server)


__all__ = ["EMULATOR_TOKEN_SECRET", "MXEmulator", "serve_mx_emulator"]
