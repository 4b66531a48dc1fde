"""The Plaid normaliser builds transactions without pydantic's validation: equal to validating the same values.

Compared over the Plaid emulator's generated transactions (its JSON, parsed as the provider parses it)
and over edited copies; bad fields are still refused, as TypeError or ValueError (the provider turns
those into an ``invalid_response`` error).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from fin_infra._json import dumps
from fin_infra.emulators.plaid import PlaidBackend
from fin_infra.emulators.plaid.responses import txn_json
from fin_infra.models import Transaction
from fin_infra.models._trusted import trusted
from fin_infra.providers.banking.plaid import normalize
from fin_infra.providers.banking.plaid.sync import SyncResult


def validated(raw: dict[str, Any]) -> Transaction:
    """The normaliser as it was: the same fields through pydantic's validation."""
    amount = Decimal(0) - raw["amount"]
    legacy = raw.get("category")
    pfc = raw.get("personal_finance_category") or {}
    if isinstance(legacy, list) and legacy:
        path = [str(c) for c in legacy]
    else:
        path = [str(p) for p in (pfc.get("primary"), pfc.get("detailed")) if p]
    return Transaction(
        id=raw["transaction_id"], account_id=raw["account_id"], amount=amount, date=raw["date"],
        description=raw.get("name") or raw.get("merchant_name") or raw.get("original_description") or "",
        merchant_name=raw.get("merchant_name"), category=path[0] if path else None, category_path=path,
        pending=bool(raw.get("pending")), pending_transaction_id=raw.get("pending_transaction_id"),
        currency=str(raw.get("iso_currency_code") or raw.get("unofficial_currency_code") or "USD"), raw=raw,
    )  # fmt: skip


def plaid_transactions(count: int = 400) -> list[dict[str, Any]]:
    backend = PlaidBackend()
    public = backend.create_public_token(
        "ins_109508", ["transactions"], {"transactions": {"days_requested": 730}}, transaction_count=count
    )
    token, _ = backend.exchange_public_token(public)
    txns = backend.item_for(token).ledger.live()
    return [json.loads(json.dumps(txn_json(t)), parse_float=Decimal) for t in txns]


def same(fast: BaseModel, slow: BaseModel) -> None:
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert dumps(fast) == dumps(slow)
    assert fast.model_fields_set == slow.model_fields_set


def test_generated_transactions_equal_validated_ones() -> None:
    raws = plaid_transactions()
    assert len(raws) == 400
    for raw in raws:
        same(normalize.transaction(raw), validated(raw))


@pytest.mark.parametrize(
    "edit",
    [
        {"category": None}, {"category": []}, {"personal_finance_category": None}, {"merchant_name": None},
        {"name": None}, {"name": None, "merchant_name": None, "original_description": "ACH"},
        {"iso_currency_code": None, "unofficial_currency_code": "BTC"}, {"pending": True},
        {"pending_transaction_id": "p1"}, {"amount": Decimal("0")}, {"amount": Decimal("-0.00")},
        {"amount": Decimal("1E+2")}, {"amount": 12}, {"category": ["Travel", "Airlines", "Flights"]},
    ],
)  # fmt: skip
def test_edited_transactions_equal_validated_ones(edit: dict[str, Any]) -> None:
    raw = {**plaid_transactions(1)[0], **edit}
    same(normalize.transaction(raw), validated({**raw, "amount": normalize._money(raw["amount"])}))


@pytest.mark.parametrize(
    "edit",
    [
        {"transaction_id": 7}, {"account_id": None}, {"date": "2025/01/02"}, {"date": 20250102},
        {"date": "2025-13-01"}, {"amount": None}, {"amount": "lots"}, {"amount": Decimal("NaN")},
        {"merchant_name": ["x"]}, {"pending_transaction_id": 1}, {"name": 5},
    ],
)  # fmt: skip
def test_bad_fields_are_refused(edit: dict[str, Any]) -> None:
    raw = {**plaid_transactions(1)[0], **edit}
    with pytest.raises((TypeError, ValueError)):
        normalize.transaction(raw)


def test_the_model_stays_frozen_and_copies_keep_their_own_fields_set() -> None:
    t = normalize.transaction(plaid_transactions(1)[0])
    with pytest.raises(ValueError, match="frozen"):
        t.description = "changed"  # type: ignore[misc]
    copy = t.model_copy(update={"description": "changed"})
    assert copy.description == "changed" and t.description != "changed"
    assert t.model_fields_set == set(Transaction.model_fields)


def test_sync_result_equals_a_validated_one() -> None:
    txns = [normalize.transaction(raw) for raw in plaid_transactions(5)]
    values = {"added": txns[:3], "modified": txns[3:], "removed": ["gone"], "next_cursor": "c"}
    same(trusted(SyncResult, dict(values)), SyncResult(**values))
    with pytest.raises(TypeError, match="not frozen"):
        trusted(type("Open", (BaseModel,), {"__annotations__": {"x": int}}), {"x": 1})
