"""`serve_finicity_emulator()`: a Finicity emulator over real HTTP on 127.0.0.1, for your tests.

    from fin_infra.testing import serve_finicity_emulator

    with serve_finicity_emulator() as finicity:
        os.environ.update(finicity.env())            # easy_banking() now builds a FinicityClient for it
        token = finicity.create_access_token()        # a customer who finished Data Connect as demo/go
        finicity.expire_tokens()                      # the next call gets 401 10023 and refreshes its token
        finicity.faults.fail_next(503)

        link = banking.create_link_token("user-1", webhook=f"{app_url}/banking/webhooks/finicity")
        event = finicity.complete_connect(link.link_token)   # signed "added" event POSTed to the webhook
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fin_infra.emulators.faults import Faults
from fin_infra.emulators.finicity import FinicityBackend, create_app
from fin_infra.emulators.finicity.models import SANDBOX_PASSWORD
from fin_infra.emulators.finicity.webhooks import SentWebhook
from fin_infra.emulators.server import EmulatorServer
from fin_infra.providers.banking.finicity import FinicityClient, make_access_token
from fin_infra.providers.banking.finicity.tokens import token_key

_users = itertools.count(1)


class FinicityEmulator:
    """A running emulator: its URL, credentials, state (`backend`) and fault plan (`faults`)."""

    def __init__(self, server: EmulatorServer, backend: FinicityBackend) -> None:
        self.server = server
        self.backend = backend

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def faults(self) -> Faults:
        """Latency (``faults.latency = 0.05``), errors (``fail_next(429, retry_after=1)``), ``drop_next()``."""
        return self.backend.faults

    def env(self) -> dict[str, str]:
        """Environment variables that point `easy_banking()` at this emulator."""
        return {
            "FIN_INFRA_BANKING_PROVIDER": "finicity",
            "FINICITY_PARTNER_ID": self.backend.partner_id,
            "FINICITY_SECRET": self.backend.partner_secret,
            "FINICITY_APP_KEY": self.backend.app_key,
            "FINICITY_ENVIRONMENT": "sandbox",
            "FINICITY_BASE_URL": self.base_url,
        }

    def client(self, **options: Any) -> FinicityClient:
        """A `FinicityClient` for this emulator (``options`` override settings, e.g. ``page_size=50``)."""
        return FinicityClient.from_env(self.env(), **options)

    def create_customer(self, username: str | None = None) -> str:
        """A new testing customer; returns its id."""
        return self.backend.create_customer(username or f"emulator-user-{next(_users):04d}").id

    def connect(
        self, customer_id: str, username: str = "demo", password: str = SANDBOX_PASSWORD, **options: Any
    ) -> dict[str, Any]:
        """Finish Data Connect for ``customer_id`` as a FinBank test user; returns the ``added`` event."""
        return self.backend.connect(customer_id, username, password, **options)

    def complete_connect(
        self, link: str, username: str = "demo", password: str = SANDBOX_PASSWORD, **options: Any
    ) -> dict[str, Any]:
        """Finish the Connect session a ``/connect/v2/generate[/fix]`` link opened (sends its webhook, if any)."""
        query = parse_qs(urlsplit(link).query)
        customer_id, signature = query["customerId"][0], query["signature"][0]
        if "institutionLoginId" in query:
            return self.backend.fix(customer_id, query["institutionLoginId"][0], session=signature)
        return self.backend.connect(customer_id, username, password, session=signature, **options)

    def access_token(self, customer_id: str, institution_login_id: str | None = None) -> str:
        """The access token a `FinicityClient` built from `env` accepts for this customer (and login)."""
        return make_access_token(token_key(self.backend.partner_secret), customer_id, institution_login_id)

    def create_access_token(self, username: str = "demo", password: str = SANDBOX_PASSWORD, **options: Any) -> str:
        """Shortcut: a new customer who connected FinBank as ``username``; returns the login's access token.

        ``options``: ``accounts`` (1-20), ``institution_id``, ``mfa_answer``.
        """
        customer_id = self.create_customer()
        event = self.connect(customer_id, username, password, **options)
        login = str(event["payload"]["accounts"][0]["institutionLoginId"])
        return self.access_token(customer_id, login)

    def expire_tokens(self) -> int:
        """Expire every partner token issued so far (next use: 401 ``10023``)."""
        return self.backend.expire_tokens()

    def set_aggregation_status(self, institution_login_id: str, code: int) -> None:
        """Mark a login's accounts with an aggregation status code (103, 185, ...; 0 = healthy)."""
        self.backend.set_aggregation_status(institution_login_id, code)

    @property
    def sent_webhooks(self) -> list[SentWebhook]:
        """Connect webhooks delivered so far (exact bytes, headers, the receiver's status)."""
        return self.backend.webhooks.sent

    def redeliver_webhook(self, event_id: str) -> SentWebhook:
        """Send an event again, byte for byte, as Finicity's retry does."""
        return self.backend.webhooks.redeliver(event_id)

    def reset(self) -> None:
        """Forget customers, tokens, recorded requests, faults and deliveries."""
        self.backend.reset()


@contextlib.contextmanager
def serve_finicity_emulator(
    backend: FinicityBackend | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency: float = 0.0,
    today: Callable[[], dt.date] = dt.date.today,
) -> Iterator[FinicityEmulator]:
    """Serve a fresh emulator (new credentials, empty state) over HTTP until the block ends."""
    backend = backend or FinicityBackend(today=today)
    backend.faults.latency = latency
    with EmulatorServer(create_app(backend), host=host, port=port) as server:
        backend.base_url = server.base_url
        yield FinicityEmulator(server, backend)


__all__ = ["FinicityEmulator", "serve_finicity_emulator"]
