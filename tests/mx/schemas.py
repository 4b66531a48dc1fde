"""Compact JSON Schemas of the MX bodies the notes (``shared/providers/mx.md``) list, written by us.

Each object schema names the fields the notes document with their types (nullable where the notes
say so) and allows the rest (MX's objects carry many more optional fields).
"""

from __future__ import annotations

from typing import Any

S: dict[str, Any] = {"type": "string"}
S0: dict[str, Any] = {"type": ["string", "null"]}
N0: dict[str, Any] = {"type": ["number", "null"]}
B: dict[str, Any] = {"type": "boolean"}
B0: dict[str, Any] = {"type": ["boolean", "null"]}
I: dict[str, Any] = {"type": "integer"}  # noqa: E741
DATE: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
STAMP: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"}
STAMP0: dict[str, Any] = {"anyOf": [STAMP, {"type": "null"}]}


def guid(prefix: str) -> dict[str, Any]:
    hex_ = "[0-9a-f]"
    return {"type": "string", "pattern": rf"^{prefix}-{hex_}{{8}}-{hex_}{{4}}-{hex_}{{4}}-{hex_}{{4}}-{hex_}{{12}}$"}


def obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required if required is not None else list(props)}


PAGINATION = obj({"current_page": I, "per_page": I, "total_entries": I, "total_pages": I})

USER = obj({"guid": guid("USR"), "id": S0, "email": S0, "is_disabled": B0, "metadata": S0})

MEMBER = obj({
    "guid": guid("MBR"), "id": S0, "user_guid": guid("USR"), "user_id": S0, "institution_code": S,
    "institution_guid": S, "name": S0, "connection_status": S, "connection_status_message": S0,
    "is_being_aggregated": B, "is_oauth": B, "is_manual": B0, "is_managed_by_user": B0,
    "needs_updated_credentials": B0, "aggregated_at": STAMP0, "successfully_aggregated_at": STAMP0,
    "oauth_window_uri": S0, "background_aggregation_is_disabled": B, "metadata": S0,
    "use_cases": {"type": "array", "items": {"enum": ["PFM", "MONEY_MOVEMENT"]}},
})  # fmt: skip

CHALLENGE = obj({"guid": S, "label": S0, "type": S0, "field_name": S0, "options": {"type": "array"},
                 "image_data": S0, "image_options": {"type": "array"}})  # fmt: skip

MEMBER_STATUS = obj({
    "guid": guid("MBR"), "connection_status": S, "is_being_aggregated": B, "is_authenticated": B0,
    "has_processed_accounts": B0, "has_processed_transactions": B0, "has_processed_account_numbers": B0,
    "aggregated_at": STAMP0, "successfully_aggregated_at": STAMP0,
    "challenges": {"type": "array", "items": CHALLENGE},
})  # fmt: skip

ACCOUNT = obj({
    "guid": guid("ACT"), "member_guid": guid("MBR"), "user_guid": guid("USR"), "institution_code": S0,
    "name": S0, "nickname": S0, "type": {"type": "string", "pattern": "^[A-Z_]+$"}, "subtype": S0,
    "balance": N0, "available_balance": N0, "available_credit": N0, "credit_limit": N0, "currency_code": S0,
    "account_number": S0, "is_closed": B0, "is_hidden": B0, "is_manual": B0, "created_at": STAMP,
    "updated_at": STAMP0,
})  # fmt: skip

TRANSACTION = obj({
    "guid": guid("TRN"), "account_guid": guid("ACT"), "member_guid": guid("MBR"), "user_guid": guid("USR"),
    "amount": {"type": "number", "minimum": 0}, "type": {"enum": ["DEBIT", "CREDIT"]},
    "status": {"enum": ["POSTED", "PENDING"]}, "date": DATE, "transacted_at": STAMP, "posted_at": STAMP0,
    "description": S0, "original_description": S0, "category": S0, "top_level_category": S0, "category_guid": S0,
    "merchant_guid": S0, "merchant_category_code": {"type": ["integer", "null"]}, "currency_code": S0,
    "is_expense": B0, "is_income": B0, "is_bill_pay": B0, "is_direct_deposit": B0, "is_fee": B0,
    "is_overdraft_fee": B0, "is_subscription": B0, "is_recurring": B0, "is_international": B0, "is_manual": B0,
    "check_number_string": S0, "memo": S0, "latitude": N0, "longitude": N0, "created_at": STAMP,
    "updated_at": STAMP,
})  # fmt: skip

OWNER = obj({
    "guid": guid("ACO"), "account_guid": guid("ACT"), "member_guid": guid("MBR"), "user_guid": guid("USR"),
    **{k: S0 for k in ("owner_name", "first_name", "last_name", "address", "city", "state", "postal_code",
                       "country", "email", "phone")},
})  # fmt: skip

WIDGET_URL = obj({"type": S, "url": {"type": "string", "pattern": "^https?://"}, "user_id": S0})


def wrapped(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return obj({key: schema})


def listed(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return obj({key: {"type": "array", "items": schema}, "pagination": PAGINATION})


ERROR = obj({"error": obj({"message": S})})
WEBHOOK_CONNECTION_STATUS = obj({
    "action": {"const": "CHANGED"}, "type": {"const": "CONNECTION_STATUS"}, "connection_status": S,
    "connection_status_id": I, "connection_status_message": S0, "member_guid": guid("MBR"),
    "user_guid": guid("USR"),
})  # fmt: skip
WEBHOOK_MEMBER_DATA = obj(
    {"action": {"const": "member_data_updated"}, "type": S, "member_guid": guid("MBR"), "user_guid": guid("USR"),
     "user_id": S0, "completed_at": I, "completed_on": DATE},
)  # fmt: skip
