"""`Webhooks`: the app's webhook handlers, the verifiers and the replay store, in one object.

    webhooks = Webhooks()                          # Plaid credentials and TELLER_WEBHOOK_SECRETS from the env

    @webhooks.on("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    async def new_transactions(event: WebhookEvent) -> None:
        await sync_item(event.item_id)

    @webhooks.on("enrollment.disconnected")         # Teller: type only
    def reconnect(event: WebhookEvent) -> None:
        notify_user(event.item_id)

    add_banking(app, provider="plaid", webhooks=webhooks)

A handler runs after the provider got its 200 (see the router's docstring for why), once per
accepted delivery; it may be sync (run in a worker thread) or async. Several handlers may match one
event: all run, in registration order. An exception in one is logged (type, code, delivery id; never
the body) and does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from starlette.concurrency import run_in_threadpool

from fin_infra.banking.webhooks.finicity import REPLAY_TTL_SECONDS
from fin_infra.banking.webhooks.mx import STATUS_REPLAY_TTL
from fin_infra.banking.webhooks.plaid import PlaidWebhookVerifier
from fin_infra.banking.webhooks.plaid_keys import PlaidKeySource
from fin_infra.banking.webhooks.replay import MemoryReplayStore, ReplayStore
from fin_infra.banking.webhooks.teller import TOLERANCE_SECONDS

log = logging.getLogger("fin_infra.banking.webhooks")

ProviderName = Literal["plaid", "teller", "finicity", "mx"]
PROVIDERS = ("plaid", "teller", "finicity", "mx")


@dataclass(frozen=True)
class WebhookEvent:
    """One verified, first-time delivery.

    ``type``/``code``: Plaid's ``webhook_type``/``webhook_code``; for Teller the event ``type``
    (``transactions.processed``) and no code. ``item_id``: Plaid's ``item_id`` or Teller's
    ``payload.enrollment_id``; for Finicity the Connect ``eventType`` (``added``) and no code, ``item_id``
    ``"<customerId>:<institutionLoginId>"`` (as `/exchange` returns it) or the customer id alone; for MX the
    event ``type`` (``CONNECTION_STATUS``, ``AGGREGATION``, ...), its ``action`` as the code (``CHANGED``,
    ``member_data_updated``) and the ``member_guid``. ``payload``: the whole parsed body.
    """

    provider: ProviderName
    type: str
    code: str | None
    item_id: str | None
    delivery_id: str
    payload: Mapping[str, Any]
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


Handler = Callable[[WebhookEvent], Awaitable[None] | None]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class _Registration:
    type: str
    code: str | None
    provider: str | None
    handler: Handler
    repeatable: bool = False

    def matches(self, event: WebhookEvent) -> bool:
        if self.provider is not None and self.provider != event.provider:
            return False
        if self.type != "*" and self.type != event.type.upper():
            return False
        return self.code is None or self.code == (event.code or "").upper()


class Webhooks:
    """Handlers by (type, code) plus how deliveries are verified and de-duplicated.

    ``plaid``: a `PlaidWebhookVerifier` (default: keys fetched with the environment's Plaid
    credentials). ``teller_secrets``: Teller signing secrets (default ``TELLER_WEBHOOK_SECRETS``).
    ``replay_store``: a `ReplayStore` (default in memory, per process). ``teller_replay_ttl``: how
    long a Teller event id is remembered. ``finicity_secrets``: the Finicity partner secret(s) Connect webhooks
    are signed with (default: the mounted Finicity provider's, else ``FINICITY_SECRET``). ``mx_credentials``: the
    HTTP Basic ``(username, password)`` MX sends (default ``MX_WEBHOOK_USERNAME`` / ``MX_WEBHOOK_PASSWORD``).
    ``max_body_bytes``: larger bodies are refused unread.
    """

    def __init__(
        self,
        *,
        plaid: PlaidWebhookVerifier | None = None,
        teller_secrets: Sequence[str] | str | None = None,
        teller_tolerance: float = TOLERANCE_SECONDS,
        replay_store: ReplayStore | None = None,
        teller_replay_ttl: float = 24 * 3600.0,
        finicity_secrets: Sequence[str] | str | None = None,
        finicity_replay_ttl: float = REPLAY_TTL_SECONDS,
        mx_credentials: tuple[str, str] | None = None,
        mx_status_replay_ttl: float = STATUS_REPLAY_TTL,
        max_body_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self._plaid = plaid
        self.teller_secrets = teller_secrets
        self.teller_tolerance = teller_tolerance
        self.replay_store: ReplayStore = replay_store if replay_store is not None else MemoryReplayStore()
        self.teller_replay_ttl = teller_replay_ttl
        self.finicity_secrets = finicity_secrets
        self.finicity_replay_ttl = finicity_replay_ttl
        self.mx_credentials = mx_credentials
        self.mx_status_replay_ttl = mx_status_replay_ttl
        self.max_body_bytes = max_body_bytes
        self._handlers: list[_Registration] = []

    @property
    def plaid(self) -> PlaidWebhookVerifier:
        """The Plaid verifier (built from the environment on first use)."""
        if self._plaid is None:
            self._plaid = PlaidWebhookVerifier()
        return self._plaid

    def use_provider_credentials(self, provider: object) -> None:
        """Without an explicit ``plaid=``, fetch Plaid's keys with the mounted Plaid provider's credentials.

        `add_banking` calls it, so ``add_banking(app, provider="plaid", client_id=..., secret=...,
        webhooks=Webhooks())`` verifies with those credentials even when no ``PLAID_*`` variable is set.
        """
        settings = getattr(provider, "settings", None)
        name = getattr(provider, "name", None)
        if name == "finicity" and self.finicity_secrets is None and isinstance(
            getattr(settings, "partner_secret", None), str
        ):
            self.finicity_secrets = [settings.partner_secret]  # type: ignore[union-attr]
            return
        if self._plaid is not None or name != "plaid" or settings is None:
            return
        try:
            keys = PlaidKeySource(
                client_id=settings.client_id,
                secret=settings.secret.get_secret_value(),
                environment=settings.environment,
                base_url=settings.base_url,
            )
        except AttributeError:  # not the settings shape we know: keep reading the environment
            return
        self._plaid = PlaidWebhookVerifier(keys)

    def on(
        self,
        webhook_type: str,
        webhook_code: str | None = None,
        *,
        provider: str | None = None,
        repeatable: bool = False,
    ) -> Callable[[H], H]:
        """Decorator: call the function for events of ``webhook_type`` (``"*"``: all) and ``webhook_code`` (None: any).

        Matching ignores case. ``provider`` (``"plaid"``/``"teller"``/``"finicity"``/``"mx"``) narrows it to one
        provider. ``repeatable=True``: the handler is safe to run twice (it only starts a refresh, such as a sync),
        so it also gets a delivery that repeats one already handled. Plaid signs only the body and the second it
        was sent, so two genuine "updates available" notices for one item in one second look exactly like a
        replay; a refresh handler must not miss the second one.
        """
        if not webhook_type:
            raise ValueError("webhook_type is required ('*' matches every type)")
        if provider is not None and provider not in PROVIDERS:
            raise ValueError("provider must be 'plaid', 'teller', 'finicity', 'mx' or None")

        def register(handler: H) -> H:
            self.add_handler(handler, webhook_type, webhook_code, provider=provider, repeatable=repeatable)
            return handler

        return register

    def add_handler(
        self,
        handler: Handler,
        webhook_type: str,
        webhook_code: str | None = None,
        *,
        provider: str | None = None,
        repeatable: bool = False,
    ) -> None:
        """`on` without the decorator."""
        code = webhook_code.upper() if webhook_code else None
        self._handlers.append(_Registration(webhook_type.upper(), code, provider, handler, repeatable))

    def handlers_for(self, event: WebhookEvent, *, repeat: bool = False) -> list[Handler]:
        """The handlers ``event`` will be given to, in registration order (``repeat``: only the repeatable ones)."""
        return [r.handler for r in self._handlers if r.matches(event) and (r.repeatable or not repeat)]

    async def dispatch(self, event: WebhookEvent, *, repeat: bool = False) -> int:
        """Run every matching handler; returns how many ran without raising (exceptions are logged).

        ``repeat``: the delivery repeats one already handled; only handlers registered ``repeatable`` run.
        """
        handlers = self.handlers_for(event, repeat=repeat)
        if not handlers and not repeat:
            log.info("%s webhook %s/%s has no handler", event.provider, event.type, event.code)
        succeeded = 0
        for handler in handlers:
            try:
                if inspect.iscoroutinefunction(handler):
                    await handler(event)
                else:
                    result = await run_in_threadpool(handler, event)
                    if inspect.isawaitable(result):
                        await result
            except Exception as exc:
                log.error(
                    "webhook handler %s failed on %s %s/%s delivery=%s: %s",
                    getattr(handler, "__qualname__", repr(handler)),
                    event.provider,
                    event.type,
                    event.code,
                    event.delivery_id[:24],
                    type(exc).__name__,
                    exc_info=exc,
                )
            else:
                succeeded += 1
        return succeeded


__all__ = ["Handler", "WebhookEvent", "Webhooks"]
