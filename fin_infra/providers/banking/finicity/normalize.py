"""Finicity's JSON -> fin-infra's models.

Signs (decided here, once): our amounts are negative for money out of the account. Finicity reports
transaction amounts from the account's side for every account type (deposits positive, withdrawals and
debits negative; a card purchase is a debit), so they are kept as they are. Balances of liability
accounts (cards, lines of credit, loans) come negative when money is owed (UNCONFIRMED; what the emulator
does) and are negated, so ``current`` is the amount owed, as our models say; a card's ``available`` is
``detail.creditAvailableAmount``.

Amounts are JSON numbers: the client parses them straight to `Decimal` (never through float).

    >>> t = transaction({"id": 1, "accountId": 5, "customerId": 9, "amount": Decimal("-42.17"), "status": "active",
    ...                  "description": "SQ *COFFEE", "postedDate": 1767225600, "createdDate": 1767226000,
    ...                  "categorization": {"normalizedPayeeName": "Coffee", "category": "Coffee Shops"}})
    >>> (t.amount, t.date.isoformat(), t.category, t.merchant_name, t.pending)
    (Decimal('-42.17'), '2026-01-01', 'Coffee Shops', 'Coffee', False)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fin_infra.models import Address, Balance, BankAccount, Identity, Owner, Transaction
from fin_infra.models._money import to_decimal
from fin_infra.providers.banking.finicity.errors import invalid_response

DEPOSITORY = frozenset({"checking", "savings", "cd", "moneyMarket"})
CREDIT = frozenset({"creditCard", "lineOfCredit"})
LOAN = frozenset({"mortgage", "loan", "studentLoan", "studentLoanGroup", "studentLoanAccount"})
INVESTMENT = frozenset({
    "investment", "investmentTaxDeferred", "employeeStockPurchasePlan", "ira", "401k", "roth", "403b", "529plan",
    "rollover", "ugma", "utma", "keogh", "457plan", "401a", "brokerageAccount", "educationSavings",
    "healthSavingsAccount", "pension", "profitSharingPlan", "roth401k", "sepIRA", "simpleIRA", "thriftSavingsPlan",
    "variableAnnuity", "cryptocurrency",
})  # fmt: skip
OWED = CREDIT | LOAN  # balances reported negative while owed


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def kind(finicity_type: Any) -> tuple[str, str | None]:
    """(our type, subtype) for Finicity's camelCase account type: ``creditCard`` -> ("credit", "credit_card")."""
    name = str(finicity_type or "")
    subtype = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower() or None
    if name in DEPOSITORY:
        return "depository", subtype
    if name in CREDIT:
        return "credit", subtype
    if name in LOAN:
        return "loan", subtype
    if name in INVESTMENT:
        return "investment", subtype
    return "other", subtype


def amount(value: Any, field: str) -> Decimal | None:
    """A Finicity number as `Decimal`; None stays None; anything else is an `invalid_response` error."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid_response(f"a boolean as {field}")
    parsed = to_decimal(value)
    if not isinstance(parsed, Decimal) or not parsed.is_finite():
        raise invalid_response(f"a {field} that isn't a number")
    return parsed


def _owed(value: Decimal | None, finicity_type: Any) -> Decimal | None:
    if value is None or finicity_type not in OWED:
        return value
    return Decimal(0) - value  # 0 - x: no "-0.00"


def epoch_date(value: Any, field: str) -> dt.date:
    """Epoch seconds (int or numeric string) as a UTC date."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise invalid_response(f"a {field} that isn't epoch seconds")
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise invalid_response(f"a {field} that isn't epoch seconds") from None


def account(raw: Mapping[str, Any]) -> BankAccount:
    """A CustomerAccount as a `BankAccount` (cached balance as of ``balanceDate``)."""
    our_type, subtype = kind(raw.get("type"))
    detail = mapping(raw.get("detail"))
    available_key = "creditAvailableAmount" if our_type == "credit" else "availableBalanceAmount"
    available_raw = detail.get(available_key)
    mask = raw.get("realAccountNumberLast4") or raw.get("accountNumberDisplay")
    return BankAccount(
        id=str(raw["id"]),
        name=str(raw.get("name") or raw.get("accountNickname") or ""),
        official_name=raw.get("accountNickname") if isinstance(raw.get("accountNickname"), str) else None,
        type=our_type,
        subtype=subtype,
        mask=str(mask)[-4:] if mask else None,
        balance=_owed(amount(raw.get("balance"), "balance"), raw.get("type")),
        available_balance=amount(available_raw, "available balance"),
        currency=str(raw.get("currency") or "USD"),
        institution_id=str(raw["institutionId"]) if raw.get("institutionId") is not None else None,
        raw=dict(raw),
    )


