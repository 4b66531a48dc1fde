"""Every emulator body over real HTTP validates against the compact schemas written from the notes."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from fin_infra.testing.finicity import FinicityEmulator
from tests.finicity import schemas


def check(body: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(body, schema)


@pytest.fixture
def api(finicity: FinicityEmulator) -> Any:
    env = finicity.env()
    with httpx.Client(base_url=finicity.base_url, headers={"Finicity-App-Key": env["FINICITY_APP_KEY"]}) as http:
        answer = http.post("/aggregation/v2/partners/authentication",
                           json={"partnerId": env["FINICITY_PARTNER_ID"], "partnerSecret": env["FINICITY_SECRET"]})
        check(answer.json(), schemas.ACCESS_TOKEN)
        http.headers["Finicity-App-Token"] = answer.json()["token"]
        yield http


def test_success_bodies(api: httpx.Client, finicity: FinicityEmulator) -> None:
    created = api.post("/aggregation/v2/customers/testing", json={"username": "schema-user-1"})
    assert created.status_code == 201
    check(created.json(), schemas.CREATED_CUSTOMER)
    customer = created.json()["id"]
    link = api.post("/connect/v2/generate", json={"partnerId": finicity.backend.partner_id, "customerId": customer,
                                                  "webhookData": {"ref": "abc"}})  # fmt: skip
    check(link.json(), schemas.CONNECT_URL)
    event = finicity.complete_connect(link.json()["link"])
    check(event, schemas.CONNECT_EVENT)
    assert event["webhookData"] == {"ref": "abc"} and event["eventType"] == "added"
    for account in event["payload"]["accounts"]:
        check(account, schemas.ACCOUNT)
    login = event["payload"]["accounts"][0]["institutionLoginId"]
    accounts = api.get(f"/aggregation/v1/customers/{customer}/accounts").json()
    check(accounts, schemas.ACCOUNTS)
    account_id = accounts["accounts"][0]["id"]
    check(api.get(f"/aggregation/v2/customers/{customer}/accounts/{account_id}").json(), schemas.ACCOUNT)
    check(api.post(f"/aggregation/v1/customers/{customer}/accounts").json(), schemas.ACCOUNTS)
    check(api.get(f"/aggregation/v1/customers/{customer}/institutionLogins/{login}/accounts").json(), schemas.ACCOUNTS)
    live = api.get(f"/aggregation/v1/customers/{customer}/accounts/{account_id}/availableBalance/live").json()
    check(live, schemas.AVAILABLE_BALANCE)
    window = {"fromDate": 0, "toDate": 2_000_000_000, "limit": 10, "start": 11, "includePending": "true"}
    page = api.get(f"/aggregation/v3/customers/{customer}/transactions", params=window).json()
    check(page, schemas.TRANSACTIONS)
    assert page["displaying"] == 10 and page["moreAvailable"] == "true" and page["found"] > 20
    one = api.get(f"/aggregation/v4/customers/{customer}/accounts/{account_id}/transactions", params=window).json()
    check(one, schemas.TRANSACTIONS)
    check(api.get(f"/aggregation/v3/customers/{customer}/accounts/{account_id}/owner").json(), schemas.OWNERS)
    assert api.delete(f"/aggregation/v1/customers/{customer}/institutionLogins/{login}").status_code == 204
    assert api.delete(f"/aggregation/v1/customers/{customer}").status_code == 204


def test_error_bodies(api: httpx.Client, finicity: FinicityEmulator) -> None:
    answers = [
        api.get("/aggregation/v1/customers/1005000000/accounts"),  # 404 customer
        api.get("/aggregation/v1/customers/1005000000/accounts", headers={"Finicity-App-Token": "nope"}),  # 401
        api.post("/aggregation/v2/customers/testing", json={"username": "abc"}),  # 400 username too short
        api.get("/aggregation/v3/customers/1/transactions"),  # 400 missing fromDate
        api.post("/aggregation/v2/partners/authentication", json={"partnerId": "x", "partnerSecret": "y"}),
    ]
    api.post("/aggregation/v2/customers/testing", json={"username": "schema-user-2"})
    answers.append(api.post("/aggregation/v2/customers/testing", json={"username": "schema-user-2"}))  # 409
    for status in (429, 500, 503):
        finicity.faults.fail_next(status)
        answers.append(api.get("/aggregation/v1/customers/1/accounts"))
    finicity.expire_tokens()
    answers.append(api.get("/aggregation/v1/customers/1/accounts"))  # 401 10023
    assert sorted(a.status_code for a in answers) == [400, 400, 401, 401, 401, 404, 409, 429, 500, 503]
    for answer in answers:
        check(answer.json(), schemas.ERROR)
    assert answers[-1].json() == {"code": "10023", "message": "Expired (Finicity-App-Token)"}
    bad_key = httpx.get(f"{finicity.base_url}/aggregation/v1/customers/1/accounts",
                        headers={"Finicity-App-Key": "wrong"})  # fmt: skip
    assert bad_key.status_code == 401 and bad_key.headers["content-type"].startswith("text/plain")
    assert bad_key.text == "Invalid (Finicity-App-Key)"
