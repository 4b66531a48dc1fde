"""The documented model constructions, money as Decimal, and exact JSON numbers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from fin_infra._json import dumps
from fin_infra.models import Balance, BankAccount, Transaction


def test_documented_bank_account() -> None:
    account = BankAccount(
        id="acc_123", name="My Checking", official_name="Premium Checking Account", type="depository",
        subtype="checking", balance=5432.10, currency="USD", institution_id="ins_001", institution_name="Chase Bank",
    )
    assert account.account_id == "acc_123"
    assert account.balance == Decimal("5432.10")
    assert isinstance(account.balance, Decimal)


def test_both_documented_transaction_shapes() -> None:
    new = Transaction(
        id="txn_123", account_id="acc_123", amount=-45.67, date="2025-01-15", description="STARBUCKS #12345",
        merchant_name="Starbucks", category="Food & Drink", pending=False, currency="USD",
    )
    assert new.amount == Decimal("-45.67") and new.date == dt.date(2025, 1, 15)
    assert new.category == "Food & Drink" and new.category_path == ["Food & Drink"]
    old = Transaction(
        transaction_id="txn_1", account_id="acc_1", amount=Decimal("-4.5"), date=dt.date(2025, 1, 2), name="Coffee",
        merchant_name=None, category=["Food and Drink", "Coffee"], pending=False, iso_currency_code="USD",
    )
    assert (old.id, old.transaction_id, old.name, old.description) == ("txn_1", "txn_1", "Coffee", "Coffee")
    assert old.category == "Food and Drink" and old.category_path == ["Food and Drink", "Coffee"]
    assert old.iso_currency_code == old.currency == "USD"


def test_float_input_has_no_binary_noise() -> None:
    t = Transaction(id="t", account_id="a", amount=0.1 + 0.2, date="2025-01-01", description="x")
    assert t.amount == Decimal("0.30000000000000004")  # repr of the float, not its 50-digit expansion
    assert BankAccount(id="a", name="n", type="depository", balance=5432.10).balance == Decimal("5432.1")


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "12,50", "abc", True])
def test_bad_amounts_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        Transaction(id="t", account_id="a", amount=bad, date="2025-01-01", description="x")
    assert "amount" in str(info.value)


def test_json_numbers_are_exact() -> None:
    balance = Balance(account_id="a", current=Decimal("12345678901234567.89"), available=Decimal("0.10"))
    text = dumps(balance)
    assert '"current":12345678901234567.89' in text and '"available":0.10' in text
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["current"] == Decimal("12345678901234567.89")


def test_raw_payload_is_kept_but_not_serialised() -> None:
    t = Transaction(id="t", account_id="a", amount="1", date="2025-01-01", description="x", raw={"secret_field": 1})
    assert t.raw == {"secret_field": 1}
    assert "secret_field" not in dumps(t)
