"""The OpenAPI documents describe error bodies (application/problem+json) and the Retry-After header."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import Webhooks


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    add_banking(app, provider="sandbox", webhooks=Webhooks(teller_secrets=["whsec_x"]))
    return app


def error_responses(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    found.append((f"{method.upper()} {path} {status}", status, response))
    return found


async def test_every_error_response_has_the_problem_schema_and_429_says_retry_after(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        banking_doc = (await client.get("/banking/openapi.json")).json()
    for document in (banking_doc, app.openapi()):
        errors = error_responses(document)
        assert len(errors) > 20
        for where, status, response in errors:
            if status == "422" and "application/json" in response.get("content", {}):
                continue  # FastAPI's own HTTPValidationError entry, next to ours
            schema = response["content"]["application/problem+json"]["schema"]
            assert {"type", "title", "status", "detail", "code"} <= set(schema["required"]), where
            assert "rate_limited" in schema["properties"]["code"]["enum"]
            if status == "429":
                assert response["headers"]["Retry-After"]["schema"]["type"] == "integer", where
        assert any(status == "429" for _, status, _ in errors)


async def test_a_real_problem_body_fits_the_schema(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        schema = (await client.get("/banking/openapi.json")).json()["paths"]["/banking/accounts"]["get"][
            "responses"]["401"]["content"]["application/problem+json"]["schema"]
        body = (await client.get("/banking/accounts")).json()
        bad = (await client.get("/banking/transactions?page=0", headers={"Authorization": "Bearer x"})).json()
    for problem in (body, bad):
        assert set(schema["required"]) <= set(problem) <= set(schema["properties"])
        assert problem["code"] in schema["properties"]["code"]["enum"]
