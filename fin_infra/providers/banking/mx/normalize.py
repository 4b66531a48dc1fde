"""MX's JSON -> fin-infra's models.

Sign convention: MX reports every transaction ``amount`` positive and its direction in ``type``: DEBIT is
money out of the account (a purchase, a withdrawal, a card charge), CREDIT money in (a deposit, a card
payment, a refund). Ours is negative for money out, for every account type, so a DEBIT becomes
``-amount`` and a CREDIT ``+amount`` (the absolute value is taken first: a negative MX amount, which MX
says never happens, can't flip the direction ``type`` states). A transaction without a readable
``type`` or ``amount`` is an `invalid_response` error, never guessed. Balances are kept as MX reports
them (a card's or loan's ``balance`` is the amount owed). Amounts arrive as `Decimal` (the JSON is
parsed with ``parse_float=Decimal``).

    >>> t = transaction({"guid": "TRN-1", "account_guid": "ACT-1", "amount": Decimal("42.17"), "type": "DEBIT",
    ...                  "status": "POSTED", "date": "2026-02-14", "description": "Riverside Coffee",
    ...                  "category": "Coffee Shops", "top_level_category": "Food & Dining"})
    >>> (t.amount, t.category, t.category_path)
    (Decimal('-42.17'), 'Food & Dining', ['Food & Dining', 'Coffee Shops'])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from fin_infra.models import Address, Balance, BankAccount, Identity, Owner, Transaction
from fin_infra.models._money import to_decimal
from fin_infra.providers.banking.mx.errors import invalid_response

# MX account type -> (our type, default subtype)
ACCOUNT_TYPES: dict[str, tuple[str, str | None]] = {
    "CHECKING": ("depository", "checking"),
    "SAVINGS": ("depository", "savings"),
    "CASH": ("depository", "cash"),
    "PREPAID": ("depository", "prepaid"),
    "CREDIT_CARD": ("credit", "credit_card"),
    "LINE_OF_CREDIT": ("credit", "line_of_credit"),
    "CHECKING_LINE_OF_CREDIT": ("credit", "line_of_credit"),
    "LOAN": ("loan", None),
    "MORTGAGE": ("loan", "mortgage"),
    "INVESTMENT": ("investment", None),
    "PROPERTY": ("other", "property"),
    "INSURANCE": ("other", "insurance"),
    "ANY": ("other", None),
}
CREDIT_TYPES = frozenset(k for k, (ours, _) in ACCOUNT_TYPES.items() if ours == "credit")


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def amount(value: Any, field: str) -> Decimal | None:
    """An MX number as `Decimal`; None stays None; anything else is an `invalid_response` error."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid_response(f"a boolean as {field}")
    parsed = to_decimal(value)
    if not isinstance(parsed, Decimal) or not parsed.is_finite():
        raise invalid_response(f"a {field} that isn't a number")
    return parsed


def account_type(raw: Mapping[str, Any]) -> tuple[str, str | None]:
    """(our type, subtype) of an MX account; MX's own subtype wins when it names one."""
    kind = str(raw.get("type") or "").upper()
    ours, subtype = ACCOUNT_TYPES.get(kind, ("other", None))
    mx_subtype = text(raw.get("subtype"))
    if mx_subtype and mx_subtype.upper() != "NONE":
        subtype = mx_subtype.lower()
    return ours, subtype


def _available(raw: Mapping[str, Any]) -> Decimal | None:
    # A card's spendable amount is MX's available_credit; an account's, available_balance.
    if str(raw.get("type") or "").upper() in CREDIT_TYPES:
        return amount(raw.get("available_credit"), "available credit")
    return amount(raw.get("available_balance"), "available balance")


