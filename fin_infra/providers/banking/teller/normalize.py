"""Teller's JSON -> fin-infra's models.

Sign convention (decided here, once): our amounts are negative for money out of the account, for
every account type. Teller's depository amounts already read that way (money out negative; the
notes mark this UNCONFIRMED, backed by integrators, and it is the natural reading of a "signed
amount"), so they are kept. Teller's credit-card amounts are positive when they add to what is owed
(purchases, fees) and negative for payments and refunds (recorded sandbox data), so they are negated.
Balances are not negated: for a credit account ``current`` is the amount owed, as our models say.

    >>> t = transaction({"id": "txn_1", "account_id": "acc_1", "amount": "96.95", "date": "2025-01-02",
    ...                  "description": "AMAZON", "status": "posted", "details": {"category": "shopping"}},
    ...                 account_type="credit")
    >>> (t.amount, t.category)
    (Decimal('-96.95'), 'shopping')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fin_infra.banking.exceptions import BankingProviderError, invalid_response
from fin_infra.models import Address, Balance, BankAccount, Identity, Owner, Transaction
from fin_infra.models._money import to_decimal

# account types whose Teller amounts count up what is owed (positive = a charge)
OWED_TYPES = frozenset({"credit"})


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one (Teller omits or nulls optional objects)."""
    return value if isinstance(value, Mapping) else {}


def _bad(what: str) -> BankingProviderError:
    return invalid_response("teller", f"Teller sent {what}")


def amount(value: Any, field: str) -> Decimal | None:
    """A Teller decimal string as `Decimal` (never through float); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad(f"a boolean as {field}")
    parsed = to_decimal(value)
    if not isinstance(parsed, Decimal) or not parsed.is_finite():
        raise _bad(f"a {field} that isn't a decimal number")
    return parsed


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _bad("a transaction date that isn't YYYY-MM-DD") from None


def _institution(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(raw.get("institution"))


def account(raw: Mapping[str, Any], balances: Mapping[str, Any] | None = None) -> BankAccount:
    """A Teller account (and, when fetched, its balances) as a `BankAccount`."""
    inst = _institution(raw)
    return BankAccount(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        type=str(raw.get("type") or "other") if raw.get("type") in ("depository", "credit") else "other",
        subtype=raw.get("subtype"),
        mask=raw.get("last_four"),
        balance=amount(balances.get("ledger"), "ledger balance") if balances else None,
        available_balance=amount(balances.get("available"), "available balance") if balances else None,
        currency=str(raw.get("currency") or "USD"),
        institution_id=inst.get("id"),
        institution_name=inst.get("name"),
        raw=dict(raw) if balances is None else {**raw, "balances": dict(balances)},
    )


def balance(raw: Mapping[str, Any], account_raw: Mapping[str, Any] | None = None) -> Balance:
    """A Teller balances object as a `Balance` (credit: ``current`` owed, ``available`` credit left)."""
    return Balance(
        account_id=str(raw.get("account_id") or (account_raw or {}).get("id")),
        current=amount(raw.get("ledger"), "ledger balance"),
        available=amount(raw.get("available"), "available balance"),
        currency=str((account_raw or {}).get("currency") or "USD"),
    )


def transaction(raw: Mapping[str, Any], *, account_type: str, currency: str = "USD") -> Transaction:
    """A Teller transaction in our sign convention (see the module docstring)."""
    value = amount(raw.get("amount"), "transaction amount")
    if value is None:
        raise _bad("a transaction without an amount")
    if account_type in OWED_TYPES:
        value = Decimal(0) - value  # 0 - x, not -x: no "-0.00"
    if not isinstance(raw.get("id"), str) or not isinstance(raw.get("account_id"), str):
        raise _bad("a transaction without its id or account_id")
    details = mapping(raw.get("details"))
    counterparty = mapping(details.get("counterparty"))
    category = details.get("category") if isinstance(details.get("category"), str) else None
    return Transaction(
        id=str(raw["id"]),
        account_id=str(raw["account_id"]),
        amount=value,
        date=_date(raw.get("date")),
        description=str(raw.get("description") or ""),
        merchant_name=counterparty.get("name") if isinstance(counterparty.get("name"), str) else None,
        category=category,
        category_path=[category] if category else [],
        pending=raw.get("status") == "pending",
        currency=currency,
        raw=dict(raw),
    )


def _datas(items: Any, *, kind: str | None = None) -> list[str]:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("data"), str):
            continue
        if kind is None or item.get("type") == kind:
            out.append(item["data"])
    return out


def _owner(raw: Mapping[str, Any]) -> Owner:
    names = _datas(raw.get("names"), kind="name") + _datas(raw.get("names"), kind="alias")
    emails = _datas(raw.get("emails"))
    phones = _datas(raw.get("phone_numbers"))
    entries = [a for a in raw.get("addresses") or [] if isinstance(a, Mapping) and isinstance(a.get("data"), Mapping)]
    entries.sort(key=lambda a: not a.get("primary"))  # the primary address first
    addresses = [
        Address(**{k: entry["data"].get(k) for k in ("street", "city", "region", "postal_code", "country")})
        for entry in entries
    ]
    return Owner(
        name=names[0] if names else None,
        email=emails[0] if emails else None,
        phone=phones[0] if phones else None,
        address=addresses[0] if addresses else None,
        names=names,
        emails=emails,
        phones=phones,
        addresses=addresses,
    )


def identity(raw: Any) -> Identity:
    """``GET /identity`` (one entry per account) as one `Identity`, each owner once."""
    if not isinstance(raw, list) or not all(isinstance(e, Mapping) and isinstance(e.get("owners"), list) for e in raw):
        raise _bad("an identity answer of the wrong shape")
    owners: list[Owner] = []
    account_ids: list[str] = []
    for entry in raw:
        acc = entry.get("account")
        if isinstance(acc, Mapping) and acc.get("id"):
            account_ids.append(str(acc["id"]))
        for owner_raw in entry.get("owners") or []:
            if isinstance(owner_raw, Mapping):
                owner = _owner(owner_raw)
                if owner not in owners:
                    owners.append(owner)
    return Identity(owners=owners, account_ids=account_ids)


class TellerAccountDetails(BaseModel):
    """Account and routing numbers of one account (``GET /accounts/{id}/details``). Sensitive: never log."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    account_number: str = Field(repr=False)
    routing_numbers: dict[str, str | None] = Field(default_factory=dict, repr=False)
    raw: dict[str, Any] | None = Field(default=None, exclude=True, repr=False)


def details(raw: Mapping[str, Any]) -> TellerAccountDetails:
    """A Teller details object."""
    if not isinstance(raw, Mapping):
        raise _bad("account details of the wrong shape")
    routing = mapping(raw.get("routing_numbers"))
    return TellerAccountDetails(
        account_id=str(raw.get("account_id")),
        account_number=str(raw.get("account_number") or ""),
        routing_numbers={str(k): (str(v) if v is not None else None) for k, v in routing.items()},
        raw=dict(raw),
    )


__all__ = [
    "OWED_TYPES", "TellerAccountDetails", "account", "amount", "balance", "details", "identity", "mapping",
    "transaction",
]
