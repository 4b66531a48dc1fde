"""The documented webhook imports and the synchronous face outside any event loop."""

from __future__ import annotations

import httpx

import fin_infra.banking.webhooks as webhooks_module
from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, Webhooks
from tests.webhooks.signing import CLIENT_ID, SECRET, KeyServer, SigningKey, plaid_body

PUBLIC = {
    "MemoryReplayStore", "PlaidKey", "PlaidKeySource", "PlaidWebhookVerifier", "RedisReplayStore", "ReplayStore",
    "Verdict", "WebhookEvent", "Webhooks", "build_webhook_router", "check_teller_webhook", "default_plaid_verifier",
    "verify_plaid_webhook", "verify_plaid_webhook_async", "verify_teller_webhook", "verify_teller_webhook_async",
    "check_finicity_webhook", "verify_finicity_webhook",
    "check_mx_webhook", "verify_mx_webhook",
}  # fmt: skip


def test_all_is_the_public_surface() -> None:
    assert set(webhooks_module.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(webhooks_module, name) is not None


def test_sync_verify_from_plain_code_fetches_on_the_portal_loop(key_server: KeyServer, signing_key: SigningKey) -> None:
    # No running loop here (a script, a sync framework): the key fetch runs on fin-infra's portal loop.
    keys = PlaidKeySource(
        client_id=CLIENT_ID,
        secret=SECRET,
        base_url="http://plaid.test",
        transport=httpx.ASGITransport(key_server.app()),
    )
    verifier = PlaidWebhookVerifier(keys)
    body = plaid_body({"webhook_type": "ITEM", "webhook_code": "ERROR"})
    assert verifier.verify({"Plaid-Verification": signing_key.token(body)}, body) is True
    assert verifier.verify({"Plaid-Verification": signing_key.token(body)}, body + b" ") is False
    assert key_server.fetches == [signing_key.kid]


def test_on_rejects_bad_registrations() -> None:
    import pytest

    hooks = Webhooks(teller_secrets=["s"])
    with pytest.raises(ValueError, match="webhook_type"):
        hooks.on("")
    with pytest.raises(ValueError, match="provider"):
        hooks.on("ITEM", provider="yodlee")