def account(raw: Mapping[str, Any], institution_name: str | None = None) -> BankAccount:
    """An MX account as a `BankAccount` (its cached balances included)."""
    if not text(raw.get("guid")):
        raise invalid_response("an account without a guid")
    kind, subtype = account_type(raw)
    number = text(raw.get("account_number"))
    return BankAccount(
        id=str(raw["guid"]),
        name=text(raw.get("nickname")) or text(raw.get("name")) or "",
        official_name=text(raw.get("name")),
        type=kind,
        subtype=subtype,
        mask=number[-4:] if number else None,
        balance=amount(raw.get("balance"), "balance"),
        available_balance=_available(raw),
        currency=text(raw.get("currency_code")) or "USD",
        institution_id=text(raw.get("institution_code")),
        institution_name=institution_name,
        raw=dict(raw),
    )


def balance(raw: Mapping[str, Any]) -> Balance:
    """An MX account's balances (credit: ``current`` owed, ``available`` credit left, ``limit``)."""
    return Balance(
        account_id=str(raw.get("guid")),
        current=amount(raw.get("balance"), "balance"),
        available=_available(raw),
        limit=amount(raw.get("credit_limit"), "credit limit"),
        currency=text(raw.get("currency_code")) or "USD",
    )


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise invalid_response("a transaction date that isn't YYYY-MM-DD") from None


def transaction(raw: Mapping[str, Any]) -> Transaction:
    """An MX transaction in our sign convention (see the module docstring)."""
    if not text(raw.get("guid")) or not text(raw.get("account_guid")):
        raise invalid_response("a transaction without a guid or account_guid")
    value = amount(raw.get("amount"), "transaction amount")
    direction = str(raw.get("type") or "").upper()
    if value is None or direction not in ("DEBIT", "CREDIT"):
        raise invalid_response("a transaction without an amount or a DEBIT/CREDIT type")
    value = abs(value)
    if direction == "DEBIT":
        value = Decimal(0) - value  # 0 - x, not -x: no "-0.00"
    top, sub = text(raw.get("top_level_category")), text(raw.get("category"))
    path = [c for c in (top, sub) if c]
    if len(path) == 2 and path[0] == path[1]:
        path = path[:1]
    description = text(raw.get("description")) or text(raw.get("original_description")) or ""
    return Transaction(
        id=str(raw["guid"]),
        account_id=str(raw["account_guid"]),
        amount=value,
        date=_date(raw.get("date") or raw.get("transacted_at") or raw.get("posted_at")),
        description=description,
        merchant_name=description if text(raw.get("merchant_guid")) else None,
        category=path[0] if path else None,
        category_path=path,
        pending=str(raw.get("status") or "").upper() == "PENDING",
        currency=text(raw.get("currency_code")) or "USD",
        raw=dict(raw),
    )


def _owner(raw: Mapping[str, Any]) -> Owner:
    name = text(raw.get("owner_name")) or " ".join(
        p for p in (text(raw.get("first_name")), text(raw.get("last_name"))) if p
    ) or None
    address = Address(street=text(raw.get("address")), city=text(raw.get("city")), region=text(raw.get("state")),
                      postal_code=text(raw.get("postal_code")), country=text(raw.get("country")))  # fmt: skip
    has_address = any(address.model_dump().values())
    email, phone = text(raw.get("email")), text(raw.get("phone"))
    return Owner(
        name=name, email=email, phone=phone, address=address if has_address else None,
        names=[name] if name else [], emails=[email] if email else [], phones=[phone] if phone else [],
        addresses=[address] if has_address else [],
    )  # fmt: skip


def identity(owners: Sequence[Mapping[str, Any]]) -> Identity:
    """MX account owners (one entry per account and owner) as one `Identity`, each owner once."""
    people: list[Owner] = []
    account_ids: list[str] = []
    for raw in owners:
        guid = text(raw.get("account_guid"))
        if guid and guid not in account_ids:
            account_ids.append(guid)
        person = _owner(raw)
        if person not in people:
            people.append(person)
    return Identity(owners=people, account_ids=account_ids)


__all__ = ["ACCOUNT_TYPES", "account", "account_type", "amount", "balance", "identity", "transaction"]
