"""Plaid: one total time budget per call, and a connection cut mid-body is retried, then a 503."""

from __future__ import annotations

import pytest

from fin_infra.banking.exceptions import ProviderUnavailableError
from fin_infra.testing.plaid import PlaidEmulator


async def test_a_hung_upstream_is_bounded_by_total_timeout_not_by_the_per_call_timeout(
    plaid_emulator: PlaidEmulator,
) -> None:
    plaid_emulator.reset()
    token = plaid_emulator.create_access_token()
    plaid_emulator.http_faults.hang_next(3.0, times=20)
    provider = plaid_emulator.client(timeout=60.0, max_retries=3, retry_backoff=0.01, total_timeout=0.5)
    before = len(plaid_emulator.http_faults.requests)
    with pytest.raises(ProviderUnavailableError) as info:
        await provider.get_accounts(token)
    attempts = len(plaid_emulator.http_faults.requests) - before
    await provider.aclose()
    plaid_emulator.reset()
    # Each hang answers after 3 s, well inside the 60 s per-request timeout: only the 0.5 s total budget can turn
    # the call into a timeout, and it must stop the retries too (no wall-clock assertion: the machine may be busy).
    assert info.value.code == "timeout"
    assert attempts == 1, f"{attempts} requests: the budget ran out during the first"


async def test_a_connection_dropped_mid_body_is_retried(plaid_emulator: PlaidEmulator) -> None:
    plaid_emulator.reset()
    token = plaid_emulator.create_access_token()
    provider = plaid_emulator.client(retry_backoff=0.01)
    plaid_emulator.http_faults.drop_next(times=2)
    assert len(await provider.get_accounts(token)) == 3  # two drops, then an answer
    plaid_emulator.http_faults.drop_next(times=10)
    with pytest.raises(ProviderUnavailableError) as info:
        await provider.get_balances(token)
    assert info.value.code == "connection_error"
    await provider.aclose()
    plaid_emulator.reset()
