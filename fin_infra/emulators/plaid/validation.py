"""Request checks Plaid makes before an endpoint runs: unknown fields, field types, enum values, products.

Plaid refuses a body with a field its endpoint doesn't define (``UNKNOWN_FIELDS``), checks
``country_codes`` and ``language`` against its lists (``INVALID_FIELD``) and refuses products the
client may not use (``INVALID_PRODUCT``). The emulator serves the Transactions and Identity products
(balance comes with any product), so it answers the other Plaid products as Plaid answers a client
that hasn't been enabled for them, instead of accepting them and answering 404 later.

    >>> check_fields("/item/get", {"access_token": "access-sandbox-x"})
    >>> try:
    ...     check_fields("/item/get", {"access_token": "x", "acess_token": "x"})
    ... except PlaidAPIError as exc:
    ...     print(exc.error_code, exc.error_message)
    UNKNOWN_FIELDS the following fields are not recognized by this endpoint: acess_token
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from fin_infra.emulators.plaid.errors import PlaidAPIError, invalid_field, missing_fields

# Fields each endpoint defines (client_id / secret are taken off before these checks), and the
# fields of its nested objects, by dotted path. From the request schemas of Plaid's API (2020-09-14).
_OPTIONS_ACCOUNTS = {"account_ids"}
_TXN_OPTIONS = {
    "account_ids", "count", "offset", "days_requested", "include_original_description",
    "include_personal_finance_category", "include_personal_finance_category_beta",
    "include_logo_and_counterparty_beta", "personal_finance_category_version",
}  # fmt: skip
FIELDS: dict[str, dict[str, set[str]]] = {
    "/link/token/create": {
        "": {
            "client_name", "language", "country_codes", "user", "products", "optional_products",
            "required_if_supported_products", "additional_consented_products", "webhook", "access_token",
            "access_tokens", "update", "redirect_uri", "android_package_name", "transactions", "account_filters",
            "link_customization_name", "hosted_link", "institution_id", "institution_data", "auth", "identity",
            "investments", "investments_auth", "statements", "user_token", "user_id", "appearance_mode",
            "enable_multi_item_link", "payment_initiation", "income_verification", "employment", "transfer",
            "eu_config", "card_switch", "base_report", "cra_options", "cra_enabled", "credit_partner_insights",
            "cashflow_report", "consumer_report_permissible_purpose", "identity_verification",
            "payment_configuration", "financekit_supported", "third_party_user_token",
        },
        "user": {
            "client_user_id", "legal_name", "name", "phone_number", "phone_number_verified_time", "email_address",
            "email_address_verified_time", "ssn", "date_of_birth", "address", "id_number",
        },
        "update": {"account_selection_enabled", "item_ids", "reauthorization_enabled", "user"},
        "transactions": {"days_requested"},
    },
    "/item/public_token/exchange": {"": {"public_token"}},
    "/sandbox/public_token/create": {
        "": {"institution_id", "initial_products", "options", "user_token", "user_id"},
        "options": {
            "webhook", "override_username", "override_password", "transactions", "statements", "income_verification",
        },
        "options.transactions": {"start_date", "end_date", "days_requested"},
    },
    "/accounts/get": {"": {"access_token", "options"}, "options": _OPTIONS_ACCOUNTS},
    "/accounts/balance/get": {
        "": {"access_token", "options"},
        "options": {"account_ids", "min_last_updated_datetime"},
    },
    "/transactions/sync": {
        "": {"access_token", "cursor", "count", "options"},
        "options": {
            "account_id", "days_requested", "include_original_description", "include_personal_finance_category",
            "include_logo_and_counterparty_beta", "personal_finance_category_version",
        },
    },
    "/transactions/get": {"": {"access_token", "start_date", "end_date", "options"}, "options": _TXN_OPTIONS},
    "/transactions/refresh": {"": {"access_token"}},
    "/identity/get": {"": {"access_token", "options"}, "options": _OPTIONS_ACCOUNTS},
    "/item/get": {"": {"access_token"}},
    "/item/remove": {"": {"access_token", "reason_code", "reason_note"}},
    "/item/webhook/update": {"": {"access_token", "webhook"}},
    "/institutions/get_by_id": {
        "": {"institution_id", "country_codes", "options"},
        "options": {
            "include_optional_metadata", "include_status", "include_auth_metadata",
            "include_payment_initiation_metadata",
        },
    },
    "/sandbox/item/reset_login": {"": {"access_token"}},
    "/sandbox/item/fire_webhook": {"": {"access_token", "webhook_type", "webhook_code"}},
    "/sandbox/transactions/create": {"": {"access_token", "transactions"}},
    "/webhook_verification_key/get": {"": {"key_id"}},
}  # fmt: skip

COUNTRY_CODES = frozenset(
    {"US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE", "AT",
     "FI"}
)  # fmt: skip
LANGUAGES = frozenset(
    {"da", "nl", "en", "et", "fr", "de", "hi", "it", "lv", "lt", "no", "pl", "pt", "ro", "es", "sv", "vi"}
)
# Plaid's product names (the ``Products`` enum); the emulator serves the first two.
SERVED_PRODUCTS = frozenset({"transactions", "identity"})
PLAID_PRODUCTS = SERVED_PRODUCTS | frozenset(
    {
        "assets", "auth", "balance_plus", "beacon", "identity_match", "investments", "investments_auth", "liabilities",
        "payment_initiation", "identity_verification", "credit_details", "income", "income_verification",
        "standing_orders", "transfer", "employment", "recurring_transactions", "transactions_refresh", "signal",
        "statements", "processor_payments", "processor_identity", "profile", "cra_base_report", "cra_income_insights",
        "cra_partner_insights", "cra_network_insights", "cra_cashflow_insights", "cra_monitoring", "cra_lend_score",
        "cra_plaid_credit_score", "layer", "pay_by_bank", "protect_linked_bank", "protect_transactions",
    }
)  # fmt: skip


def check_fields(path: str, body: dict[str, Any]) -> None:
    """``UNKNOWN_FIELDS`` naming every field ``path`` doesn't define (top level and nested objects);
    ``INVALID_FIELD`` when a nested object isn't a JSON object."""
    spec = FIELDS.get(path)
    if spec is None:
        return
    unknown: list[str] = []
    for prefix, allowed in spec.items():
        obj: Any = body
        for part in prefix.split(".") if prefix else ():
            obj = obj.get(part) if isinstance(obj, dict) else None
        if obj is None:
            continue
        if not isinstance(obj, dict):
            raise invalid_field(f"{prefix} must be an object")
        unknown += [f"{prefix}.{k}" if prefix else k for k in obj if k not in allowed]
    if unknown:
        raise PlaidAPIError.of(
            "UNKNOWN_FIELDS", "the following fields are not recognized by this endpoint: " + ", ".join(sorted(unknown))
        )


