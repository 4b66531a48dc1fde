"""The documentation's test token works in the sandbox, and a client gets its own token over HTTP alone."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking, easy_banking
from fin_infra.banking.exceptions import InvalidCredentialsError


def test_any_access_sandbox_name_is_a_user_of_its_own() -> None:
    banking = easy_banking(provider="sandbox")
    documented = banking.accounts(access_token="access-sandbox-xxx")  # the documentation's example token
    assert documented and banking.accounts(access_token="access-sandbox-xxx") == documented
    other = banking.accounts(access_token="access-sandbox-alice")
    assert other and {a.id for a in other} != {a.id for a in documented}
    assert banking.transactions(access_token="access-sandbox-xxx")


@pytest.mark.parametrize(
    "token",
    [
        "access-sandbox-",  # no name
        "access-sandbox-ins_sandbox_chase-0123456789abcdef-00000000",  # an exchanged token with a typo
        "access-sandbox-ins_sandbox_chase-0123",  # a truncated exchanged token
        "access-production-xxx",
        "access-sandbox-x y",
    ],
)
def test_other_tokens_are_still_refused(token: str) -> None:
    with pytest.raises(InvalidCredentialsError):
        easy_banking(provider="sandbox").accounts(access_token=token)


async def test_link_then_exchange_over_http_gives_a_working_token() -> None:
    app = FastAPI()
    add_banking(app, provider="sandbox")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        link = (await client.post("/banking/link", json={"user_id": "me"})).json()
        public_token = link["extra"]["public_token"]
        assert all(i["public_token"].startswith("public-sandbox-") for i in link["institutions"])
        exchanged = await client.post("/banking/exchange", json={"public_token": public_token})
        assert exchanged.status_code == 200
        token = exchanged.json()["access_token"]
        accounts = await client.get("/banking/accounts", headers={"Authorization": f"Bearer {token}"})
        assert accounts.status_code == 200 and accounts.json()["count"] > 0