def balance(raw: Mapping[str, Any]) -> Balance:
    """The balance of a CustomerAccount (as cached by Finicity)."""
    acc = account(raw)
    detail = mapping(raw.get("detail"))
    limit = amount(detail.get("creditMaxAmount"), "credit limit") if acc.type == "credit" else None
    return Balance(
        account_id=acc.id, current=acc.balance, available=acc.available_balance, limit=limit, currency=acc.currency
    )


def live_balance(raw: Mapping[str, Any], account_raw: Mapping[str, Any]) -> Balance:
    """An AvailableBalance (``…/availableBalance/live``) as a `Balance`."""
    finicity_type = account_raw.get("type")
    our_type, _ = kind(finicity_type)
    detail = mapping(account_raw.get("detail"))
    available = amount(raw.get("availableBalance"), "available balance")
    if our_type == "credit":
        available = amount(detail.get("creditAvailableAmount"), "available credit")
    return Balance(
        account_id=str(account_raw["id"]),
        current=_owed(amount(raw.get("clearedBalance"), "cleared balance"), finicity_type),
        available=available,
        limit=amount(detail.get("creditMaxAmount"), "credit limit") if our_type == "credit" else None,
        currency=str(raw.get("currency") or account_raw.get("currency") or "USD"),
    )


def transaction_date(raw: Mapping[str, Any]) -> dt.date:
    """The date a transaction counts on: posted, else (pending) when it happened."""
    value = raw.get("postedDate") or raw.get("transactionDate")
    if value is None:
        raise invalid_response("a transaction with neither postedDate nor transactionDate")
    return epoch_date(value, "transaction date")


def transaction(raw: Mapping[str, Any], *, currency: str = "USD") -> Transaction:
    """A Finicity transaction (signs already ours: see the module docstring)."""
    value = amount(raw.get("amount"), "transaction amount")
    if value is None:
        raise invalid_response("a transaction without an amount")
    cat = mapping(raw.get("categorization"))
    category = cat.get("category") if isinstance(cat.get("category"), str) else None
    payee = cat.get("normalizedPayeeName") if isinstance(cat.get("normalizedPayeeName"), str) else None
    description = raw.get("description") or raw.get("memo") or ""
    return Transaction(
        id=str(raw["id"]),
        account_id=str(raw["accountId"]),
        amount=value,
        date=transaction_date(raw),
        description=str(description),
        merchant_name=payee,
        category=category,
        category_path=[category] if category else [],
        # "shadow" rows are Finicity's provisional copies (UNCONFIRMED): kept, flagged pending like "pending"
        pending=raw.get("status") in ("pending", "shadow"),
        currency=currency,
        raw=dict(raw),
    )


def _strings(items: Any, key: str) -> list[str]:
    return [str(i[key]) for i in items if isinstance(i, Mapping) and isinstance(i.get(key), str)] if isinstance(
        items, list) else []  # fmt: skip


def owner(raw: Mapping[str, Any]) -> Owner:
    """One ``holders`` entry of ``…/owner`` (v3) as an `Owner` (primary email, first address first)."""
    emails_raw = [e for e in raw.get("emails") or [] if isinstance(e, Mapping)]
    emails_raw.sort(key=lambda e: not e.get("isPrimary"))
    emails = _strings(emails_raw, "email")
    phones = _strings(raw.get("phones"), "phone")
    addresses = []
    for a in raw.get("addresses") or []:
        if not isinstance(a, Mapping):
            continue
        street = " ".join(str(a[k]) for k in ("line1", "line2", "line3") if a.get(k)) or a.get("ownerAddress")
        addresses.append(Address(street=street, city=a.get("city"), region=a.get("state"),
                                 postal_code=a.get("postalCode"), country=a.get("country")))  # fmt: skip
    name = raw.get("ownerName") if isinstance(raw.get("ownerName"), str) else None
    if not name:
        name = " ".join(str(raw[k]) for k in ("firstName", "middleName", "lastName") if raw.get(k)) or None
    return Owner(
        name=name, email=emails[0] if emails else None, phone=phones[0] if phones else None,
        address=addresses[0] if addresses else None, names=[name] if name else [], emails=emails, phones=phones,
        addresses=addresses,
    )  # fmt: skip


def identity(per_account: list[tuple[str, Any]]) -> Identity:
    """``(accountId, owner JSON)`` pairs as one `Identity`, each owner once."""
    owners: list[Owner] = []
    account_ids: list[str] = []
    for account_id, body in per_account:
        holders = mapping(body).get("holders")
        if not isinstance(holders, list):
            raise invalid_response("an account owner answer without holders")
        account_ids.append(account_id)
        for holder in holders:
            if isinstance(holder, Mapping):
                found = owner(holder)
                if found not in owners:
                    owners.append(found)
    return Identity(owners=owners, account_ids=account_ids)
