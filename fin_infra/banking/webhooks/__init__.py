"""Verified, replay-safe Plaid, Teller, Finicity and MX webhooks.

    from fin_infra.banking.webhooks import verify_plaid_webhook, verify_teller_webhook, Webhooks

    ok = verify_plaid_webhook(request.headers, await request.body())            # bool, never raises
    ok = verify_teller_webhook(request.headers, await request.body(), ["whsec_..."])

    webhooks = Webhooks()

    @webhooks.on("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    async def on_sync(event): ...

    add_banking(app, webhooks=webhooks)   # POST /banking/webhooks/plaid, /teller, /finicity and /mx

MX signs nothing: ``verify_mx_webhook(request.headers, body, ("user", "password"))`` checks the HTTP Basic
credentials the app gave MX (default ``MX_WEBHOOK_USERNAME`` / ``MX_WEBHOOK_PASSWORD``).

Plaid verification needs `cryptography`: ``pip install 'fin-infra[webhooks]'``.
"""

from fin_infra.banking.webhooks._common import Verdict
from fin_infra.banking.webhooks.finicity import check_finicity_webhook, verify_finicity_webhook
from fin_infra.banking.webhooks.mx import check_mx_webhook, verify_mx_webhook
from fin_infra.banking.webhooks.plaid import (
    PlaidWebhookVerifier,
    default_plaid_verifier,
    verify_plaid_webhook,
    verify_plaid_webhook_async,
)
from fin_infra.banking.webhooks.plaid_keys import PlaidKey, PlaidKeySource
from fin_infra.banking.webhooks.registry import WebhookEvent, Webhooks
from fin_infra.banking.webhooks.replay import MemoryReplayStore, RedisReplayStore, ReplayStore
from fin_infra.banking.webhooks.router import build_webhook_router
from fin_infra.banking.webhooks.teller import (
    check_teller_webhook,
    verify_teller_webhook,
    verify_teller_webhook_async,
)

__all__ = [
    "MemoryReplayStore",
    "PlaidKey",
    "PlaidKeySource",
    "PlaidWebhookVerifier",
    "RedisReplayStore",
    "ReplayStore",
    "Verdict",
    "WebhookEvent",
    "Webhooks",
    "build_webhook_router",
    "check_finicity_webhook",
    "check_mx_webhook",
    "check_teller_webhook",
    "default_plaid_verifier",
    "verify_finicity_webhook",
    "verify_mx_webhook",
    "verify_plaid_webhook",
    "verify_plaid_webhook_async",
    "verify_teller_webhook",
    "verify_teller_webhook_async",
]
