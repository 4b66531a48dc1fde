"""``/sandbox/item/fire_webhook``: the type/code pairs Plaid's sandbox fires, and the body of each.

Plaid's sandbox fires a fixed set of pairs; a pair outside it is ``INVALID_FIELD``, and a pair whose
product the Item doesn't have is ``SANDBOX_PRODUCT_NOT_ENABLED``. Without ``webhook_type`` the type
is the one the code belongs to (``DEFAULT_UPDATE``: ``TRANSACTIONS``; ``ERROR``: ``ASSETS``, as the
endpoint's documentation describes it). Each body carries every field Plaid's schema for that
webhook requires.

    >>> resolve(None, "LOGIN_REPAIRED", ["transactions"])
    ('ITEM', 'LOGIN_REPAIRED')
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from fin_infra.emulators.plaid.errors import PlaidAPIError, invalid_field

if TYPE_CHECKING:
    from fin_infra.emulators.plaid.models import Item

TYPES = ("AUTH", "HOLDINGS", "IDENTITY", "INVESTMENTS_TRANSACTIONS", "ITEM", "LIABILITIES", "TRANSACTIONS", "ASSETS")
CODES = (
    "DEFAULT_UPDATE", "NEW_ACCOUNTS_AVAILABLE", "SMS_MICRODEPOSITS_VERIFICATION", "AUTHORIZATION_GRANTED",
    "USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED", "PENDING_DISCONNECT", "RECURRING_TRANSACTIONS_UPDATE",
    "LOGIN_REPAIRED", "SYNC_UPDATES_AVAILABLE", "PRODUCT_READY", "ERROR",
)  # fmt: skip

# (webhook_type, webhook_code) -> the product the Item must have (None: any Item).
PAIRS: dict[tuple[str, str], str | None] = {
    ("TRANSACTIONS", "DEFAULT_UPDATE"): "transactions",
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): "transactions",
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): "transactions",
    ("IDENTITY", "DEFAULT_UPDATE"): "identity",
    ("AUTH", "DEFAULT_UPDATE"): "auth",
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION"): "auth",
    ("HOLDINGS", "DEFAULT_UPDATE"): "investments",
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): "investments",
    ("LIABILITIES", "DEFAULT_UPDATE"): "liabilities",
    ("ASSETS", "PRODUCT_READY"): "assets",
    ("ASSETS", "ERROR"): "assets",
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): None,
    ("ITEM", "USER_PERMISSION_REVOKED"): None,
    ("ITEM", "USER_ACCOUNT_REVOKED"): None,
    ("ITEM", "PENDING_DISCONNECT"): None,
    ("ITEM", "LOGIN_REPAIRED"): None,
}
# The type a code is fired under when the request names none.
DEFAULT_TYPE = {
    "DEFAULT_UPDATE": "TRANSACTIONS",
    "SYNC_UPDATES_AVAILABLE": "TRANSACTIONS",
    "RECURRING_TRANSACTIONS_UPDATE": "TRANSACTIONS",
    "SMS_MICRODEPOSITS_VERIFICATION": "AUTH",
    "PRODUCT_READY": "ASSETS",
    "ERROR": "ASSETS",
    **{code: "ITEM" for kind, code in PAIRS if kind == "ITEM"},
}


def resolve(webhook_type: object, webhook_code: object, products: list[str]) -> tuple[str, str]:
    """The (type, code) to fire for an Item with ``products``, or Plaid's error for the request."""
    if not isinstance(webhook_code, str) or webhook_code not in CODES:
        raise invalid_field("webhook_code must be one of: " + ", ".join(CODES))
    if webhook_type is None:
        webhook_type = DEFAULT_TYPE.get(webhook_code)
        if webhook_type is None:
            raise invalid_field(f"webhook_code {webhook_code} can't be fired in the sandbox")
    if not isinstance(webhook_type, str) or webhook_type not in TYPES:
        raise invalid_field("webhook_type must be one of: " + ", ".join(TYPES))
    if (webhook_type, webhook_code) not in PAIRS:
        raise invalid_field(f"webhook_code {webhook_code} is not a valid code for webhook_type {webhook_type}")
    product = PAIRS[(webhook_type, webhook_code)]
    if product is not None and product not in products:
        raise PlaidAPIError(
            "SANDBOX_ERROR",
            "SANDBOX_PRODUCT_NOT_ENABLED",
            f"the {product} product is not enabled for this Item, so {webhook_type} {webhook_code} can't be fired",
        )
    return webhook_type, webhook_code


def extra_fields(item: Item, webhook_type: str, webhook_code: str, now: dt.datetime) -> dict[str, Any]:
    """The fields of the webhook beyond ``webhook_type``, ``webhook_code``, ``item_id``, ``environment``."""
    first_account = item.accounts[0].account_id
    if webhook_code == "SYNC_UPDATES_AVAILABLE":
        return {"historical_update_complete": True, "initial_update_complete": True}
    if webhook_code == "DEFAULT_UPDATE" and webhook_type == "IDENTITY":
        return {"account_ids_with_updated_identity": {first_account: ["ADDRESSES"]}, "error": None}
    if webhook_code == "DEFAULT_UPDATE":
        return {"error": None, "new_transactions": 1}
    if webhook_code == "RECURRING_TRANSACTIONS_UPDATE":
        return {"account_ids": [a.account_id for a in item.accounts]}
    if webhook_code == "NEW_ACCOUNTS_AVAILABLE":
        return {"error": None}
    if webhook_code == "USER_PERMISSION_REVOKED":
        revoked = PlaidAPIError(
            "ITEM_ERROR",
            "USER_PERMISSION_REVOKED",
            "the holder of this account has revoked their permission for your application to access it",
        )
        return {"error": revoked.body(None)}
    if webhook_code == "USER_ACCOUNT_REVOKED":
        return {"account_id": first_account}
    if webhook_code == "PENDING_DISCONNECT":
        when = (now + dt.timedelta(days=7)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"disconnect_time": when, "reason": "INSTITUTION_TOKEN_EXPIRATION"}
    return {}
