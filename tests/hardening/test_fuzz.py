"""Schemathesis over the banking OpenAPI document: sandbox, Teller emulator, Plaid emulator, webhooks mounted.

A few hundred derandomized cases per provider here (``make fuzz`` runs 5,000 each): no server error and
no status the document doesn't list, whatever the input.
"""

from __future__ import annotations

import logging

import pytest

from tests.hardening.fuzz import PROVIDERS, fuzz_all

CASES = 240


def test_no_server_error_and_no_undocumented_status(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL):  # refused inputs are logged by design
        results = fuzz_all(CASES)
    for counts in results:
        print(counts.line())
    assert [c.provider for c in results] == list(PROVIDERS)
    for counts in results:
        assert counts.cases == CASES
        assert counts.server_errors == [], counts.server_errors[:10]
        assert counts.undocumented == [], counts.undocumented[:10]
        assert counts.statuses[200] > CASES // 10, "most cases must not be refused at the door"
