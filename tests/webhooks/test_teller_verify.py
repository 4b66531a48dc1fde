"""Teller-Signature: genuine deliveries pass (any secret, any v1), forged or stale ones are refused."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from fin_infra.banking.webhooks import check_teller_webhook, verify_teller_webhook, verify_teller_webhook_async
from fin_infra.banking.webhooks.teller import parse_signature_header
from tests.webhooks.signing import teller_signature

EVENT = {
    "id": "wh_p3k8w2n4d6f1h9j0e000",
    "type": "enrollment.disconnected",
    "timestamp": "2026-02-14T09:21:07Z",
    "payload": {"enrollment_id": "enr_p3k8w2n4d6f1h9j0b000", "reason": "disconnected.account_locked"},
}
BODY = json.dumps(EVENT, separators=(",", ":")).encode()
NEW, OLD = "whsec_new_0123456789", "whsec_old_9876543210"


def h(value: str) -> dict[str, str]:
    return {"Teller-Signature": value}


def test_genuine_webhook_is_accepted() -> None:
    verdict = check_teller_webhook(h(teller_signature(BODY, [NEW])), BODY, [NEW])
    assert verdict.ok and verdict.delivery_id and verdict.delivery_id.startswith("teller:")
    assert verify_teller_webhook({"teller-signature": teller_signature(BODY, [NEW])}, BODY, NEW)
    assert verify_teller_webhook(h(teller_signature(BODY, [NEW])), BODY.decode(), [NEW])
    assert verify_teller_webhook(h(teller_signature(BODY, [NEW])), json.loads(BODY), [NEW])  # compact re-serialization


async def test_async_twin() -> None:
    assert await verify_teller_webhook_async(h(teller_signature(BODY, [NEW])), BODY, [NEW])
    assert not await verify_teller_webhook_async(h(teller_signature(BODY, [NEW])), BODY, [OLD])


def test_rotation_any_v1_under_any_configured_secret() -> None:
    both = teller_signature(BODY, [OLD, NEW])  # Teller signs with both while the old secret lives
    assert verify_teller_webhook(h(both), BODY, [NEW])
    assert verify_teller_webhook(h(both), BODY, [OLD])
    only_old = teller_signature(BODY, [OLD])
    assert verify_teller_webhook(h(only_old), BODY, [NEW, OLD])  # the app lists both secrets while rotating
    assert not verify_teller_webhook(h(only_old), BODY, [NEW])


def test_secrets_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELLER_WEBHOOK_SECRETS", f" {NEW} , {OLD} ,")
    assert verify_teller_webhook(h(teller_signature(BODY, [OLD])), BODY)
    monkeypatch.delenv("TELLER_WEBHOOK_SECRETS")
    assert check_teller_webhook(h(teller_signature(BODY, [OLD])), BODY).reason == "not_configured"
    assert check_teller_webhook(h(teller_signature(BODY, [OLD])), BODY, []).reason == "not_configured"


def test_wrong_secret_and_tampered_body_are_refused() -> None:
    assert check_teller_webhook(h(teller_signature(BODY, ["whsec_attacker"])), BODY, [NEW]).reason == "bad_signature"
    signature = teller_signature(BODY, [NEW])
    tampered = BODY.replace(b"account_locked", b"credentials_invalid")
    assert check_teller_webhook(h(signature), tampered, [NEW]).reason == "bad_signature"
    assert check_teller_webhook(h(signature), BODY + b" ", [NEW]).reason == "bad_signature"


def test_signature_must_cover_the_timestamp() -> None:
    # A captured signature moved to a fresh t= is refused: t is part of the signed message.
    old_t = int(time.time()) - 100
    captured = teller_signature(BODY, [NEW], t=old_t)
    v1 = captured.split(",")[1]
    assert check_teller_webhook(h(f"t={int(time.time())},{v1}"), BODY, [NEW]).reason == "bad_signature"
    assert check_teller_webhook(h(captured), BODY, [NEW]).ok


@pytest.mark.parametrize(("offset", "ok"), [(-181, False), (-3600, False), (181, False), (-170, True), (60, True)])
def test_timestamp_tolerance(offset: int, ok: bool) -> None:
    signature = teller_signature(BODY, [NEW], t=int(time.time()) + offset)
    verdict = check_teller_webhook(h(signature), BODY, [NEW])
    assert verdict.ok is ok
    if not ok:
        assert verdict.reason == "stale"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "v1=abc",  # no t
        "t=123",  # no v1
        "t=abc,v1=00",
        "t=-5,v1=00",
        "t=1.5,v1=00",
        "t=1,t=2,v1=00",
        "t=١٢٣,v1=00",  # non-ASCII digits
        "garbage",
        "t=1," + ",".join(["v1=00"] * 11),
    ],
)
def test_malformed_headers_are_refused(value: str) -> None:
    verdict = check_teller_webhook(h(value), BODY, [NEW])
    assert not verdict.ok and verdict.reason in ("missing_header", "malformed_header")


def test_header_parsing_tolerates_spaces_and_unknown_schemes() -> None:
    assert parse_signature_header(" t=10 , v0=zz, v1=ab ,v1=cd") == (10, ["ab", "cd"])


def test_odd_inputs_never_raise() -> None:
    sig = teller_signature(BODY, [NEW])
    odd: list[tuple[Any, Any, Any]] = [
        (None, BODY, [NEW]),
        (h(sig), None, [NEW]),
        (h(sig), 42, [NEW]),
        (h(sig), BODY, 42),
    ]
    for headers, body, secrets in odd:
        assert verify_teller_webhook(headers, body, secrets) is False
    assert check_teller_webhook(h(sig), BODY, [NEW], tolerance=180).ok
