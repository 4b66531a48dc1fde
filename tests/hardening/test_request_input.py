"""Hostile request input on the banking routes: a clear 4xx problem, never a 500 or a silently wider answer."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.conftest import AUTH

PROBLEM = "application/problem+json"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", ["/banking/link", "/banking/exchange"])
@pytest.mark.parametrize(
    "body",
    [b'{"user_id": "\xff\xfe"}', b"\xef\xbb\xbf\xff" * 10, b'{"public_token": "\xc3\x28"}'],
    ids=["latin1-in-string", "garbage", "bad-continuation"],
)
async def test_bodies_that_are_not_utf8_are_422(
    client: httpx.AsyncClient, path: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.post(path, content=body, headers={"content-type": "application/json"})
    problem = _problem(response, 422, "validation_error")
    assert problem["errors"] == [{"field": "body", "message": "the body must be JSON encoded as UTF-8"}]
    assert "Traceback" not in caplog.text and not caplog.records


@pytest.mark.parametrize("path", ["/banking/link", "/banking/exchange"])
@pytest.mark.parametrize("depth", [33, 1000, 30_000, 100_000])
async def test_deeply_nested_json_is_4xx(
    client: httpx.AsyncClient, path: str, depth: int, caplog: pytest.LogCaptureFixture
) -> None:
    body = '{"user_id": "u", "public_token": "p", "x": ' + "[" * depth + "]" * depth + "}"
    with caplog.at_level(logging.ERROR):
        response = await client.post(path, content=body, headers={"content-type": "application/json"})
    if len(body) > 64 * 1024:
        _problem(response, 413, "payload_too_large")  # the size cap answers first
    else:
        problem = _problem(response, 422, "validation_error")
        assert "nested more than 32 levels" in str(problem["detail"])
    assert not caplog.records


async def test_nesting_inside_strings_does_not_count(client: httpx.AsyncClient) -> None:
    response = await client.post("/banking/link", json={"user_id": "[" * 200 + '{"\\'})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/banking/link", "/banking/exchange"])
async def test_bodies_over_the_cap_are_413_unread(client: httpx.AsyncClient, path: str) -> None:
    big = b'{"user_id": "' + b"a" * (30 * 1024 * 1024) + b'"}'
    response = await client.post(path, content=big, headers={"content-type": "application/json"})
    _problem(response, 413, "payload_too_large")

    async def stream() -> object:  # no Content-Length: refused once the stream passes the cap
        for _ in range(100):
            yield b"[" * 4096

    response = await client.post(path, content=stream(), headers={"content-type": "application/json"})
    _problem(response, 413, "payload_too_large")


async def test_small_bodies_still_work(client: httpx.AsyncClient) -> None:
    assert (await client.post("/banking/link", json={"user_id": "u1"})).status_code == 200


@pytest.mark.parametrize(
    ("path", "param", "closest"),
    [
        ("/banking/transactions", "merchant", "merchant_name"),
        ("/banking/transactions", "start", "start_date"),
        ("/banking/transactions", "pagesize", "page_size"),
        ("/banking/transactions", "zzzz", None),
        ("/banking/balances", "acount_id", "account_id"),
        ("/banking/accounts", "include_closed", None),
        ("/banking/balance-history", "start", "start_date"),
        ("/banking/identity", "fields", None),
    ],
)
async def test_unknown_query_parameters_are_422_naming_the_closest(
    client: httpx.AsyncClient, path: str, param: str, closest: str | None
) -> None:
    params = {param: "zzzz"}
    if path == "/banking/balance-history":
        params["account_id"] = "acc_x"
    response = await client.get(path, params=params, headers=AUTH)
    problem = _problem(response, 422, "validation_error")
    [error] = problem["errors"]  # type: ignore[misc]
    assert error["field"] == param
    if closest:
        assert f"did you mean '{closest}'" in error["message"]
    else:
        assert error["message"] == "unknown query parameter"


async def test_known_parameters_and_the_deprecated_token_parameter_still_work(client: httpx.AsyncClient) -> None:
    response = await client.get("/banking/transactions", params={"merchant_name": "zzzz", "page_size": 5}, headers=AUTH)
    assert response.status_code == 200 and response.json()["total"] == 0
    from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN

    assert (await client.get("/banking/accounts", params={"access_token": DEMO_ACCESS_TOKEN})).status_code == 200


@pytest.mark.parametrize(
    "value", ["0.0", "0", "20250101", "2025-W01-1", "2025-1-1", " 2025-01-01", "2025-02-30", "1e9"]
)
@pytest.mark.parametrize("path", ["/banking/balance-history", "/banking/transactions"])
async def test_dates_must_be_strict_iso(client: httpx.AsyncClient, path: str, value: str) -> None:
    response = await client.get(path, params={"start_date": value, "account_id": "acc_x"}, headers=AUTH)
    problem = _problem(response, 422, "validation_error")
    assert problem["errors"] == [{"field": "start_date", "message": "must be an ISO 8601 date (YYYY-MM-DD)"}]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "http://example.com/hook", "ftp://example.com/x", "https://", "//example.com/x",
        "https://user:pw@example.com/x", "https://exa mple.com/", "https://example.com/\nx", "example.com/hook",
        "http://127.0.0.1.evil.test/", "https://example.com:99999/",
    ],
)  # fmt: skip
@pytest.mark.parametrize("field", ["webhook", "redirect_uri"])
async def test_link_urls_must_be_https_or_loopback_http(client: httpx.AsyncClient, field: str, url: str) -> None:
    response = await client.post("/banking/link", json={"user_id": "u1", field: url})
    problem = _problem(response, 422, "validation_error")
    assert problem["errors"][0]["field"] == field  # type: ignore[index]


@pytest.mark.parametrize(
    "url", ["https://example.com/hooks/plaid", "http://localhost:8000/hook", "http://127.0.0.1/x", "http://[::1]:8/x"]
)
async def test_good_link_urls_are_accepted(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post("/banking/link", json={"user_id": "u1", "webhook": url, "redirect_uri": url})
    assert response.status_code == 200, response.text


async def test_cross_field_rules_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/banking/openapi.json")).json()
    exchange = doc["components"]["schemas"]["ExchangeRequest"]
    assert {"required": ["public_token"]} in exchange["anyOf"]
    assert {"required": ["accessToken"]} in exchange["anyOf"]
    txns = doc["paths"]["/banking/transactions"]["get"]
    assert txns["x-fin-infra-rules"] == ["start_date <= end_date", "min_amount <= max_amount"]
    history = doc["paths"]["/banking/balance-history"]["get"]
    assert history["x-fin-infra-rules"] == ["start_date <= end_date"]
    for op in (txns, history):
        start = next(p for p in op["parameters"] if p["name"] == "start_date")
        assert "end_date" in start["description"]
    link = doc["components"]["schemas"]["LinkRequest"]["properties"]["webhook"]
    assert "https" in link["description"]
    for path in ("/banking/link", "/banking/exchange"):
        assert "413" in doc["paths"][path]["post"]["responses"]


async def test_cross_field_rules_are_enforced(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/banking/transactions", params={"start_date": "2025-02-01", "end_date": "2025-01-01"}, headers=AUTH
    )
    assert _problem(response, 422, "validation_error")["errors"][0]["field"] == "start_date"  # type: ignore[index]
    response = await client.get("/banking/transactions", params={"min_amount": "5", "max_amount": "1"}, headers=AUTH)
    assert _problem(response, 422, "validation_error")["errors"][0]["field"] == "min_amount"  # type: ignore[index]
    response = await client.post("/banking/exchange", json={"enrollment": {"id": "enr_1"}})
    _problem(response, 422, "validation_error")