def check_country_codes(value: object) -> list[str]:
    """``country_codes``: a non-empty list of Plaid's country codes."""
    if not isinstance(value, list) or not value or any(c not in COUNTRY_CODES for c in value):
        raise invalid_field(
            "country_codes must be a non-empty list of supported country codes: " + ", ".join(sorted(COUNTRY_CODES))
        )
    return list(value)


def check_language(value: object) -> str:
    """``language``: one of the languages Link is shown in."""
    if not isinstance(value, str) or value not in LANGUAGES:
        raise invalid_field("language must be one of: " + ", ".join(sorted(LANGUAGES)))
    return value


def check_products(value: object, field: str = "products") -> list[str]:
    """A list of products the emulator serves. ``balance`` and names that aren't Plaid products are
    ``INVALID_PRODUCT``, as are Plaid products this emulated client may not use (everything but
    ``transactions`` and ``identity``)."""
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise invalid_field(f"{field} must be a list of product names")
    if "balance" in value:
        raise PlaidAPIError.of("INVALID_PRODUCT", "balance is not a valid product; it comes with any product")
    unknown = [p for p in value if p not in PLAID_PRODUCTS]
    if unknown:
        raise PlaidAPIError.of(
            "INVALID_PRODUCT", f"{field} contains values that are not valid products: {', '.join(unknown)}"
        )
    refused = [p for p in value if p not in SERVED_PRODUCTS]
    if refused:
        raise PlaidAPIError.of(
            "INVALID_PRODUCT",
            f"client is not authorized to access the following products: {refused} "
            f"(the emulator serves {', '.join(sorted(SERVED_PRODUCTS))})",
        )
    return list(value)


SANDBOX_TXN_WINDOW_DAYS = 14


def sandbox_transactions(value: object, today: dt.date) -> list[tuple[dt.date, dt.date, Decimal, str, str]]:
    """``/sandbox/transactions/create``'s ``transactions``, checked as Plaid checks them: each needs
    ``date_transacted``, ``date_posted`` (today or up to 14 days back, posted not before transacted),
    a numeric ``amount`` and a ``description``. Returns (transacted, posted, amount, description,
    currency) per entry; the amount is the double Plaid stores, as exact digits."""
    if not isinstance(value, list) or not value:
        raise invalid_field("transactions must be a non-empty list of transactions")
    out = []
    oldest = today - dt.timedelta(days=SANDBOX_TXN_WINDOW_DAYS)
    for i, entry in enumerate(value):
        where = f"transactions[{i}]"
        if not isinstance(entry, dict):
            raise invalid_field(f"{where} must be an object")
        required = ("date_transacted", "date_posted", "amount", "description")
        missing = [f"{where}.{k}" for k in required if k not in entry]
        if missing:
            raise missing_fields(*missing)
        dates = []
        for key in ("date_transacted", "date_posted"):
            try:
                day = dt.date.fromisoformat(entry[key]) if isinstance(entry[key], str) else None
            except ValueError:
                day = None
            if day is None:
                raise invalid_field(f"{where}.{key} must be a date in YYYY-MM-DD format")
            if not oldest <= day <= today:
                raise invalid_field(
                    f"{where}.{key} must be today or up to {SANDBOX_TXN_WINDOW_DAYS} days in the past "
                    f"({oldest.isoformat()} to {today.isoformat()})"
                )
            dates.append(day)
        transacted, posted = dates
        if posted < transacted:
            raise invalid_field(f"{where}.date_posted must not be before its date_transacted")
        amount = entry["amount"]
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
            raise invalid_field(f"{where}.amount must be a number")
        if not isinstance(entry["description"], str) or not entry["description"].strip():
            raise invalid_field(f"{where}.description must be a non-empty string")
        currency = entry.get("iso_currency_code", "USD")
        if not isinstance(currency, str) or len(currency) != 3:
            raise invalid_field(f"{where}.iso_currency_code must be an ISO-4217 currency code")
        out.append((transacted, posted, Decimal(repr(float(amount))), entry["description"], currency))
    return out
