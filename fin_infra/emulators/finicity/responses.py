"""Finicity's JSON for accounts, transactions, balances and owners, shared by the API and webhook payloads.

Optional fields Finicity leaves out are left out (never ``null``: the OpenAPI document types them as
plain strings/numbers). Money is written as JSON numbers with the exact digits.

    >>> number_json(Decimal("-42.10"))
    -42.1
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fin_infra.emulators.finicity.data import CREDIT_LIMIT, Person, Row

if TYPE_CHECKING:
    from fin_infra.emulators.finicity.models import Account


def number_json(value: Decimal) -> float | int:
    """A JSON number with the same digits: Python writes a float with its shortest exact representation."""
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


def epoch(day: dt.date, hour: int = 12) -> int:
    return int(dt.datetime.combine(day, dt.time(hour), dt.UTC).timestamp())


def account_json(account: Account, cleared: Decimal, pending: Decimal, now: int) -> dict[str, Any]:
    """A CustomerAccount (``balance`` = cleared; ``detail`` by type) as of ``now`` (the last aggregation)."""
    kind = account.template.type
    detail: dict[str, Any] = {"dateAsOf": now}
    if kind == "creditCard":
        owed = -(cleared + pending)
        detail.update(creditMaxAmount=number_json(CREDIT_LIMIT), creditAvailableAmount=number_json(CREDIT_LIMIT - owed),
                      currentBalance=number_json(-cleared))  # fmt: skip
    else:
        detail.update(availableBalanceAmount=number_json(cleared + pending))
    body: dict[str, Any] = {
        "id": account.id,
        "number": "xxxx" + account.last_four,
        "accountNumberDisplay": account.last_four,
        "realAccountNumberLast4": account.last_four,
        "name": account.name,
        "accountNickname": account.name,
        "balance": number_json(cleared),
        "type": kind,
        "aggregationStatusCode": account.login.status_code,
        "status": "active",
        "customerId": account.login.customer_id,
        "institutionId": account.login.institution_id,
        "balanceDate": now,
        "aggregationSuccessDate": account.login.success_date,
        "aggregationAttemptDate": now,
        "createdDate": account.created,
        "lastUpdatedDate": now,
        "currency": "USD",
        "institutionLoginId": int(account.login.id),
        "marketSegment": "personal",
        "detail": detail,
        "displayPosition": account.position,
    }
    return body


def transaction_json(account: Account, row: Row) -> dict[str, Any]:
    """A Transaction: ``id``, ``accountId`` and ``customerId`` as integers (as Finicity sends them here)."""
    body: dict[str, Any] = {
        "id": row.id,
        "amount": number_json(row.amount),
        "accountId": int(account.id),
        "customerId": int(account.login.customer_id),
        "status": "pending" if row.pending else "active",
        "description": row.description,
        "type": row.type,
        "transactionDate": epoch(row.date, 9),
        "createdDate": epoch(row.date, 18),
        "uniqueTransactionId": f"{account.login.institution_id}-{row.id}",
        "categorization": {
            "normalizedPayeeName": row.payee,
            "category": row.category,
            "bestRepresentation": row.description,
            "country": "USA",
        },
    }
    if not row.pending:
        body["postedDate"] = epoch(row.date, 12)
    return body


def owner_json(who: Person) -> dict[str, Any]:
    """One ``holders`` entry of ``GET …/owner`` (v3)."""
    return {
        "ownerName": who.name,
        "firstName": who.first,
        "lastName": who.last,
        "nameClassification": "person",
        # The document's property is spelt "nameClassificationconfidencescore" but its required list says
        # "nameClassificationConfidenceScore": both are sent (see the README).
        "nameClassificationconfidencescore": 0.93,
        "nameClassificationConfidenceScore": 0.93,
        "relationship": "PRIMARY",
        "addresses": [{
            "ownerAddress": f"{who.line1} {who.city} {who.state} {who.postal_code}", "type": "Home",
            "line1": who.line1, "city": who.city, "state": who.state, "postalCode": who.postal_code, "country": "US",
        }],
        "emails": [{"email": who.email, "isPrimary": True, "emailType": "Personal"}],
        "phones": [{"phone": who.phone, "type": "CELL", "country": "1"}],
    }  # fmt: skip


def live_balance_json(account: Account, cleared: Decimal, pending: Decimal, now: int) -> dict[str, Any]:
    """An AvailableBalance (``…/availableBalance/live``)."""
    return {
        "id": int(account.id),
        "realAccountNumberLast4": account.last_four,
        "availableBalance": number_json(cleared + pending),
        "availableBalanceDate": now,
        "clearedBalance": number_json(cleared),
        "clearedBalanceDate": now,
        "aggregationStatusCode": account.login.status_code,
        "currency": "USD",
    }
