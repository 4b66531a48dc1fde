"""Plaid webhook keys: a flood of forgeries with random key ids doesn't starve a genuine new key, and a key
Plaid has rotated out (``expired_at``) stops being trusted without waiting for the new key's webhooks."""

from __future__ import annotations

import time
import uuid

import httpx

from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier
from tests.webhooks.signing import CLIENT_ID, SECRET, KeyServer, SigningKey, new_key, plaid_body

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


async def test_many_forging_signers_use_their_own_small_budgets_not_the_genuine_keys() -> None:
    server = KeyServer()
    verifier = verifier_for(server, fetches_per_minute=60, fetches_per_signer=3)
    for _ in range(15):  # 15 attacker keys, 4 forgeries each with a fresh kid
        attacker = new_key()
        for _ in range(4):
            verdict = await verifier.check_async(h(attacker, kid=str(uuid.uuid4())), BODY)
            assert not verdict.ok
    assert len(server.fetches) <= 15  # one per signer: the rest are recognised
    genuine = server.add(new_key())
    assert (await verifier.check_async(h(genuine), BODY)).ok


async def test_junk_signatures_cost_no_fetch() -> None:
    server = KeyServer()
    verifier = verifier_for(server)
    key = new_key()
    token = key.token(BODY)
    header, claims, _ = token.split(".")
    for junk in ("A" * 86, "", "AAAA"):
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
