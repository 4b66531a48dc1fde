"""Ids that are not provider ids never reach the provider (the emulators record every request they get).

An account id pasted into Teller's URL unescaped reached other endpoints with the app's certificate
(``<own>%2Fdetails?`` -> ``/accounts/<own>/details``, ``..`` -> ``/``); into Plaid's JSON it would be
sent as is. Each one below is answered 404/422 by our routes, raised as `AccountNotFoundError` by
the providers, and the emulator never sees it.
"""

from __future__ import annotations

import re

import pytest

from fin_infra.banking.exceptions import AccountNotFoundError
from fin_infra.testing.teller import TellerEmulator
from tests.hardening.conftest import TELLER_RETRY, Live, recorded

OWN = "{own}"  # replaced by an account id the token can see
CORPUS = [
    "{own}%2Fdetails?", "{own}%252Fdetails%3F", "{own}/details", "{own}?count=1", "{own}#x", "{own}&count=1",
    "..", "../transactions", "../../identity", ".", "%2e%2e", "%2e%2e%2ftransactions", "{own}/..", "{own}/../..",
    "{own}\x0c", "{own}%0C", "{own}\n", "{own}\r\nX-Injected: 1", " {own}", "{own} ", "{own}\t", "{own}\x00",
    "{own};count=1", "{own}%00", "{own}\\details", "\u2215details", "{own}\uff0fdetails", "acc_\uff11",
    "a" * 129, "{own}@evil.test", "//evil.test/x", "http://evil.test/", "{own}/transactions/../details",
    "{own}%", "%", "{own}%zz", "'; DROP TABLE x;--", "${jndi:ldap://x}", "{{7*7}}", "*",
]  # fmt: skip
GOOD_TELLER_PATH = re.compile(r"/accounts(/acc_[a-z0-9]+(/balances|/transactions|/details)?)?|/identity")


def _ids(own: str) -> list[str]:
    return [c.replace(OWN, own) for c in CORPUS]


async def test_bad_account_ids_are_refused_on_every_route_and_never_sent(live: Live) -> None:
    bad_ids = _ids(live.account_id)
    for bad in bad_ids:
        for path in ("/banking/balances", "/banking/transactions", "/banking/balance-history"):
            response = await live.client.get(path, params={"account_id": bad}, headers=live.auth)
            assert response.status_code in (404, 422), (path, bad, response.status_code, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] in ("account_not_found", "validation_error")
    sent = recorded(live)
    assert sent, "the routes did call the provider (to list accounts)"
    for bad in bad_ids:
        if bad != live.account_id:
            assert not any(bad in line for line in sent if len(bad) > 3), bad
    if live.name == "teller":
        for r in live.emulator.backend.requests:
            assert GOOD_TELLER_PATH.fullmatch(r.path), r.path
            assert set(r.query) <= {"count", "from_id", "start_date", "end_date"}, r.query


async def test_teller_client_refuses_bad_ids_before_any_request(teller_emulator: TellerEmulator) -> None:
    teller_emulator.reset()
    token = teller_emulator.enroll("username", "password", seed="fin-infra-hardening")
    async with teller_emulator.client(retry=TELLER_RETRY, account_cache_ttl=0) as client:
        own = (await client.get_accounts(token))[0].id
        teller_emulator.backend.requests.clear()
        for bad in _ids(own):
            with pytest.raises(AccountNotFoundError):
                await client.get_balances(token, account_id=bad)
            with pytest.raises(AccountNotFoundError):
                await client.get_account_details(token, bad)
            with pytest.raises(AccountNotFoundError):
                await client.remove_account(token, bad)
    assert teller_emulator.backend.requests == []


async def test_plaid_provider_refuses_bad_ids_before_any_request(plaid_live: Live) -> None:
    provider = plaid_live.app.state.banking_provider
    for bad in _ids(plaid_live.account_id):
        with pytest.raises(AccountNotFoundError):
            await provider.get_balances(plaid_live.token, account_id=bad)
        with pytest.raises(AccountNotFoundError):
            await provider.get_transactions(plaid_live.token, account_id=bad)
    assert plaid_live.emulator.http_faults.requests == []


async def test_good_ids_still_work(teller_live: Live, plaid_live: Live) -> None:
    for live in (teller_live, plaid_live):
        for path in ("/banking/balances", "/banking/transactions"):
            response = await live.client.get(path, params={"account_id": live.account_id}, headers=live.auth)
            assert response.status_code == 200, (live.name, path, response.text)
