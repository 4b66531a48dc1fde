"""A Plaid sync holds back the collector's full passes while it builds its result, and only then.

(bench/plaid_stall.py measures what that is for: no 35-50 ms full pass freezing the event loop mid-sync.)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from fin_infra._gc import no_full_collections
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.providers.banking.plaid import provider as provider_module
from fin_infra.testing.plaid import PlaidEmulator


@pytest.fixture
def default_thresholds() -> Iterator[tuple[int, ...]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_the_hold_lifts_only_the_oldest_threshold_and_the_last_to_leave_restores_it(
    default_thresholds: tuple[int, ...],
) -> None:
    with no_full_collections():
        held = gc.get_threshold()
        assert held[:2] == default_thresholds[:2] and held[2] > 10**6
        inner_done = threading.Event()

        def other_thread() -> None:
            with no_full_collections():
                assert gc.get_threshold() == held
            inner_done.set()

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert inner_done.is_set() and gc.get_threshold() == held  # still held: the outer one hasn't left
    assert gc.get_threshold() == default_thresholds


def test_thresholds_set_by_the_app_meanwhile_are_kept_and_a_disabled_collector_stays_off(
    default_thresholds: tuple[int, ...],
) -> None:
    with no_full_collections():
        gc.set_threshold(5000, 20, 20)
    assert gc.get_threshold() == (5000, 20, 20)
    gc.set_threshold(0, 10, 10)
    with no_full_collections():
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)


async def test_sync_transactions_holds_while_it_parses_and_releases_after(
    plaid: PlaidEmulator, default_thresholds: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, ...]] = []
    original = provider_module._sync_page

    async def watched(data: Any) -> Any:
        seen.append(gc.get_threshold())
        return await original(data)

    monkeypatch.setattr(provider_module, "_sync_page", watched)
    provider = PlaidProvider(**plaid.provider_options(), sync_page_size=7)
    try:
        result = await provider.sync_transactions(plaid.create_access_token(days_requested=10))
    finally:
        await provider.aclose()
    assert len(result.added) == 30 and len(seen) == 5
    assert all(t[2] > 10**6 for t in seen)
    assert gc.get_threshold() == default_thresholds


async def test_a_failed_sync_releases_the_hold(
    plaid: PlaidEmulator, default_thresholds: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(data: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(provider_module, "_sync_page", broken)
    provider = PlaidProvider(**plaid.provider_options())
    try:
        with pytest.raises(RuntimeError):
            await provider.sync_transactions(plaid.create_access_token(days_requested=10))
    finally:
        await provider.aclose()
    assert gc.get_threshold() == default_thresholds
