"""Plaid-Verification: genuine webhooks pass; every forged variant is refused, with the reason it deserves."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from fin_infra.banking.webhooks import PlaidWebhookVerifier
from tests.webhooks.signing import (
    KeyServer,
    SigningKey,
    b64,
    claims_for,
    hs256_sign,
    jwt,
    malleate,
    new_key,
    plaid_body,
    segment,
)

PAYLOAD = {
    "webhook_type": "TRANSACTIONS",
    "webhook_code": "SYNC_UPDATES_AVAILABLE",
    "item_id": "Qw7eRt9yUi1oPa3sDf5gHj7kLz9xCv1bNm3Mq",
    "initial_update_complete": True,
    "historical_update_complete": False,
    "environment": "sandbox",
}
BODY = plaid_body(PAYLOAD)


def headers(token: str) -> dict[str, str]:
    return {"Plaid-Verification": token, "Content-Type": "application/json"}


async def test_genuine_webhook_is_accepted(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    verdict = await verifier.check_async(headers(signing_key.token(BODY)), BODY)
    assert verdict.ok and verdict.reason == "ok"
    assert verdict.delivery_id is not None and verdict.delivery_id.startswith("plaid:")
    assert await verifier.verify_async(headers(signing_key.token(BODY)), BODY) is True


async def test_header_lookup_ignores_case(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    assert await verifier.verify_async({"plaid-verification": signing_key.token(BODY)}, BODY)


async def test_text_and_pretty_dict_payloads_are_accepted(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey
) -> None:
    token = signing_key.token(BODY)
    assert await verifier.verify_async(headers(token), BODY.decode())
    # The documented `payload = await request.json()` pattern: re-serialized as Plaid writes it.
    assert await verifier.verify_async(headers(token), json.loads(BODY))


async def test_dict_that_does_not_reproduce_the_signed_bytes_is_refused(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey
) -> None:
    reordered = dict(reversed(list(PAYLOAD.items())))  # same content, different bytes: can't be proven genuine
    verdict = await verifier.check_async(headers(signing_key.token(BODY)), reordered)
    assert verdict.reason == "body_hash_mismatch"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda body: body.replace(b"true", b"false"), "body_hash_mismatch"),
        (lambda body: body + b"\n", "body_hash_mismatch"),
        (lambda body: json.dumps(json.loads(body)).encode(), "body_hash_mismatch"),  # re-serialized compactly
    ],
)
async def test_body_tampering_is_refused(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, mutate: Any, reason: str
) -> None:
    verdict = await verifier.check_async(headers(signing_key.token(BODY)), mutate(BODY))
    assert not verdict.ok and verdict.reason == reason


async def test_missing_and_malformed_headers_are_refused(verifier: PlaidWebhookVerifier) -> None:
    cases = {
        "missing_header": {},
        "malformed_token": headers("not-a-jwt"),
    }
    for reason, h in cases.items():
        assert (await verifier.check_async(h, BODY)).reason == reason
    for token in ["a.b", "a.b.c.d", "!!!.e30.AAAA", "W10.e30.AAAA", "e30.W10.AAAA", "x" * 9000]:
        assert (await verifier.check_async(headers(token), BODY)).reason == "malformed_token", token


async def test_alg_none_is_refused(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    for alg in ("none", "None", "NONE"):
        token = f"{segment({'alg': alg, 'kid': signing_key.kid, 'typ': 'JWT'})}.{segment(claims_for(BODY))}."
        assert (await verifier.check_async(headers(token), BODY)).reason in ("bad_alg", "malformed_token")
        token_with_sig = token + "AAAA"
        assert (await verifier.check_async(headers(token_with_sig), BODY)).reason == "bad_alg"


@pytest.mark.parametrize("alg", ["HS256", "HS384", "RS256", "ES384", "PS256", "EdDSA", "es256", "ES256 ", None, 256])
async def test_other_algorithms_are_refused(verifier: PlaidWebhookVerifier, signing_key: SigningKey, alg: Any) -> None:
    header = {"alg": alg, "kid": signing_key.kid, "typ": "JWT"}
    token = signing_key.token(BODY, header=header)  # even with a valid ES256 signature underneath
    assert (await verifier.check_async(headers(token), BODY)).reason == "bad_alg"
    assert not await verifier.verify_async(headers(token), BODY)


async def test_hs256_signed_with_the_public_key_is_refused(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, key_server: KeyServer
) -> None:
    # The classic key-confusion forgery: HMAC keyed with the (public) verification key, in each form
    # an attacker might guess a library would use.
    header = {"alg": "HS256", "kid": signing_key.kid, "typ": "JWT"}
    claims = claims_for(BODY)
    signing_input = f"{segment(header)}.{segment(claims)}".encode()
    jwk = signing_key.jwk()
    for secret in (signing_key.public_pem(), json.dumps(jwk).encode(), jwk["x"].encode(), b"secret"):
        token = jwt(header, claims, hs256_sign(secret, signing_input))
        assert (await verifier.check_async(headers(token), BODY)).reason == "bad_alg"
    # ... and relabelled ES256, the HMAC is no ECDSA signature.
    es_header = {"alg": "ES256", "kid": signing_key.kid, "typ": "JWT"}
    es_input = f"{segment(es_header)}.{segment(claims)}".encode()
    token = jwt(es_header, claims, hs256_sign(signing_key.public_pem(), es_input))
    assert (await verifier.check_async(headers(token), BODY)).reason == "bad_signature"


async def test_bad_signatures_are_refused(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    token = signing_key.token(BODY)
    head, claims, sig = token.split(".")
    flipped = bytearray(b64_decode(sig))
    flipped[5] ^= 0x01
    assert (await verifier.check_async(headers(f"{head}.{claims}.{b64(bytes(flipped))}"), BODY)).reason == (
        "bad_signature"
    )
    # Claims swapped for another body's (hash matches the new body, signature doesn't cover it).
    other = plaid_body({**PAYLOAD, "item_id": "attacker"})
    forged = f"{head}.{segment(claims_for(other))}.{sig}"
    assert (await verifier.check_async(headers(forged), other)).reason == "bad_signature"
    # Signed by an attacker's own key but naming Plaid's kid.
    attacker = new_key(kid=signing_key.kid)
    assert (await verifier.check_async(headers(attacker.token(BODY)), BODY)).reason == "bad_signature"
    # Wrong signature length (DER instead of JWS r||s) and empty signature.
    assert (await verifier.check_async(headers(f"{head}.{claims}.{b64(b'0' * 70)}"), BODY)).reason == "bad_signature"
    assert (await verifier.check_async(headers(f"{head}.{claims}."), BODY)).reason == "bad_signature"


async def test_wrong_or_missing_kid_is_refused(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, key_server: KeyServer
) -> None:
    unknown = new_key()  # a key Plaid never issued
    verdict = await verifier.check_async(headers(unknown.token(BODY)), BODY)
    assert verdict.reason == "unknown_kid" and not verdict.retryable
    # The kid of another genuine key, signed by the first one.
    other = key_server.add(new_key())
    header = {"alg": "ES256", "kid": other.kid, "typ": "JWT"}
    assert (await verifier.check_async(headers(signing_key.token(BODY, header=header)), BODY)).reason == (
        "bad_signature"
    )
    for bad_kid in (None, "", 42, "k" * 500):
        header = {"alg": "ES256", "kid": bad_kid, "typ": "JWT"}
        assert (await verifier.check_async(headers(signing_key.token(BODY, header=header)), BODY)).reason == (
            "missing_kid"
        )


async def test_crit_header_is_refused(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    header = {"alg": "ES256", "kid": signing_key.kid, "typ": "JWT", "crit": ["exp"], "exp": 1}
    assert (await verifier.check_async(headers(signing_key.token(BODY, header=header)), BODY)).reason == (
        "unsupported_crit"
    )


async def test_stale_and_future_iat(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    now = time.time()
    assert (await verifier.check_async(headers(signing_key.token(BODY, iat=int(now) - 301)), BODY)).reason == "stale"
    assert (await verifier.check_async(headers(signing_key.token(BODY, iat=int(now) - 3600)), BODY)).reason == "stale"
    assert (await verifier.check_async(headers(signing_key.token(BODY, iat=int(now) + 120)), BODY)).reason == (
        "issued_in_future"
    )
    # Within the allowed age and the small skew: accepted.
    assert await verifier.verify_async(headers(signing_key.token(BODY, iat=int(now) - 240)), BODY)
    assert await verifier.verify_async(headers(signing_key.token(BODY, iat=int(now) + 10)), BODY)


@pytest.mark.parametrize("iat", [None, "1700000000", True, float("nan"), [1]])
async def test_missing_or_non_numeric_iat_is_refused(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, iat: Any
) -> None:
    claims = {"request_body_sha256": claims_for(BODY)["request_body_sha256"]}
    if iat is not None:
        claims["iat"] = iat
    token = signing_key.token(BODY, claims=claims)
    assert (await verifier.check_async(headers(token), BODY)).reason in ("missing_iat", "malformed_token")


async def test_missing_body_hash_is_refused(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    for value in (None, 123, "abc", "0" * 64):
        claims: dict[str, Any] = {"iat": int(time.time())}
        if value is not None:
            claims["request_body_sha256"] = value
        reason = (await verifier.check_async(headers(signing_key.token(BODY, claims=claims)), BODY)).reason
        assert reason in ("missing_body_hash", "body_hash_mismatch")


async def test_expired_key_is_refused(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey, key_server: KeyServer
) -> None:
    signing_key.expired_at = int(time.time()) - 1
    assert (await verifier.check_async(headers(signing_key.token(BODY)), BODY)).reason == "expired_key"


async def test_signature_respelt_is_still_valid_but_names_the_same_delivery(
    verifier: PlaidWebhookVerifier, signing_key: SigningKey
) -> None:
    token = signing_key.token(BODY)
    first = await verifier.check_async(headers(token), BODY)
    second = await verifier.check_async(headers(malleate(token)), BODY)
    assert first.ok and second.ok  # ECDSA allows it; replay protection must not be fooled by it
    assert first.delivery_id == second.delivery_id


def test_sync_verify_with_odd_inputs_never_raises(verifier: PlaidWebhookVerifier, signing_key: SigningKey) -> None:
    token = signing_key.token(BODY)
    odd: list[tuple[Any, Any]] = [
        (None, BODY),
        ({"Plaid-Verification": 12}, BODY),
        (headers(token), None),
        (headers(token), 12345),
        ("not headers", BODY),
        ({"Plaid-Verification": "é.é.é"}, BODY),
    ]
    for h, payload in odd:
        assert verifier.verify(h, payload) is False


def b64_decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
