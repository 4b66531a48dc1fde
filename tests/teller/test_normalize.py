"""One sign convention (money out < 0) for depository and credit accounts; amounts exact Decimals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fin_infra.banking.exceptions import BankingProviderError
from fin_infra.models import Transaction
from fin_infra.providers.banking.teller import TellerClient, normalize
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import TODAY

START = TODAY - dt.timedelta(days=120)


async def test_depository_amounts_keep_teller_sign(client: TellerClient, token: str, teller: TellerEmulator) -> None:
    checking = teller.backend.accounts(token)[0]
    txns = await client.get_transactions(token, START, TODAY, account_id=checking.id)
    for t in txns:
        assert t.raw is not None and isinstance(t.amount, Decimal)
        assert t.amount == Decimal(t.raw["amount"]), "depository: Teller's sign is already ours"
        assert str(t.amount) == t.raw["amount"], "exact digits, no float noise"
    assert any(t.amount < 0 and t.category == "dining" for t in txns), "spending is money out"
    assert any(t.amount > 0 and t.description == "ACME CORP PAYROLL" for t in txns), "payroll is money in"


async def test_credit_card_amounts_are_negated(client: TellerClient, token: str, teller: TellerEmulator) -> None:
    card = teller.backend.accounts(token)[2]
    txns = await client.get_transactions(token, START, TODAY, account_id=card.id)
    charges = [t for t in txns if t.raw and t.raw["type"] == "card_payment" and not t.description.startswith("REFUND")]
    payments = [t for t in txns if t.description == "PAYMENT - THANK YOU"]
    assert charges and payments
    assert all(Decimal(t.raw["amount"]) > 0 and t.amount < 0 for t in charges if t.raw), "a card purchase is money out"
    assert all(Decimal(t.raw["amount"]) < 0 and t.amount > 0 for t in payments if t.raw), "a card payment is money in"
    assert all(t.amount == -Decimal(t.raw["amount"]) for t in txns if t.raw)


async def test_fields_are_normalised(client: TellerClient, token: str) -> None:
    txns = await client.get_transactions(token, TODAY - dt.timedelta(days=10), TODAY)
    pending = [t for t in txns if t.pending]
    assert pending and all(t.raw and t.raw["status"] == "pending" for t in pending)
    assert all(t.date >= TODAY - dt.timedelta(days=1) for t in pending)
    coffee = next(t for t in txns if t.merchant_name == "RIVERSIDE COFFEE" or t.category == "dining")
    assert coffee.category_path == [coffee.category] and isinstance(coffee.date, dt.date)


def test_recorded_credit_card_rows() -> None:
    # Shapes from Teller's recorded sandbox data: a purchase "96.95", a payment "-303.33".
    base = {"account_id": "acc_1", "date": "2024-03-02", "status": "posted", "details": {"category": "shopping"}}

    def card(txn_id: str, amount: str) -> Transaction:
        row = {**base, "id": txn_id, "amount": amount, "description": "X"}
        return normalize.transaction(row, account_type="credit")

    purchase, payment, zero = card("txn_a", "96.95"), card("txn_b", "-303.33"), card("txn_c", "0.00")
    assert (purchase.amount, payment.amount, str(zero.amount)) == (Decimal("-96.95"), Decimal("303.33"), "0.00")


def test_float_amounts_are_parsed_without_noise() -> None:
    assert normalize.amount(5432.10, "x") == Decimal("5432.1")
    assert normalize.amount("0.1", "x") + normalize.amount("0.2", "x") == Decimal("0.3")  # type: ignore[operator]


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, [1]])
def test_bad_amounts_are_refused(bad: object) -> None:
    with pytest.raises(BankingProviderError, match="Teller sent") as info:
        normalize.amount(bad, "transaction amount")
    assert (info.value.code, info.value.http_status) == ("invalid_response", 502)


def test_balances_of_a_credit_account_are_not_negated() -> None:
    b = normalize.balance({"account_id": "acc_1", "ledger": "1310.20", "available": "3689.80"}, {"currency": "USD"})
    assert (b.current, b.available) == (Decimal("1310.20"), Decimal("3689.80"))


def test_identity_accepts_full_region_names_and_empty_owners() -> None:
    owner = {"names": [{"type": "alias", "data": "D W"}, {"type": "name", "data": "DANA W"}],
             "addresses": [{"primary": False, "data": {"city": "X", "region": "MINNESOTA"}},
                           {"primary": True, "data": {"city": "Y", "region": "MN"}}]}
    entries = [{"account": {"id": "acc_1"}, "owners": [owner]}, {"account": {"id": "acc_2"}, "owners": []}]
    identity = normalize.identity(entries)
    assert identity.owners[0].name == "DANA W" and identity.owners[0].address is not None
    assert identity.owners[0].address.region == "MN" and identity.account_ids == ["acc_1", "acc_2"]
