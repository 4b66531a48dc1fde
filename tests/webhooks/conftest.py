"""Fixtures for the webhook tests: a Plaid key server and a verifier that fetches from it."""

from __future__ import annotations

import httpx
import pytest

from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier
from tests.webhooks.signing import CLIENT_ID, SECRET, KeyServer, SigningKey, new_key


@pytest.fixture
def key_server() -> KeyServer:
    return KeyServer()


@pytest.fixture
def signing_key(key_server: KeyServer) -> SigningKey:
    return key_server.add(new_key())


@pytest.fixture
def keys(key_server: KeyServer) -> PlaidKeySource:
    return PlaidKeySource(
        client_id=CLIENT_ID,
        secret=SECRET,
        base_url="http://plaid.test",
        transport=httpx.ASGITransport(app=key_server.app()),
    )


@pytest.fixture
def verifier(keys: PlaidKeySource) -> PlaidWebhookVerifier:
    return PlaidWebhookVerifier(keys)
