"""A token sent by header or query never appears in any log record, whatever logs it."""

from __future__ import annotations

import logging

import httpx
import pytest

from fin_infra.banking.redaction import TokenRedactingFilter, redact

TOKEN = "access-sandbox-ins_sandbox_boa-00112233445566aa-1a2b3c4d"


async def test_no_record_carries_the_token(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await client.get("/banking/accounts", headers={"Authorization": f"Bearer {TOKEN}"})
    await client.get(f"/banking/accounts?access_token={TOKEN}")
    await client.get("/banking/transactions?start_date=bad", headers={"Authorization": f"Bearer {TOKEN}"})
    assert caplog.records, "the failed calls are logged"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1:5000 - "GET /banking/accounts?access_token={TOKEN} HTTP/1.1" 200',
        f"Authorization: Bearer {TOKEN}",
        "Authorization: Basic dGVzdF90b2tlbl9reTZpZ3lxaTNxeGE0Og==",
        f"exchanged for {TOKEN} ok",
        "POST /x?public_token=public-sandbox-ins_x-aa&client_secret=s3cr3t",
    ],
)
def test_redact_patterns(line: str) -> None:
    cleaned = redact(line)
    for secret in (TOKEN, "dGVzdF90b2tlbl9reTZpZ3lxaTNxeGE0Og==", "s3cr3t", "public-sandbox-ins_x-aa"):
        assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_filter_rewrites_uvicorn_style_args() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", f"/banking/accounts?access_token={TOKEN}", "1.1", 200), None,
    )
    assert TokenRedactingFilter().filter(record)
    assert TOKEN not in record.getMessage() and "access_token=[REDACTED]" in record.getMessage()
