"""JSON schemas of Teller's shapes, written for our conformance test.

Teller publishes no OpenAPI document: these come from ``/work/shared/providers/teller.md`` (Teller's
API reference pages and the sandbox responses recorded in Teller's own client library), in our own
words. Objects are closed: a key Teller doesn't send fails, as does a missing or retyped one.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.schema import BOOL, DATE, DATETIME, STR, arr, enum, null, obj, pattern

MONEY = pattern(r"^-?\d+\.\d{2}$")  # Teller writes amounts as decimal strings with two places
ACCOUNT_ID = pattern(r"^acc_[a-z0-9]+$")
ENROLLMENT_ID = pattern(r"^enr_[a-z0-9]+$")
TXN_ID = pattern(r"^txn_[a-z0-9]+$")
URL = pattern(r"^https?://")

ACCOUNT = obj(
    {
        "id": ACCOUNT_ID,
        "enrollment_id": ENROLLMENT_ID,
        "name": STR,
        "type": enum("depository", "credit"),
        "subtype": enum(
            "checking", "savings", "money_market", "certificate_of_deposit", "treasury", "sweep", "credit_card"
        ),
        "status": enum("open", "closed"),
        "currency": pattern(r"^[A-Z]{3}$"),
        "last_four": pattern(r"^\d{4}$"),
        "institution": obj({"id": STR, "name": STR}),
        # only the capabilities the account has; "self" always
        "links": obj({"self": URL}, {"details": URL, "balances": URL, "transactions": URL, "payments": URL}),
    }
)
_SUB_LINKS = obj({"self": URL, "account": URL})
BALANCES = obj(
    {"account_id": ACCOUNT_ID, "ledger": null(MONEY), "available": null(MONEY), "links": _SUB_LINKS}
)
DETAILS = obj(
    {
        "account_id": ACCOUNT_ID,
        "account_number": pattern(r"^\d+$"),
        "routing_numbers": obj({"ach": null(STR)}, {"wire": null(STR), "bacs": null(STR)}),
        "links": _SUB_LINKS,
    }
)
CATEGORIES = (
    "accommodation", "advertising", "bar", "charity", "clothing", "dining", "education", "electronics",
    "entertainment", "fuel", "general", "groceries", "health", "home", "income", "insurance", "investment", "loan",
    "office", "phone", "service", "shopping", "software", "sport", "tax", "transport", "transportation", "utilities",
)  # fmt: skip
TRANSACTION = obj(
    {
        "id": TXN_ID,
        "account_id": ACCOUNT_ID,
        "amount": MONEY,
        "date": DATE,
        "description": STR,
        "status": enum("posted", "pending"),
        "type": STR,
        "running_balance": null(MONEY),
        "details": obj(
            {
                "processing_status": enum("pending", "complete"),
                "category": null(enum(*CATEGORIES)),
                "counterparty": obj({"name": null(STR), "type": null(enum("organization", "person"))}),
            }
        ),
        "links": _SUB_LINKS,
    }
)
OWNER = obj(
    {
        "type": enum("person", "organization", "unknown"),
        "names": arr(obj({"type": enum("name", "alias"), "data": STR})),
        "addresses": arr(
            obj(
                {
                    "primary": BOOL,
                    "data": obj(
                        {"street": STR, "city": STR, "region": STR, "postal_code": STR, "country": STR}
                    ),
                }
            )
        ),
        "phone_numbers": arr(obj({"type": enum("mobile", "home", "work", "unknown"), "data": STR})),
        "emails": arr(obj({"data": STR})),
    }
)
INSTITUTION = obj(
    {
        "id": STR,
        "name": STR,
        "products": arr(enum("verify", "verify.instant", "verify.microdeposit", "balance", "transactions", "identity")),
    }
)
ERROR = obj({"error": obj({"code": STR, "message": STR})})

# Success body per route (``DELETE`` routes answer 204 with no body).
RESPONSES: dict[str, dict[str, Any]] = {
    "/": obj({"links": obj({"accounts": URL})}),
    "/institutions": arr(INSTITUTION),
    "/accounts": arr(ACCOUNT),
    "/accounts/{account_id}": ACCOUNT,
    "/accounts/{account_id}/balances": BALANCES,
    "/accounts/{account_id}/details": DETAILS,
    "/accounts/{account_id}/transactions": arr(TRANSACTION),
    "/accounts/{account_id}/transactions/{txn_id}": TRANSACTION,
    "/identity": arr(obj({"account": ACCOUNT, "owners": arr(OWNER)})),
}

DISCONNECT_REASONS = (
    "disconnected", "disconnected.account_locked", "disconnected.credentials_invalid",
    "disconnected.enrollment_inactive", "disconnected.user_action.captcha_required",
    "disconnected.user_action.contact_information_required", "disconnected.user_action.insufficient_permissions",
    "disconnected.user_action.mfa_required", "disconnected.user_action.web_login_required",
)  # fmt: skip


def _event(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    return obj({"id": pattern(r"^wh_[a-z0-9]+$"), "type": enum(event_type), "timestamp": DATETIME, "payload": payload})


# Webhook body per event type.
WEBHOOKS: dict[str, dict[str, Any]] = {
    "enrollment.disconnected": _event(
        "enrollment.disconnected", obj({"enrollment_id": ENROLLMENT_ID, "reason": enum(*DISCONNECT_REASONS)})
    ),
    "transactions.processed": _event(
        "transactions.processed", obj({"transactions": arr(TRANSACTION)}, {"enrollment_id": ENROLLMENT_ID})
    ),
    "account.number_verification.processed": _event(
        "account.number_verification.processed",
        obj({"account_id": ACCOUNT_ID, "status": enum("completed", "expired")}, {"enrollment_id": ENROLLMENT_ID}),
    ),
    "webhook.test": _event("webhook.test", obj({})),
}
