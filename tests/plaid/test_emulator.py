"""Emulator behaviour the other Plaid tests don't reach: link-token webhooks, webhook updates, sandbox
transactions, /transactions/get paging, "now" cursors, per-account sync streams, reset."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from fin_infra.testing.plaid import PlaidEmulator
from tests.plaid.conftest import Received


def _post(plaid: PlaidEmulator, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    return httpx.post(f"{plaid.base_url}{path}", json=body, headers=headers)


def test_the_link_tokens_webhook_becomes_the_items(plaid: PlaidEmulator, webhook_receiver: tuple[str, Received]):
    url, received = webhook_receiver
    link = _post(
        plaid,
        "/link/token/create",
        {
            "client_name": "t",
            "language": "en",
            "country_codes": ["US"],
            "user": {"client_user_id": "u"},
            "products": ["transactions"],
            "webhook": url,
            "transactions": {"days_requested": 30},
        },
    )
    assert link.status_code == 200, link.text
    public = plaid.backend.complete_link(link.json()["link_token"])
    token = _post(plaid, "/item/public_token/exchange", {"public_token": public}).json()["access_token"]
    assert len(plaid.backend.item_for(token).ledger.txns) == 90  # 30 days requested, three a day
    fired = _post(plaid, "/sandbox/item/fire_webhook", {"access_token": token, "webhook_code": "DEFAULT_UPDATE"})
    assert fired.json()["webhook_fired"] is True
    [(body, _headers)] = received.requests
    assert json.loads(body)["webhook_code"] == "DEFAULT_UPDATE"


def test_webhook_update_acknowledges_to_the_new_url(plaid: PlaidEmulator, webhook_receiver: tuple[str, Received]):
    url, received = webhook_receiver
    token = plaid.create_access_token()
    response = _post(plaid, "/item/webhook/update", {"access_token": token, "webhook": url})
    assert response.status_code == 200 and response.json()["item"]["webhook"] == url
    [(body, _headers)] = received.requests
    payload = json.loads(body)
    assert (payload["webhook_code"], payload["new_webhook_url"]) == ("WEBHOOK_UPDATE_ACKNOWLEDGED", url)


def test_sandbox_transactions_show_up_in_sync(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    first = _post(plaid, "/transactions/sync", {"access_token": token}).json()
    today = dt.date.today().isoformat()
    created = _post(
        plaid,
        "/sandbox/transactions/create",
        {
            "access_token": token,
            "transactions": [{"date_transacted": today, "date_posted": today, "amount": 12.5, "description": "CUSTOM"}],
        },
    )
    assert created.status_code == 200
    nxt = _post(plaid, "/transactions/sync", {"access_token": token, "cursor": first["next_cursor"]}).json()
    [added] = nxt["added"]
    assert (added["name"], added["amount"], added["date"]) == ("CUSTOM", 12.5, today)


def test_transactions_get_pages_by_offset(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    start, end = (dt.date.today() - dt.timedelta(days=89)).isoformat(), dt.date.today().isoformat()
    seen: list[str] = []
    while True:
        page = _post(
            plaid,
            "/transactions/get",
            {
                "access_token": token,
                "start_date": start,
                "end_date": end,
                "options": {"count": 100, "offset": len(seen)},
            },
        ).json()
        seen += [t["transaction_id"] for t in page["transactions"]]
        if len(seen) >= page["total_transactions"]:
            break
    assert len(seen) == len(set(seen)) == 270
    bad = _post(plaid, "/transactions/get", {"access_token": token, "start_date": "yesterday", "end_date": end})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_FIELD"


def test_now_cursor_and_account_streams(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=10)
    now = _post(plaid, "/transactions/sync", {"access_token": token, "cursor": "now"}).json()
    assert now["added"] == [] and not now["has_more"]
    plaid.backend.add_transaction(token, "1.00", "AFTER NOW")
    after = _post(plaid, "/transactions/sync", {"access_token": token, "cursor": now["next_cursor"]}).json()
    assert [t["name"] for t in after["added"]] == ["AFTER NOW"]

    card = plaid.backend.item_for(token).accounts[2].account_id
    stream = _post(
        plaid, "/transactions/sync", {"access_token": token, "count": 500, "options": {"account_id": card}}
    ).json()
    assert stream["added"] and {t["account_id"] for t in stream["added"]} == {card}
    assert [a["account_id"] for a in stream["accounts"]] == [card]


@pytest.mark.parametrize("count", [0, 501, "ten"])
def test_sync_count_is_checked(plaid: PlaidEmulator, count: object) -> None:
    token = plaid.create_access_token(days_requested=1)
    response = _post(plaid, "/transactions/sync", {"access_token": token, "count": count})
    assert response.status_code == 400 and response.json()["error_code"] == "INVALID_FIELD"


def test_reset_forgets_items_and_is_deterministic(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    ids = sorted(plaid.backend.item_for(token).ledger.txns)
    plaid.reset()
    assert _post(plaid, "/accounts/get", {"access_token": token}).json()["error_code"] == "INVALID_ACCESS_TOKEN"
    again = plaid.create_access_token()
    assert again == token and sorted(plaid.backend.item_for(again).ledger.txns) == ids  # same seed, same data
    with pytest.raises(ValueError, match="unknown Plaid error code"):
        plaid.backend.inject_fault("NOT_A_CODE")


def test_churn_posts_adds_modifies_and_each_change_reaches_sync() -> None:
    import random

    from fin_infra.emulators.plaid import PlaidBackend

    backend = PlaidBackend()
    token, _ = backend.exchange_public_token(backend.create_public_token("ins_109508", ["transactions"]))
    ledger = backend.item_for(token).ledger
    first = ledger.page(None, 500)
    pending = [t for t in first.added if t.pending]
    done = backend.churn(token, random.Random(2))
    assert sum(done.values()) > 0
    nxt = ledger.page(first.next_cursor, 500)
    posted = [t for t in nxt.added if t.pending_transaction_id]
    assert len(posted) == done["posted"] and {t.pending_transaction_id for t in posted} <= {
        t.transaction_id for t in pending
    }
    assert {t.transaction_id for t in nxt.removed} >= {t.pending_transaction_id for t in posted}
