"""Plaid key fetching: cached by kid, fetched once per new kid, rotation, expiry, failures, the sync face."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, verify_plaid_webhook
from fin_infra.banking.webhooks import plaid as plaid_module
from fin_infra.emulators import EmulatorServer
from tests.webhooks.signing import CLIENT_ID, SECRET, KeyServer, SigningKey, new_key, plaid_body

BODY = plaid_body(
    {"webhook_type": "ITEM", "webhook_code": "LOGIN_REPAIRED", "item_id": "it_1", "environment": "sandbox"}
)


def h(key: SigningKey, body: bytes = BODY) -> dict[str, str]:
    return {"Plaid-Verification": key.token(body)}


async def test_key_is_fetched_once_and_cached(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, key_server: KeyServer
) -> None:
    for _ in range(5):
        assert await verifier.verify_async(h(signing_key), BODY)
    assert key_server.fetches == [signing_key.kid]


async def test_concurrent_webhooks_share_one_fetch(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, key_server: KeyServer
) -> None:
    results = await asyncio.gather(*(verifier.verify_async(h(signing_key), BODY) for _ in range(10)))
    assert all(results)
    assert key_server.fetches == [signing_key.kid]


async def test_rotation_new_kid_accepted_after_one_fetch_and_old_key_rechecked(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, key_server: KeyServer
) -> None:
    assert await verifier.verify_async(h(signing_key), BODY)
    assert len(key_server.fetches) == 1

    # Plaid rotates: the old key gets an expired_at, webhooks are signed by a new kid.
    signing_key.expired_at = int(time.time()) - 1
    new = key_server.add(new_key())
    assert await verifier.verify_async(h(new), BODY)
    assert key_server.fetches == [signing_key.kid, new.kid]  # exactly one fetch for the new kid
    assert await verifier.verify_async(h(new), BODY)
    assert len(key_server.fetches) == 2

    # The old key was cached as valid; the rotation makes it re-checked, and now it is refused.
    verdict = await verifier.check_async(h(signing_key), BODY)
    assert verdict.reason == "expired_key"
    assert key_server.fetches[-1] == signing_key.kid


async def test_unknown_kid_is_remembered_not_refetched(verifier: PlaidWebhookVerifier, key_server: KeyServer) -> None:
    stranger = new_key()
    for _ in range(3):
        assert (await verifier.check_async(h(stranger), BODY)).reason == "unknown_kid"
    assert key_server.fetches == [stranger.kid]


async def test_fetches_of_new_kids_are_rate_limited(key_server: KeyServer) -> None:
    keys = PlaidKeySource(
        client_id=CLIENT_ID,
        secret=SECRET,
        base_url="http://plaid.test",
        transport=httpx.ASGITransport(app=key_server.app()),
        fetches_per_minute=3,
    )
    verifier = PlaidWebhookVerifier(keys)
    reasons = [(await verifier.check_async(h(new_key()), BODY)).reason for _ in range(5)]
    assert reasons == ["unknown_kid"] * 3 + ["key_fetch_throttled"] * 2
    assert len(key_server.fetches) == 3


async def test_key_endpoint_down_is_a_retryable_refusal(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, key_server: KeyServer
) -> None:
    key_server.down = True
    verdict = await verifier.check_async(h(signing_key), BODY)
    assert not verdict.ok and verdict.reason == "key_unavailable" and verdict.retryable
    key_server.down = False
    assert await verifier.verify_async(h(signing_key), BODY)  # nothing bad was cached


async def test_network_error_and_bad_credentials_are_refusals(key_server: KeyServer, signing_key: SigningKey) -> None:
    unreachable = PlaidWebhookVerifier(
        PlaidKeySource(client_id=CLIENT_ID, secret=SECRET, base_url="http://127.0.0.1:9", timeout=2.0)
    )
    verdict = await unreachable.check_async(h(signing_key), BODY)
    assert verdict.reason == "key_unavailable" and verdict.retryable

    wrong_secret = PlaidWebhookVerifier(
        PlaidKeySource(
            client_id=CLIENT_ID,
            secret="nope",
            base_url="http://plaid.test",
            transport=httpx.ASGITransport(app=key_server.app()),
        )
    )
    assert not await wrong_secret.verify_async(h(signing_key), BODY)


async def test_missing_credentials_are_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, signing_key: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("PLAID_CLIENT_ID", raising=False)
    monkeypatch.delenv("PLAID_SECRET", raising=False)
    verifier = PlaidWebhookVerifier(PlaidKeySource(base_url="http://plaid.test"))
    verdict = await verifier.check_async(h(signing_key), BODY)
    assert verdict.reason == "not_configured"
    assert "PLAID_CLIENT_ID" in caplog.text


async def test_settings_come_from_the_plaid_environment_variables(
    monkeypatch: pytest.MonkeyPatch, signing_key: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PLAID_SECRET", SECRET)
    monkeypatch.setenv("PLAID_ENVIRONMENT", "staging-typo")
    verdict = await PlaidWebhookVerifier(PlaidKeySource()).check_async(h(signing_key), BODY)
    assert verdict.reason == "not_configured" and verdict.retryable
    assert "PLAID_ENVIRONMENT" in caplog.text and SECRET not in caplog.text


async def test_sync_verify_inside_a_running_loop_fetches_over_real_http(
    monkeypatch: pytest.MonkeyPatch, key_server: KeyServer, signing_key: SigningKey
) -> None:
    """The documented `verify_plaid_webhook(request.headers, payload)`, called from async code, configured by env."""
    with EmulatorServer(key_server.app()) as server:
        monkeypatch.setenv("PLAID_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("PLAID_SECRET", SECRET)
        monkeypatch.setenv("PLAID_BASE_URL", server.base_url)
        monkeypatch.setattr(plaid_module, "_default", None)
        assert verify_plaid_webhook(h(signing_key), BODY) is True  # key fetched on the portal loop
        assert verify_plaid_webhook(h(signing_key), BODY) is True  # from the cache
        assert verify_plaid_webhook(h(new_key()), BODY) is False
        assert key_server.fetches[0] == signing_key.kid and len(key_server.fetches) == 2
        monkeypatch.setattr(plaid_module, "_default", None)


async def test_junk_with_made_up_kids_costs_no_key_fetch(verifier: PlaidWebhookVerifier, key_server: KeyServer) -> None:
    # Cheap checks (alg, iat, body hash) come first: junk never makes the app call Plaid.
    stranger = new_key()
    stale = {"Plaid-Verification": stranger.token(BODY, iat=int(time.time()) - 3600)}
    other_body = {"Plaid-Verification": stranger.token(b"something else")}
    for headers in (stale, other_body, {"Plaid-Verification": "x.y.z"}):
        assert not await verifier.verify_async(headers, BODY)
    assert key_server.fetches == []
