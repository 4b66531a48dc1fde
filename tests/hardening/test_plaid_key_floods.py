"""Plaid webhook keys: a flood of forgeries with random key ids doesn't starve a genuine new key, and a key
Plaid has rotated out (``expired_at``) stops being trusted without waiting for the new key's webhooks."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier
from tests.webhooks.signing import CLIENT_ID, SECRET, KeyServer, SigningKey, b64, new_key, plaid_body

BODY = plaid_body({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "item_id": "it_1"})


def h(key: SigningKey, body: bytes = BODY, *, kid: str | None = None, iat: float | None = None) -> dict[str, str]:
    header = {"alg": "ES256", "kid": kid or key.kid, "typ": "JWT"}
    return {"Plaid-Verification": key.token(body, header=header, iat=iat) if iat is None else key.token(body, iat=iat)}


def verifier_for(server: KeyServer, **options: object) -> PlaidWebhookVerifier:
    keys = PlaidKeySource(
        client_id=CLIENT_ID,
        secret=SECRET,
        base_url="http://plaid.test",
        transport=httpx.ASGITransport(app=server.app()),
        **options,  # type: ignore[arg-type]
    )
    return PlaidWebhookVerifier(keys)


async def test_a_flood_of_forged_kids_from_one_signer_costs_one_fetch_and_a_new_genuine_key_still_works() -> None:
    server = KeyServer()
    verifier = verifier_for(server)
    attacker = new_key()
    reasons = [(await verifier.check_async(h(attacker, kid=str(uuid.uuid4())), BODY)).reason for _ in range(60)]
    assert set(reasons) == {"unknown_kid"}
    assert len(server.fetches) == 1, "after Plaid called its first kid unknown, that signer costs no fetch"
    genuine = server.add(new_key())  # Plaid rotates to a new key now, mid-flood
    verdict = await verifier.check_async(h(genuine), BODY)
    assert verdict.ok, verdict.reason
    assert server.fetches[-1] == genuine.kid


async def test_a_concurrent_burst_from_one_signer_costs_one_fetch() -> None:
    server = KeyServer()
    verifier = verifier_for(server)
    attacker = new_key()
    forged = [h(attacker, kid=str(uuid.uuid4())) for _ in range(40)]
    verdicts = await asyncio.gather(*(verifier.check_async(headers, BODY) for headers in forged))
    assert {v.reason for v in verdicts} == {"unknown_kid"}
    assert len(server.fetches) == 1, "the burst waited behind the first fetch, then was recognised"
    genuine = server.add(new_key())
    assert (await verifier.check_async(h(genuine), BODY)).ok


async def test_a_few_forging_signers_cost_a_fetch_each_and_leave_the_genuine_key_working() -> None:
    server = KeyServer()
    verifier = verifier_for(server)
    for _ in range(10):  # 10 attacker keys, 5 forgeries each with a fresh kid
        attacker = new_key()
        for _ in range(5):
            assert not (await verifier.check_async(h(attacker, kid=str(uuid.uuid4())), BODY)).ok
    assert len(server.fetches) == 10  # one per signer: the rest are recognised
    genuine = server.add(new_key())
    assert (await verifier.check_async(h(genuine), BODY)).ok


async def test_junk_signatures_cost_no_fetch() -> None:
    server = KeyServer()
    verifier = verifier_for(server)
    key = new_key()
    token = key.token(BODY)
    header, claims, _ = token.split(".")
    zero_r = "A" * 86  # r = 0, s = 0
    big_r = b64(b"\xff" * 32 + b"\x01" * 32)  # r >= the curve order
    for junk in (zero_r, "", "AAAA", big_r):
        verdict = await verifier.check_async({"Plaid-Verification": f"{header}.{claims}.{junk}"}, BODY)
        assert not verdict.ok
    assert server.fetches == []


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_a_rotated_out_key_is_refused_within_the_recheck_interval_without_any_new_kid() -> None:
    server = KeyServer()
    clock = Clock()
    keys = PlaidKeySource(
        client_id=CLIENT_ID, secret=SECRET, base_url="http://plaid.test",
        transport=httpx.ASGITransport(app=server.app()), clock=clock,
    )  # fmt: skip  (the default re-check interval: 5 minutes)
    verifier = PlaidWebhookVerifier(keys, clock=clock)
    old = server.add(new_key())
    assert await verifier.verify_async(h(old, iat=clock.now), BODY)
    old.expired_at = int(clock.now) + 10  # Plaid rotates: the old key expires in 10 s; no new-kid webhook yet
    clock.now += 301  # past the re-check interval
    verdict = await verifier.check_async(h(old, iat=clock.now), BODY)
    assert verdict.reason == "expired_key", "expired_at was learnt by the periodic re-check"
    assert server.fetches == [old.kid, old.kid]


async def test_a_recheck_that_cannot_reach_plaid_keeps_the_cached_key_until_its_expiry() -> None:
    server = KeyServer()
    clock = Clock()
    keys = PlaidKeySource(
        client_id=CLIENT_ID, secret=SECRET, base_url="http://plaid.test",
        transport=httpx.ASGITransport(app=server.app()), recheck_after=300.0, clock=clock,
    )  # fmt: skip
    verifier = PlaidWebhookVerifier(keys, clock=clock)
    key = server.add(new_key())
    assert await verifier.verify_async(h(key, iat=clock.now), BODY)
    server.down = True
    clock.now += 301
    assert await verifier.verify_async(h(key, iat=clock.now), BODY)  # Plaid down: the cached key still works
