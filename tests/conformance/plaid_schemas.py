"""JSON schemas of Plaid's shapes (API version 2020-09-14), written for our conformance test.

Written from ``/work/shared/providers/plaid.md`` and Plaid's API reference, in our own words and as
compact Python: `obj` takes the required keys and the optional ones, and closes the object (a key
Plaid doesn't define fails), so an emulator change that invents, drops or retypes a field fails.
Only the shapes the emulator serves are here.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.schema import (
    BOOL,
    DATE,
    DATETIME,
    INT,
    NUM,
    STR,
    arr,
    enum,
    null,
    obj,
)

REQUEST_ID = STR
ERROR_TYPES = (
    "INVALID_REQUEST", "INVALID_RESULT", "INVALID_INPUT", "INSTITUTION_ERROR", "RATE_LIMIT_EXCEEDED", "API_ERROR",
    "ITEM_ERROR", "ASSET_REPORT_ERROR", "BASE_REPORT_ERROR", "RECAPTCHA_ERROR", "OAUTH_ERROR", "PAYMENT_ERROR",
    "BANK_TRANSFER_ERROR", "INCOME_VERIFICATION_ERROR", "MICRODEPOSITS_ERROR", "SANDBOX_ERROR", "PARTNER_ERROR",
    "SIGNAL_ERROR", "TRANSACTIONS_ERROR", "TRANSACTION_ERROR", "TRANSFER_ERROR", "CHECK_REPORT_ERROR",
    "CONSUMER_REPORT_ERROR", "USER_ERROR",
)  # fmt: skip
_ERROR_OPTIONAL = {
    "error_code_reason": null(STR),
    "causes": arr({"type": "object"}),
    "documentation_url": STR,
    "suggested_action": null(STR),
}
# An error answered by the API: the body of every non-2xx response.
ERROR = obj(
    {"error_type": enum(*ERROR_TYPES), "error_code": STR, "error_message": STR, "display_message": null(STR),
     "request_id": REQUEST_ID},
    _ERROR_OPTIONAL,
)  # fmt: skip
# An error inside an Item or a webhook: no request_id, an HTTP status instead.
NESTED_ERROR = obj(
    {"error_type": enum(*ERROR_TYPES), "error_code": STR, "error_message": STR, "display_message": null(STR)},
    {**_ERROR_OPTIONAL, "status": null(INT)},
)  # fmt: skip

PRODUCTS = enum(
    "assets", "auth", "balance", "balance_plus", "beacon", "identity", "identity_match", "investments",
    "investments_auth", "liabilities", "payment_initiation", "identity_verification", "transactions",
    "credit_details", "income", "income_verification", "standing_orders", "transfer", "employment",
    "recurring_transactions", "transactions_refresh", "signal", "statements", "processor_payments",
    "processor_identity", "profile",
)  # fmt: skip
COUNTRY = enum(
    "US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE", "AT",
    "FI",
)  # fmt: skip
ACCOUNT_SUBTYPES = (
    "401a", "401k", "403B", "457b", "529", "auto", "brokerage", "business", "cash isa", "cash management", "cd",
    "checking", "commercial", "construction", "consumer", "credit card", "crypto exchange", "ebt",
    "education savings account", "fhsa", "gic", "health reimbursement arrangement", "home equity", "hsa", "isa",
    "ira", "keogh", "lif", "life insurance", "line of credit", "lira", "loan", "lrif", "lrsp", "money market",
    "mortgage", "mutual fund", "non-custodial wallet", "non-taxable brokerage account", "other", "overdraft",
    "paypal", "payroll", "pension", "prepaid", "prif", "rdsp", "resp", "retirement", "rlif", "roth", "roth 401k",
    "rrif", "rrsp", "sarsep", "savings", "sep ira", "simple ira", "sipp", "stock plan", "student",
    "thrift savings plan", "tfsa", "trust", "ugma", "utma", "variable annuity",
)  # fmt: skip

BALANCES = obj(
    {"available": null(NUM), "current": null(NUM), "limit": null(NUM), "iso_currency_code": null(STR),
     "unofficial_currency_code": null(STR)},
    {"last_updated_datetime": null(DATETIME)},
)  # fmt: skip
_ACCOUNT_REQUIRED = {
    "account_id": STR,
    "balances": BALANCES,
    "mask": null(STR),
    "name": STR,
    "official_name": null(STR),
    "type": enum("investment", "credit", "depository", "loan", "brokerage", "other"),
    "subtype": null(enum(*ACCOUNT_SUBTYPES)),
}
_ACCOUNT_OPTIONAL = {
    "verification_status": STR,
    "verification_name": STR,
    "persistent_account_id": STR,
    "holder_category": null(enum("business", "personal", "unrecognized")),
}
ACCOUNT = obj(_ACCOUNT_REQUIRED, _ACCOUNT_OPTIONAL)

_ITEM_REQUIRED = {
    "item_id": STR,
    "webhook": null(STR),
    "error": null(NESTED_ERROR),
    "available_products": arr(PRODUCTS),
    "billed_products": arr(PRODUCTS),
    "consent_expiration_time": null(DATETIME),
    "update_type": enum("background", "user_present_required"),
}
_ITEM_OPTIONAL = {
    "institution_id": null(STR),
    "institution_name": null(STR),
    "auth_method": null(STR),
    "products": arr(PRODUCTS),
    "consented_products": arr(PRODUCTS),
}
ITEM = obj(_ITEM_REQUIRED, _ITEM_OPTIONAL)
ITEM_WITH_CONSENT = obj(
    _ITEM_REQUIRED, {**_ITEM_OPTIONAL, "created_at": DATETIME, "consented_use_cases": arr(STR),
                     "consented_data_scopes": arr(STR)}
)  # fmt: skip
_UPDATES = obj({}, {"last_successful_update": null(DATETIME), "last_failed_update": null(DATETIME)})
ITEM_STATUS = null(
    obj(
        {},
        {
            "investments": null(_UPDATES),
            "transactions": null(_UPDATES),
            "last_webhook": null(obj({}, {"sent_at": null(DATETIME), "code_sent": STR})),
        },
    )
)

LOCATION = obj({k: null(STR) for k in ("address", "city", "region", "postal_code", "country", "store_number")}
               | {"lat": null(NUM), "lon": null(NUM)})  # fmt: skip
PAYMENT_META = obj(
    {k: null(STR) for k in ("reference_number", "ppd_id", "payee", "by_order_of", "payer", "payment_method",
                            "payment_processor", "reason")}
)  # fmt: skip
PFC = obj(
    {"primary": STR, "detailed": STR},
    {"confidence_level": null(enum("VERY_HIGH", "HIGH", "MEDIUM", "LOW", "UNKNOWN")), "version": enum("v1", "v2")},
)
COUNTERPARTY = obj(
    {"name": STR, "type": enum("merchant", "financial_institution", "payment_app", "marketplace", "payment_terminal",
                               "income_source"),
     "logo_url": null(STR), "website": null(STR)},
    {"entity_id": null(STR), "confidence_level": null(enum("VERY_HIGH", "HIGH", "MEDIUM", "LOW", "UNKNOWN")),
     "account_numbers": null({"type": "object"})},
)  # fmt: skip
TRANSACTION_CODES = (
    "adjustment", "atm", "bank charge", "bill payment", "cash", "cashback", "cheque", "direct debit", "interest",
    "payment", "purchase", "refund", "standing order", "transfer",
)  # fmt: skip
TRANSACTION = obj(
    {
        "transaction_id": STR, "account_id": STR, "amount": NUM, "iso_currency_code": null(STR),
        "unofficial_currency_code": null(STR), "date": DATE, "pending": BOOL, "pending_transaction_id": null(STR),
        "account_owner": null(STR), "payment_channel": enum("online", "in store", "other"),
        "payment_meta": PAYMENT_META, "name": STR, "location": LOCATION, "authorized_date": null(DATE),
        "authorized_datetime": null(DATETIME), "datetime": null(DATETIME),
        "transaction_code": null(enum(*TRANSACTION_CODES)),
    },
    {
        "category": null(arr(STR)), "category_id": null(STR), "check_number": null(STR), "merchant_name": null(STR),
        "original_description": null(STR), "transaction_type": enum("digital", "place", "special", "unresolved"),
        "logo_url": null(STR), "website": null(STR), "personal_finance_category": null(PFC),
        "personal_finance_category_icon_url": STR, "counterparties": arr(COUNTERPARTY),
        "merchant_entity_id": null(STR), "business_finance_category": null({"type": "object"}),
        "client_customization": null({"type": "object"}),
    },
)  # fmt: skip
OWNER = obj(
    {
        "names": arr(STR),
        "phone_numbers": arr(obj({"data": STR, "primary": BOOL,
                                  "type": enum("home", "work", "office", "mobile", "mobile1", "other")})),
        "emails": arr(obj({"data": STR, "primary": BOOL, "type": enum("primary", "secondary", "other")})),
        "addresses": arr(obj({"data": obj({"street": STR, "city": null(STR), "region": null(STR),
                                           "postal_code": null(STR), "country": null(STR)})},
                             {"primary": BOOL})),
    }
)  # fmt: skip
ACCOUNT_IDENTITY = obj({**_ACCOUNT_REQUIRED, "owners": arr(OWNER)}, _ACCOUNT_OPTIONAL)
INSTITUTION = obj(
    {"institution_id": STR, "name": STR, "products": arr(PRODUCTS), "country_codes": arr(COUNTRY),
     "routing_numbers": arr(STR), "oauth": BOOL,
     # newer than the 2020-09-14 document we checked, and required by plaid-python 46's Institution model
     "connection_availability": enum("SUPPORTED", "NOT_SUPPORTED")},
    {"url": null(STR), "primary_color": null(STR), "logo": null(STR), "dtc_numbers": arr(STR),
     "status": null({"type": "object"}), "payment_initiation_metadata": null({"type": "object"}),
     "auth_metadata": null({"type": "object"})},
)  # fmt: skip
JWK = obj(
    {"alg": enum("ES256"), "kid": STR, "kty": enum("EC"), "crv": enum("P-256"), "x": STR, "y": STR, "use": enum("sig"),
     "created_at": INT, "expired_at": null(INT)}
)  # fmt: skip


def _response(fields: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return obj({**fields, "request_id": REQUEST_ID}, optional)


ACCOUNTS_RESPONSE = _response({"accounts": arr(ACCOUNT), "item": ITEM})
EMPTY_RESPONSE = _response({})
# Success body per endpoint.
RESPONSES: dict[str, dict[str, Any]] = {
    "/link/token/create": _response({"link_token": STR, "expiration": DATETIME}, {"hosted_link_url": STR}),
    "/item/public_token/exchange": _response({"access_token": STR, "item_id": STR}),
    "/sandbox/public_token/create": _response({"public_token": STR}),
    "/accounts/get": ACCOUNTS_RESPONSE,
    "/accounts/balance/get": ACCOUNTS_RESPONSE,
    "/transactions/sync": _response(
        {
            "transactions_update_status": enum(
                "TRANSACTIONS_UPDATE_STATUS_UNKNOWN",
                "NOT_READY",
                "INITIAL_UPDATE_COMPLETE",
                "HISTORICAL_UPDATE_COMPLETE",
            ),
            "accounts": arr(ACCOUNT),
            "added": arr(TRANSACTION),
            "modified": arr(TRANSACTION),
            "removed": arr(obj({"transaction_id": STR, "account_id": STR})),
            "next_cursor": STR,
            "has_more": BOOL,
        }
    ),
    "/transactions/get": _response(
        {"accounts": arr(ACCOUNT), "transactions": arr(TRANSACTION), "total_transactions": INT, "item": ITEM}
    ),
    "/transactions/refresh": EMPTY_RESPONSE,
    "/identity/get": _response({"accounts": arr(ACCOUNT_IDENTITY), "item": ITEM}),
    "/item/get": _response({"item": ITEM_WITH_CONSENT}, {"status": ITEM_STATUS}),
    "/item/remove": EMPTY_RESPONSE,
    "/item/webhook/update": _response({"item": ITEM_WITH_CONSENT}, {"status": ITEM_STATUS}),
    "/institutions/get_by_id": _response({"institution": INSTITUTION}),
    "/sandbox/item/reset_login": _response({"reset_login": BOOL}),
    "/sandbox/item/fire_webhook": _response({"webhook_fired": BOOL}),
    "/sandbox/transactions/create": EMPTY_RESPONSE,
    "/webhook_verification_key/get": _response({"key": JWK}),
}


def _webhook(webhook_type: str, code: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> Any:
    base = {"webhook_type": enum(webhook_type), "webhook_code": enum(code), "item_id": STR,
            "environment": enum("sandbox", "production")}  # fmt: skip
    return obj({**base, **required}, {"user_id": STR, **(optional or {})})


# Webhook body per (webhook_type, webhook_code) the emulator can send.
WEBHOOKS: dict[tuple[str, str], dict[str, Any]] = {
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): _webhook(
        "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", {"initial_update_complete": BOOL, "historical_update_complete": BOOL}
    ),
    ("TRANSACTIONS", "DEFAULT_UPDATE"): _webhook(
        "TRANSACTIONS", "DEFAULT_UPDATE", {"new_transactions": NUM}, {"error": null(NESTED_ERROR)}
    ),
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): _webhook(
        "TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE", {"account_ids": arr(STR)}
    ),
    ("IDENTITY", "DEFAULT_UPDATE"): _webhook(
        "IDENTITY",
        "DEFAULT_UPDATE",
        {
            "error": null(NESTED_ERROR),
            "account_ids_with_updated_identity": {
                "type": "object",
                "additionalProperties": arr(enum("PHONES", "ADDRESSES", "EMAILS", "NAMES")),
            },
        },
    ),
    ("ITEM", "ERROR"): _webhook("ITEM", "ERROR", {"error": NESTED_ERROR}),
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): _webhook("ITEM", "NEW_ACCOUNTS_AVAILABLE", {}, {"error": null(NESTED_ERROR)}),
    ("ITEM", "USER_PERMISSION_REVOKED"): _webhook("ITEM", "USER_PERMISSION_REVOKED", {}, {"error": null(NESTED_ERROR)}),
    ("ITEM", "USER_ACCOUNT_REVOKED"): _webhook("ITEM", "USER_ACCOUNT_REVOKED", {"account_id": STR}),
    ("ITEM", "PENDING_DISCONNECT"): _webhook(
        "ITEM",
        "PENDING_DISCONNECT",
        {"reason": enum("INSTITUTION_MIGRATION", "INSTITUTION_TOKEN_EXPIRATION"), "disconnect_time": DATETIME},
    ),
    ("ITEM", "LOGIN_REPAIRED"): _webhook("ITEM", "LOGIN_REPAIRED", {}),
    ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED"): _webhook(
        "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", {"new_webhook_url": STR}, {"error": null(NESTED_ERROR)}
    ),
}
