"""The MX emulator over real HTTP: MX's shapes (checked against our schemas), auth, headers, paging, sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import jsonschema
import pytest

from fin_infra.emulators.mx import data
from fin_infra.testing.mx import MXEmulator
from tests.mx import schemas

ACCEPT = {"Accept": "application/vnd.mx.api.v1+json"}


@pytest.fixture
def api(mx: MXEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mx.base_url, auth=(mx.client_id, mx.api_key), headers=ACCEPT) as c:
        yield c


def ok(response: httpx.Response, schema: dict[str, Any], status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/vnd.mx.api.v1+json")
    body: dict[str, Any] = response.json()
    jsonschema.validate(body, schema)
    return body


def login(api: httpx.Client, user_guid: str, password: str, username: str = "mxuser") -> dict[str, Any]:
    creds = api.get("/institutions/mxbank/credentials").json()["credentials"]
    values = {"LOGIN": username, "PASSWORD": password}
    given = [{"guid": c["guid"], "value": values[c["field_name"]]} for c in creds]
    body = {"member": {"institution_code": "mxbank", "credentials": given}}
    return ok(api.post(f"/users/{user_guid}/members", json=body), schemas.wrapped("member", schemas.MEMBER), 202)


def test_every_body_has_mx_shape(api: httpx.Client) -> None:
    user = ok(api.post("/users", json={"user": {"id": "u-1", "email": "dana@example.net"}}),
              schemas.wrapped("user", schemas.USER))["user"]  # fmt: skip
    u = user["guid"]
    ok(api.get("/users", params={"id": "u-1"}), schemas.listed("users", schemas.USER))
    widget = {"widget_url": {"widget_type": "connect_widget", "ui_message_version": 4}}
    ok(api.post(f"/users/{u}/widget_urls", json=widget), schemas.wrapped("widget_url", schemas.WIDGET_URL))
    m = login(api, u, "password")["member"]["guid"]
    ok(api.get(f"/users/{u}/members/{m}"), schemas.wrapped("member", schemas.MEMBER))
    ok(api.get(f"/users/{u}/members/{m}/status"), schemas.wrapped("member", schemas.MEMBER_STATUS))
    accounts = ok(api.get(f"/users/{u}/members/{m}/accounts"), schemas.listed("accounts", schemas.ACCOUNT))
    a = accounts["accounts"][0]["guid"]
    ok(api.get(f"/users/{u}/accounts/{a}"), schemas.wrapped("account", schemas.ACCOUNT))
    params = {"from_date": "2025-12-01", "records_per_page": 1000}
    paths = (f"/users/{u}/transactions", f"/users/{u}/members/{m}/transactions",
             f"/users/{u}/accounts/{a}/transactions")
    for path in paths:
        txns = ok(api.get(path, params=params), schemas.listed("transactions", schemas.TRANSACTION))["transactions"]
        assert {t["status"] for t in txns} == {"POSTED", "PENDING"} and {t["type"] for t in txns} == {"DEBIT", "CREDIT"}
    ok(api.post(f"/users/{u}/members/{m}/identify", json={}), schemas.wrapped("member", schemas.MEMBER), 202)
    owners = ok(api.get(f"/users/{u}/members/{m}/account_owners"), schemas.listed("account_owners", schemas.OWNER))
    assert len(owners["account_owners"]) == 3


def test_money_is_written_as_exact_json_numbers(api: httpx.Client, mx: MXEmulator) -> None:
    mx.create_access_token("u-2", seed="cents")
    user = mx.backend.find_users("u-2")[0].guid
    raw = api.get(f"/users/{user}/transactions", params={"records_per_page": 50}).text
    rows = json.loads(raw, parse_float=Decimal)["transactions"]
    expected = {r.guid: r.amount for _, r in mx.backend.transactions(user)}
    assert rows and all(t["amount"] == expected[t["guid"]] for t in rows), "the same cents, digit for digit"
    assert all(t["amount"] == t["amount"].quantize(Decimal("0.01")) for t in rows)


def test_auth_accept_and_content_type_are_checked_as_mx_does(mx: MXEmulator) -> None:
    with httpx.Client(base_url=mx.base_url) as bare:
        assert bare.get("/users", headers=ACCEPT).status_code == 401
        wrong = bare.get("/users", headers=ACCEPT, auth=(mx.client_id, "not-the-key"))
        assert wrong.status_code == 401
        jsonschema.validate(wrong.json(), schemas.ERROR)
        assert bare.get("/users", auth=(mx.client_id, mx.api_key)).status_code == 406
        no_type = bare.post("/users", content=b'{"user": {}}', headers=ACCEPT, auth=(mx.client_id, mx.api_key))
        assert no_type.status_code == 404, "MX answers 404 to a POST without Content-Type: application/json"


def test_paging_follows_page_and_records_per_page(api: httpx.Client, mx: MXEmulator) -> None:
    mx.create_access_token("u-3", seed="pages")
    u = mx.backend.find_users("u-3")[0].guid
    first = api.get(f"/users/{u}/transactions", params={"records_per_page": 10}).json()
    total = first["pagination"]["total_entries"]
    assert first["pagination"] == {"current_page": 1, "per_page": 10, "total_entries": total,
                                   "total_pages": (total + 9) // 10}  # fmt: skip
    seen = []
    for n in range(1, first["pagination"]["total_pages"] + 1):
        page = api.get(f"/users/{u}/transactions", params={"records_per_page": 10, "page": n}).json()
        seen += [t["guid"] for t in page["transactions"]]
    assert len(seen) == len(set(seen)) == total
    assert api.get(f"/users/{u}/transactions", params={"records_per_page": 5000}).json()["pagination"]["per_page"] == 25
    assert api.get(f"/users/{u}/transactions", params={"page": "x"}).status_code == 400


@pytest.mark.parametrize(
    ("password", "status"),
    [("password", "CONNECTED"), ("challenge", "CHALLENGED"), ("options", "CHALLENGED"), ("image", "CHALLENGED"),
     ("BAD_REQUEST", "FAILED"), ("UNAUTHORIZED", "DENIED"), ("LOCKED", "LOCKED"), ("EXPIRED", "EXPIRED")],
)  # fmt: skip
def test_sandbox_passwords(api: httpx.Client, password: str, status: str) -> None:
    u = api.post("/users", json={"user": {"id": f"pw-{password}"}}).json()["user"]["guid"]
    m = login(api, u, password)["member"]["guid"]
    assert api.get(f"/users/{u}/members/{m}").json()["member"]["connection_status"] == status


@pytest.mark.parametrize(("password", "kind"), [("challenge", "TEXT"), ("options", "OPTIONS"), ("image", "IMAGE_DATA")])
def test_challenges_answered_correct_connect(api: httpx.Client, password: str, kind: str) -> None:
    u = api.post("/users", json={"user": {"id": f"mfa-{password}"}}).json()["user"]["guid"]
    m = login(api, u, password)["member"]["guid"]
    status = ok(api.get(f"/users/{u}/members/{m}/status"), schemas.wrapped("member", schemas.MEMBER_STATUS))
    (challenge,) = status["member"]["challenges"]
    assert challenge["type"] == kind
    answer = {"member": {"challenges": [{"guid": challenge["guid"], "value": "correct"}]}}
    assert api.put(f"/users/{u}/members/{m}/resume", json=answer).status_code == 202
    assert api.get(f"/users/{u}/members/{m}").json()["member"]["connection_status"] == "CONNECTED"


def test_a_wrong_answer_is_rejected_and_a_wrong_username_denied(api: httpx.Client) -> None:
    u = api.post("/users", json={"user": {"id": "wrong"}}).json()["user"]["guid"]
    m = login(api, u, "challenge")["member"]["guid"]
    api.put(f"/users/{u}/members/{m}/resume", json={"member": {"challenges": [{"value": "nope"}]}})
    assert api.get(f"/users/{u}/members/{m}").json()["member"]["connection_status"] == "REJECTED"
    other = login(api, u, "password", username="someone")["member"]["guid"]
    assert api.get(f"/users/{u}/members/{other}").json()["member"]["connection_status"] == "DENIED"


def test_jobs_same_type_accepted_other_type_conflicts(api: httpx.Client, mx: MXEmulator) -> None:
    mx.backend.job_seconds = 60
    u = api.post("/users", json={"user": {"id": "jobs"}}).json()["user"]["guid"]
    m = login(api, u, "password")["member"]["guid"]  # its aggregation now runs for a minute
    assert api.post(f"/users/{u}/members/{m}/aggregate", json={}).status_code == 202
    conflict = api.post(f"/users/{u}/members/{m}/check_balance", json={})
    assert conflict.status_code == 409
    jsonschema.validate(conflict.json(), schemas.ERROR)


def test_users_members_and_accounts_are_private_to_their_user(api: httpx.Client, mx: MXEmulator) -> None:
    mx.create_access_token("alice")
    mx.create_access_token("bob")
    alice, bob = (mx.backend.find_users(n)[0] for n in ("alice", "bob"))
    bobs_member = mx.backend.members_of(bob.guid)[0]
    assert api.get(f"/users/{alice.guid}/members/{bobs_member.guid}").status_code == 404
    assert api.get(f"/users/{alice.guid}/accounts/{bobs_member.accounts[0].guid}").status_code == 404
    assert api.post("/users", json={"user": {"id": "alice"}}).status_code == 409
    assert api.delete(f"/users/{alice.guid}/members/{bobs_member.guid}").status_code == 404


def test_widget_urls_are_single_use(mx: MXEmulator) -> None:
    session = mx.backend.create_widget(mx.user_guid("w"), None, include_identity=False)
    event = mx.backend.connect(session.token)
    assert event["type"] == "mx/connect/memberConnected"
    assert set(event["metadata"]) == {"user_guid", "member_guid", "session_guid"}
    with pytest.raises(ValueError, match="already used or has expired"):
        mx.backend.connect(session.token)
    challenged = mx.connect("w", password="challenge")
    assert challenged["type"] == "mx/connect/memberStatusUpdate"
    assert mx.connect("w", password="challenge", answer="correct")["type"] == "mx/connect/memberConnected"


def test_seeded_data_is_deterministic(mx: MXEmulator) -> None:
    one = mx.backend.create_member(mx.user_guid("d"), "mxbank", "mxuser", "p", seed="same")
    rows = [r.guid for r in data.transactions(one.accounts[0].guid, one.accounts[0].template, mx.backend._today())[0]]
    again = [r.guid for r in data.transactions(one.accounts[0].guid, one.accounts[0].template, mx.backend._today())[0]]
    assert rows == again and len(rows) > 500, "two years of history"


def test_faults_over_http(api: httpx.Client, mx: MXEmulator) -> None:
    mx.faults.fail_next(429, retry_after=3, path="/users")
    limited = api.get("/users")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    jsonschema.validate(limited.json(), schemas.ERROR)
    mx.faults.drop_next(path="/users")
    with pytest.raises(httpx.HTTPError):
        api.get("/users")
    assert api.get("/users").status_code == 200
