"""The documented module API: track_balance / get_balance_history as written in the docs, plus the rest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from fin_infra._sync import run_sync
from fin_infra.banking import history
from fin_infra.banking.history import (
    BalanceHistory,
    get_balance_history,
    prune_balance_history,
    set_balance_store,
    summarize_history,
    track_balance,
    track_balances,
)
from fin_infra.banking.history.stores import MemoryBalanceStore
from fin_infra.banking.history.stores.sql import SQLBalanceStore
from fin_infra.models import Balance, BankAccount

D = dt.date


def test_documented_calls() -> None:
    track_balance(account_id="acc_123", balance=5432.10, date=D(2025, 1, 1), currency="USD")
    track_balance(account_id="acc_123", balance=5000, date=D(2025, 1, 2), currency="USD")
    history_ = get_balance_history(account_id="acc_123", start_date=D(2025, 1, 1), end_date=D(2025, 1, 31))
    start_date, end_date = D(2025, 1, 1), D(2025, 1, 31)
    assert get_balance_history("acc_123", start_date, end_date) == history_
    assert all(isinstance(s, BalanceHistory) for s in history_)
    assert [(s.date, s.balance, s.currency) for s in history_] == [
        (D(2025, 1, 1), Decimal("5432.1"), "USD"),  # the float's shortest repr, not binary noise
        (D(2025, 1, 2), Decimal("5000"), "USD"),
    ]
    # the docs' use cases work on Decimals as written
    trend = "increasing" if history_[-1].balance > history_[0].balance else "decreasing"
    change_pct = ((history_[-1].balance - history_[0].balance) / history_[0].balance) * 100
    avg_balance = sum(h.balance for h in history_) / len(history_)
    assert trend == "decreasing" and round(change_pct, 2) == Decimal("-7.95") and avg_balance == Decimal("5216.05")
    total: dict[dt.date, Decimal] = {}
    for snapshot in history_:
        total[snapshot.date] = total.get(snapshot.date, 0) + snapshot.balance
    assert total[D(2025, 1, 1)] == Decimal("5432.1")


def test_date_defaults_to_today_and_strings_are_dates() -> None:
    snap = track_balance("acc", "1.00")
    assert snap.date == D.today()
    track_balance("acc", "2.00", "2025-01-05")
    assert [s.balance for s in get_balance_history("acc", "2025-01-01", "2025-01-31")] == [Decimal("2.00")]
    assert len(get_balance_history("acc")) == 2  # no range: everything


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"account_id": "", "balance": 1}, "account_id"),
        ({"account_id": "x" * 257, "balance": 1}, "account_id"),
        ({"account_id": "a", "balance": None}, "balance"),
        ({"account_id": "a", "balance": "lots"}, "balance"),
        ({"account_id": "a", "balance": float("nan")}, "balance"),
        ({"account_id": "a", "balance": 1, "date": "01/02/2025"}, "date"),
        ({"account_id": "a", "balance": 1, "currency": ""}, "currency"),
    ],
)
def test_bad_input_is_a_clear_value_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        track_balance(**kwargs)  # type: ignore[arg-type]


def test_start_after_end_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"start_date .* must not be after end_date"):
        get_balance_history("acc", D(2025, 2, 1), D(2025, 1, 1))


def test_bulk_takes_balances_accounts_and_mappings() -> None:
    day = D(2025, 4, 1)
    recorded = track_balances(
        [
            Balance(account_id="b1", current=Decimal("10.10"), currency="EUR"),
            Balance(account_id="b2", current=None),  # nothing reported: skipped
            BankAccount(id="a1", name="Checking", type="depository", balance=Decimal("20.20")),
            BankAccount(id="a2", name="Card", type="credit"),  # no balance: skipped
            {"account_id": "m1", "balance": "30.30", "date": "2025-03-31"},
        ],
        date=day,
    )
    assert [(s.account_id, s.date, s.balance, s.currency) for s in recorded] == [
        ("b1", day, Decimal("10.10"), "EUR"),
        ("a1", day, Decimal("20.20"), "USD"),
        ("m1", D(2025, 3, 31), Decimal("30.30"), "USD"),
    ]
    assert get_balance_history("m1")[0].balance == Decimal("30.30")
    with pytest.raises(TypeError, match="can't track a int"):
        track_balances([42])


def test_prune_deletes_what_is_older_than_n_days() -> None:
    today = D(2025, 12, 31)
    for age in (0, 29, 30, 31, 400):
        track_balance("acc", age, today - dt.timedelta(days=age))
    assert prune_balance_history(older_than_days=30, today=today) == 2
    assert [s.balance for s in get_balance_history("acc")] == [Decimal(30), Decimal(29), Decimal(0)]
    with pytest.raises(ValueError, match="older_than_days"):
        prune_balance_history(older_than_days=-1)


def test_set_balance_store_by_url_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    previous = set_balance_store(url)
    try:
        chosen = history.get_balance_store()
        assert isinstance(chosen, SQLBalanceStore)
        track_balance("acc", "7.00", D(2025, 1, 1))
        assert [s.balance for s in get_balance_history("acc")] == [Decimal("7.00")]
        assert (tmp_path / "h.db").exists()
    finally:
        set_balance_store(previous)
    assert get_balance_history("acc") == []  # the memory store never saw it
    run_sync(chosen.aclose())


def test_environment_chooses_the_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(history.DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'env.db'}")
    set_balance_store(None)
    store = history.get_balance_store()
    assert isinstance(store, SQLBalanceStore) and str(store.url).endswith("env.db")
    monkeypatch.setenv(history.DATABASE_URL_ENV, "memory://")
    set_balance_store(None)
    assert isinstance(history.get_balance_store(), MemoryBalanceStore)


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "sqlite://", "sqlite:///:memory:", "sqlite:////no/such/dir/h.db", "nonsense"]
)
def test_unusable_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ValueError, match=r"unsupported|persist|directory|not a database URL"):
        history.open_balance_store(url)


def test_urls_never_show_the_password() -> None:
    store = history.open_balance_store("postgresql://app:s3cret-pw@db.internal/app")
    assert "s3cret-pw" not in repr(store)


def test_summary_statistics() -> None:
    for day, value in ((1, "100.00"), (2, "80.00"), (3, "130.00"), (4, "125.50")):
        track_balance("acc", value, D(2025, 1, day))
    s = summarize_history(get_balance_history("acc"))
    assert (s.count, s.trend, s.currency) == (4, "increasing", "USD")
    assert (s.opening_balance, s.closing_balance) == (Decimal("100.00"), Decimal("125.50"))
    assert (s.minimum, s.maximum, s.average) == (Decimal("80.00"), Decimal("130.00"), Decimal("108.88"))
    assert (s.change_amount, s.change_percent) == (Decimal("25.50"), Decimal("25.50"))


def test_summary_edge_cases() -> None:
    empty = summarize_history([])
    assert empty.count == 0 and empty.trend is None and empty.average is None
    track_balance("zero", 0, D(2025, 1, 1))
    track_balance("zero", "-5", D(2025, 1, 2))
    s = summarize_history(get_balance_history("zero"))
    assert s.trend == "decreasing" and s.change_amount == Decimal(-5) and s.change_percent is None
    track_balance("neg", "-200", D(2025, 1, 1))
    track_balance("neg", "-100", D(2025, 1, 2))
    assert summarize_history(get_balance_history("neg")).change_percent == Decimal("50.00")  # of |opening|
    track_balance("flat", "1", D(2025, 1, 1))
    assert summarize_history(get_balance_history("flat")).trend == "flat"
    track_balance("mixed", "1", D(2025, 1, 1), "USD")
    track_balance("mixed", "1", D(2025, 1, 2), "EUR")
    mixed = summarize_history(get_balance_history("mixed"))
    assert mixed.count == 2 and mixed.currency is None and mixed.average is None
