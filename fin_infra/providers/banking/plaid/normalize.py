"""Plaid JSON (parsed with ``Decimal`` numbers) -> fin-infra models.

Plaid's transaction amounts are positive for money out of the account; ours are negative for money
out, so every amount is negated. Nullable balances stay ``None``. Subtypes use underscores
(``"credit card"`` -> ``"credit_card"``) like the other providers. The raw payload is kept on
``raw``, so both the personal finance category and the legacy category list stay available.

    >>> from decimal import Decimal
    >>> t = transaction({"transaction_id": "t1", "account_id": "a1", "amount": Decimal("4.33"),
    ...                  "date": "2026-01-02", "name": "Coffee", "category": ["Food and Drink", "Coffee Shop"],
    ...                  "iso_currency_code": "USD", "pending": False})
    >>> (t.amount, t.category, t.category_path)
    (Decimal('-4.33'), 'Food and Drink', ['Food and Drink', 'Coffee Shop'])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from fin_infra.models import Address, Balance, BankAccount, Identity, Owner, Transaction
from fin_infra.models._money import to_decimal
from fin_infra.models._trusted import trusted


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    out = to_decimal(value)
    if not isinstance(out, Decimal):
        raise ValueError(f"Plaid sent a non-numeric amount of type {type(value).__name__}")
    return out


def required(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """``data[name]`` when it is a ``kind``; else a `TypeError` (the caller turns it into ``invalid_response``)."""
    value = data.get(name) if isinstance(data, Mapping) else None
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise TypeError(f"Plaid's answer has no {name} of the expected type")
    return value


def _currency(raw: Mapping[str, Any]) -> str:
    return str(raw.get("iso_currency_code") or raw.get("unofficial_currency_code") or "USD")


def account(raw: Mapping[str, Any], item: Mapping[str, Any] | None = None) -> BankAccount:
    """One ``AccountBase`` (with the Item it belongs to, for the institution)."""
    balances = raw.get("balances") or {}
    subtype = raw.get("subtype")
    return BankAccount(
        id=raw["account_id"],
        name=raw.get("name") or raw.get("official_name") or "Account",
        official_name=raw.get("official_name"),
        type=raw.get("type") if raw.get("type") in {"depository", "credit", "loan", "investment"} else "other",
        subtype=subtype.replace(" ", "_") if isinstance(subtype, str) else None,
        mask=raw.get("mask"),
        balance=_money(balances.get("current")),
        available_balance=_money(balances.get("available")),
        currency=_currency(balances),
        institution_id=(item or {}).get("institution_id"),
        institution_name=(item or {}).get("institution_name"),
        raw=raw,  # pydantic keeps its own copy of the dict
    )


def balance(raw: Mapping[str, Any]) -> Balance:
    """The balances of one ``AccountBase``."""
    balances = raw.get("balances") or {}
    return Balance(
        account_id=raw["account_id"],
        current=_money(balances.get("current")),
        available=_money(balances.get("available")),
        limit=_money(balances.get("limit")),
        currency=_currency(balances),
    )


def _text(value: Any, name: str) -> str:
    if type(value) is not str:
        raise TypeError(f"Plaid sent a transaction whose {name} is not a string")
    return value


def _optional_text(value: Any, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _date(value: Any) -> dt.date:
    if type(value) is str and len(value) == 10:
        return dt.date.fromisoformat(value)  # a ValueError when it is no date
    raise ValueError("Plaid sent a transaction whose date is not YYYY-MM-DD")


def transaction(raw: Mapping[str, Any]) -> Transaction:
    """One Plaid ``Transaction``; the amount changes sign (ours: negative = money out).

    Built straight from the checked fields, without pydantic's validation (a 10,000-transaction sync
    makes 10,000 of them): a field of the wrong type is a `TypeError` or `ValueError`. ``raw`` is the
    dict given (not a copy): the parsed page it came from is not used again.
    """
    amount = _money(raw.get("amount"))
    if amount is None or not amount.is_finite():
        raise ValueError("Plaid sent a transaction without a finite amount")
    legacy = raw.get("category")
    pfc = raw.get("personal_finance_category") or {}
    if isinstance(legacy, list) and legacy:
        path = [str(c) for c in legacy]
    else:
        path = [str(p) for p in (pfc.get("primary"), pfc.get("detailed")) if p]
    description = raw.get("name") or raw.get("merchant_name") or raw.get("original_description") or ""
    return trusted(
        Transaction,
        {
            "id": _text(raw["transaction_id"], "transaction_id"),
            "account_id": _text(raw["account_id"], "account_id"),
            "amount": Decimal(0) - amount,  # 0 - x rather than -x: a zero stays 0, never -0
            "date": _date(raw["date"]),
            "description": _text(description, "name"),
            "merchant_name": _optional_text(raw.get("merchant_name"), "merchant_name"),
            "category": path[0] if path else None,
            "category_path": path,
            "pending": bool(raw.get("pending")),
            "pending_transaction_id": _optional_text(raw.get("pending_transaction_id"), "pending_transaction_id"),
            "currency": _currency(raw),
            "raw": raw if type(raw) is dict else dict(raw),
        },
    )


def personal_finance_category(txn: Transaction) -> tuple[str, str] | None:
    """``(primary, detailed)`` of Plaid's personal finance category of a normalised transaction."""
    pfc = (txn.raw or {}).get("personal_finance_category") or {}
    if pfc.get("primary"):
        return str(pfc["primary"]), str(pfc.get("detailed") or "")
    return None


def _primary(entries: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    entries = list(entries)
    return next((e for e in entries if e.get("primary")), entries[0] if entries else None)


def _address(data: Mapping[str, Any]) -> Address:
    return Address(
        street=data.get("street"),
        city=data.get("city"),
        region=data.get("region"),
        postal_code=data.get("postal_code"),
        country=data.get("country"),
    )


def owner(raw: Mapping[str, Any]) -> Owner:
    """One Plaid ``Owner``; the primary email, phone and address fill the single-value fields."""
    names = [str(n) for n in raw.get("names") or []]
    emails = raw.get("emails") or []
    phones = raw.get("phone_numbers") or []
    addresses = raw.get("addresses") or []
    email, phone, address = _primary(emails), _primary(phones), _primary(addresses)
    return Owner(
        name=names[0] if names else None,
        email=email.get("data") if email else None,
        phone=phone.get("data") if phone else None,
        address=_address(address.get("data") or {}) if address else None,
        names=names,
        emails=[str(e.get("data")) for e in emails if e.get("data")],
        phones=[str(p.get("data")) for p in phones if p.get("data")],
        addresses=[_address(a.get("data") or {}) for a in addresses],
    )


def identity(accounts: Iterable[Mapping[str, Any]]) -> Identity:
    """``/identity/get`` accounts -> the distinct owners across them."""
    owners: dict[tuple[Any, ...], Owner] = {}
    account_ids = []
    for acc in accounts:
        account_ids.append(acc["account_id"])
        for raw in acc.get("owners") or []:
            parsed = owner(raw)
            owners.setdefault((tuple(parsed.names), tuple(parsed.emails), tuple(parsed.phones)), parsed)
    return Identity(owners=list(owners.values()), account_ids=account_ids)
