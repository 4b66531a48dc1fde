"""The emulator signs webhooks as Plaid does, and serves the keys to check them with."""

from __future__ import annotations

import hashlib
import json
import time

import jwt
import plaid as plaid_sdk
import pytest
from plaid.api import plaid_api
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from fin_infra.testing.plaid import PlaidEmulator
from tests.plaid.conftest import Received


def _api(plaid: PlaidEmulator) -> plaid_api.PlaidApi:
    config = plaid_sdk.Configuration(host=plaid.base_url, api_key={"clientId": plaid.client_id, "secret": plaid.secret})
    return plaid_api.PlaidApi(plaid_sdk.ApiClient(config))


def _verify(api: plaid_api.PlaidApi, body: bytes, headers: dict[str, str]) -> dict[str, object]:
    """Verify a webhook the way Plaid documents it, with PyJWT and the official client."""
    token = headers["plaid-verification"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["typ"] == "JWT"
    jwk = api.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=header["kid"])).key.to_dict()
    assert jwk["expired_at"] is None
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"])
    assert time.time() - claims["iat"] < 300
    assert claims["request_body_sha256"] == hashlib.sha256(body).hexdigest()
    return claims


def test_fired_webhook_is_signed_over_the_exact_body(plaid: PlaidEmulator, webhook_receiver: tuple[str, Received]):
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url)
    api = _api(plaid)
    fired = api.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=token, webhook_code="SYNC_UPDATES_AVAILABLE")
    )
    assert fired.webhook_fired is True
    [(body, headers)] = received.requests
    _verify(api, body, headers)
    assert body.startswith(b'{\n  "')  # pretty-printed, two-space indent, as Plaid sends
    payload = json.loads(body)
    assert payload["webhook_type"] == "TRANSACTIONS" and payload["webhook_code"] == "SYNC_UPDATES_AVAILABLE"
    assert payload["item_id"] == plaid.backend.item_for(token).item_id
    # a byte changed after signing no longer matches the signed hash
    tampered = body.replace(b"true", b"false", 1)
    assert (
        hashlib.sha256(tampered).hexdigest()
        != jwt.decode(headers["plaid-verification"], options={"verify_signature": False})["request_body_sha256"]
    )
    assert plaid.sent_webhooks[-1].status_code == 200


def test_reset_login_fires_an_item_error_webhook(plaid: PlaidEmulator, webhook_receiver: tuple[str, Received]):
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url)
    api = _api(plaid)
    assert api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=token)).reset_login is True
    [(body, headers)] = received.requests
    _verify(api, body, headers)
    payload = json.loads(body)
    assert (payload["webhook_type"], payload["webhook_code"]) == ("ITEM", "ERROR")
    assert payload["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"


def test_key_rotation_expires_the_old_key(plaid: PlaidEmulator, webhook_receiver: tuple[str, Received]):
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url)
    api = _api(plaid)
    old_kid = plaid.backend.webhook_keys.current.kid
    new_kid = plaid.rotate_webhook_key()
    assert new_kid != old_kid
    api.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(access_token=token, webhook_code="DEFAULT_UPDATE"))
    [(body, headers)] = received.requests
    assert jwt.get_unverified_header(headers["plaid-verification"])["kid"] == new_kid
    _verify(api, body, headers)
    old = api.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=old_kid)).key
    assert old.expired_at is not None and old.kid == old_kid


def test_unknown_key_id_is_refused(plaid: PlaidEmulator):
    with pytest.raises(plaid_sdk.ApiException) as info:
        _api(plaid).webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id="no-such-kid"))
    assert json.loads(info.value.body)["error_code"] == "INVALID_WEBHOOK_VERIFICATION_KEY_ID"


def test_no_webhook_url_means_nothing_fired(plaid: PlaidEmulator):
    token = plaid.create_access_token()
    fired = _api(plaid).sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=token, webhook_code="DEFAULT_UPDATE")
    )
    assert fired.webhook_fired is False and plaid.sent_webhooks == []


def test_unreachable_receiver_is_recorded_not_raised(plaid: PlaidEmulator):
    token = plaid.create_access_token(webhook="http://127.0.0.1:9/nothing-listens-here")
    fired = _api(plaid).sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=token, webhook_code="DEFAULT_UPDATE")
    )
    assert fired.webhook_fired is True
    [sent] = plaid.sent_webhooks
    assert sent.status_code is None and sent.error and sent.payload["webhook_code"] == "DEFAULT_UPDATE"
