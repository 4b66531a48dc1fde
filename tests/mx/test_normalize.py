"""MX JSON -> our models: Decimal money, our sign per account type, categories, pending, the raw payload."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from fin_infra.banking.exceptions import BankingProviderError
from fin_infra.providers.banking.mx import MXClient, normalize
from fin_infra.testing.mx import MXEmulator
from tests.mx.conftest import TODAY


def txn(**fields: Any) -> dict[str, Any]:
    base = {"guid": "TRN-1", "account_guid": "ACT-1", "amount": Decimal("42.17"), "type": "DEBIT", "status": "POSTED",
            "date": "2026-02-14", "description": "Riverside Coffee", "currency_code": "USD"}
    return {**base, **fields}


@pytest.mark.parametrize(
    ("account_type", "kind", "ours"),
    [("CHECKING", "DEBIT", "-42.17"), ("CHECKING", "CREDIT", "42.17"), ("SAVINGS", "CREDIT", "42.17"),
     ("CREDIT_CARD", "DEBIT", "-42.17"), ("CREDIT_CARD", "CREDIT", "42.17"), ("LOAN", "CREDIT", "42.17"),
     ("INVESTMENT", "DEBIT", "-42.17"), ("LINE_OF_CREDIT", "DEBIT", "-42.17")],
)  # fmt: skip
def test_sign_per_account_type(account_type: str, kind: str, ours: str) -> None:
    # DEBIT is money out of the account whatever its type: a card purchase reads -42.17 like a checking one.
    t = normalize.transaction(txn(type=kind))
    assert t.amount == Decimal(ours) and isinstance(t.amount, Decimal)
    assert normalize.account({"guid": "ACT-1", "type": account_type})


def test_a_negative_mx_amount_keeps_the_direction_type_states() -> None:
    assert normalize.transaction(txn(amount=Decimal("-5.00"), type="DEBIT")).amount == Decimal("-5.00")
    assert str(normalize.transaction(txn(amount=Decimal("0.00"), type="DEBIT")).amount) == "0.00", "no -0.00"


@pytest.mark.parametrize("bad", [{"type": None}, {"type": "TRANSFER"}, {"amount": None}, {"amount": True},
                                 {"amount": "abc"}, {"guid": None}, {"date": "14/02/2026"}])  # fmt: skip
def test_unreadable_transactions_are_typed_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(BankingProviderError) as info:
        normalize.transaction(txn(**bad))
    assert info.value.code == "invalid_response"


def test_categories_pending_merchant_and_raw() -> None:
    t = normalize.transaction(txn(category="Coffee Shops", top_level_category="Food & Dining", status="PENDING",
                                  merchant_guid="MCH-1"))  # fmt: skip
    assert (t.category, t.category_path, t.pending, t.merchant_name) == (
        "Food & Dining", ["Food & Dining", "Coffee Shops"], True, "Riverside Coffee")
    assert t.raw is not None and t.raw["guid"] == "TRN-1"
    plain = normalize.transaction(txn(category="Transfer", top_level_category="Transfer"))
    assert plain.category_path == ["Transfer"] and plain.merchant_name is None


@pytest.mark.parametrize(
    ("mx_type", "subtype", "ours"),
    [("CHECKING", "NONE", ("depository", "checking")), ("SAVINGS", None, ("depository", "savings")),
     ("CREDIT_CARD", "NONE", ("credit", "credit_card")), ("LINE_OF_CREDIT", None, ("credit", "line_of_credit")),
     ("LOAN", "AUTO", ("loan", "auto")), ("MORTGAGE", None, ("loan", "mortgage")),
     ("INVESTMENT", "ROTH_IRA", ("investment", "roth_ira")), ("PROPERTY", None, ("other", "property")),
     ("SOMETHING_NEW", None, ("other", None))],
)  # fmt: skip
def test_account_types(mx_type: str, subtype: str | None, ours: tuple[str, str | None]) -> None:
    account = normalize.account({"guid": "ACT-1", "type": mx_type, "subtype": subtype, "balance": Decimal("10.5")})
    assert (account.type, account.subtype) == ours
    assert account.balance == Decimal("10.5")


def test_credit_balances_use_available_credit() -> None:
    raw = {"guid": "ACT-1", "type": "CREDIT_CARD", "balance": Decimal("1545.28"),
           "available_credit": Decimal("3275.08"), "available_balance": None, "credit_limit": Decimal("5000.00")}
    b = normalize.balance(raw)
    assert (b.current, b.available, b.limit) == (Decimal("1545.28"), Decimal("3275.08"), Decimal("5000.00"))


async def test_exact_money_end_to_end(client: MXClient, mx: MXEmulator, token: str) -> None:
    # The JSON numbers MX writes reach our models digit for digit (parsed as Decimal, never float).
    user = mx.backend.members[mx.member_of(token)].user_guid
    txns = await client.get_transactions(token, TODAY - dt.timedelta(days=40), TODAY)
    by_id = {t.id: t for t in txns}
    for account, row in mx.backend.transactions(user, from_date=TODAY - dt.timedelta(days=40), to_date=TODAY):
        ours = by_id[row.guid]
        assert abs(ours.amount) == row.amount and (ours.amount < 0) == (row.type == "DEBIT")
        assert ours.account_id == account.guid
    kinds = {(t.amount < 0, next(a for a in await client.get_accounts(token) if a.id == t.account_id).type)
             for t in txns}  # fmt: skip
    assert {(True, "depository"), (False, "depository"), (True, "credit"), (False, "credit")} <= kinds
    assert json.loads('{"a": 0.1}', parse_float=Decimal)["a"] == Decimal("0.1")
