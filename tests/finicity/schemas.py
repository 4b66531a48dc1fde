"""Compact JSON schemas of Finicity's bodies, written from the wire notes (shared/providers/finicity.md).

Finicity's own OpenAPI document is the reference; these keep the fields and types we rely on and the
pitfalls the notes list (ids as strings in accounts but integers in transactions, ``moreAvailable`` a
string, date echoes as strings, epoch-second integers).
"""

from __future__ import annotations

from typing import Any

EPOCH = {"type": "integer", "minimum": 0}
NUMERIC_STRING = {"type": "string", "pattern": "^[0-9]+$"}
NUMBER = {"type": "number"}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


ACCESS_TOKEN = obj({"token": {"type": "string", "minLength": 1}})
CREATED_CUSTOMER = obj({"id": NUMERIC_STRING, "username": {"type": "string", "minLength": 6}, "createdDate": EPOCH})
CONNECT_URL = obj({"link": {"type": "string", "pattern": "^https?://"}})
ERROR = obj({"code": {"type": ["string", "integer"]}}, {"message": {"type": "string"}, "status": {"type": "string"}})

ACCOUNT = obj(
    {
        "id": NUMERIC_STRING, "number": {"type": "string"}, "accountNumberDisplay": {"type": "string"},
        "name": {"type": "string"}, "accountNickname": {"type": "string"},
        "type": {"enum": ["checking", "savings", "cd", "moneyMarket", "creditCard", "lineOfCredit", "investment",
                          "mortgage", "loan", "studentLoan"]},
        "status": {"enum": ["pending", "active"]}, "customerId": NUMERIC_STRING, "institutionId": NUMERIC_STRING,
        "createdDate": EPOCH, "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "institutionLoginId": EPOCH,
    },
    {
        "balance": NUMBER, "aggregationStatusCode": {"type": "integer"}, "balanceDate": EPOCH,
        "aggregationSuccessDate": EPOCH, "aggregationAttemptDate": EPOCH, "lastUpdatedDate": EPOCH,
        "realAccountNumberLast4": {"type": "string", "pattern": "^[0-9]{4}$"}, "displayPosition": {"type": "integer"},
        "detail": obj({}, {"availableBalanceAmount": NUMBER, "creditAvailableAmount": NUMBER,
                           "creditMaxAmount": NUMBER, "currentBalance": NUMBER, "dateAsOf": EPOCH}),
    },
)  # fmt: skip
ACCOUNTS = obj({"accounts": {"type": "array", "items": ACCOUNT}})

TRANSACTION = obj(
    {
        "id": {"type": "integer"}, "amount": NUMBER, "accountId": {"type": "integer"},
        "customerId": {"type": "integer"}, "status": {"enum": ["active", "pending", "shadow"]},
        "description": {"type": "string"}, "createdDate": EPOCH,
    },
    {
        "transactionDate": EPOCH, "postedDate": EPOCH, "memo": {"type": "string"}, "type": {"type": "string"},
        "uniqueTransactionId": {"type": "string"},
        "categorization": obj({"normalizedPayeeName": {"type": "string"}, "category": {"type": "string"},
                               "country": {"type": "string"}}),
    },
)  # fmt: skip
TRANSACTIONS = obj({
    "found": {"type": "integer"}, "displaying": {"type": "integer"}, "moreAvailable": {"enum": ["true", "false"]},
    "fromDate": NUMERIC_STRING, "toDate": NUMERIC_STRING, "sort": {"enum": ["asc", "desc"]},
    "transactions": {"type": "array", "items": TRANSACTION},
})  # fmt: skip

AVAILABLE_BALANCE = obj({
    "id": {"type": "integer"}, "realAccountNumberLast4": {"type": "string"}, "availableBalance": NUMBER,
    "availableBalanceDate": EPOCH, "clearedBalance": NUMBER, "clearedBalanceDate": EPOCH,
    "aggregationStatusCode": {"type": "integer"}, "currency": {"type": "string"},
})  # fmt: skip

HOLDER = obj(
    {"ownerName": {"type": "string"}, "nameClassification": {"enum": ["person", "business", "other"]}},
    {
        "nameClassificationconfidencescore": {"type": "number", "minimum": 0, "maximum": 1},
        "relationship": {"type": "string"}, "firstName": {"type": "string"}, "lastName": {"type": "string"},
        "addresses": {"type": "array", "items": obj({}, {"type": {"enum": ["Business", "Home", "Mailing"]},
                                                         "line1": {"type": "string"}, "state": {"type": "string"}})},
        "emails": {"type": "array", "items": obj({"email": {"type": "string"}}, {"isPrimary": {"type": "boolean"}})},
        "phones": {"type": "array", "items": obj({"phone": {"type": "string"}},
                                                  {"type": {"enum": ["HOME", "BUSINESS", "CELL", "FAX"]}})},
    },
)  # fmt: skip
OWNERS = obj({"holders": {"type": "array", "minItems": 1, "items": HOLDER}})

CONNECT_EVENT = obj(
    {"customerId": NUMERIC_STRING, "eventType": {"type": "string"}, "eventId": {"type": "string"},
     "payload": {"type": "object"}},
    {"webhookData": {"type": "object"}},
)  # fmt: skip
