"""Plaid's JSON for the emulator's objects: every required key present, nullable ones as ``null``.

Amounts are kept as `Decimal` in the emulator and written as Plaid writes its JSON numbers (doubles
in their shortest form, no trailing zeros, no ``.0`` on whole amounts): ``Decimal("110.00")`` is sent
as ``110``, ``Decimal("12.30")`` as ``12.3``, ``Decimal("-4.33")`` as ``-4.33``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fin_infra.emulators.plaid.data import (
    INSTITUTION_COUNTRIES,
    INSTITUTIONS,
    OAUTH_INSTITUTIONS,
    Account,
    OwnerData,
    Txn,
)

if TYPE_CHECKING:
    from fin_infra.emulators.plaid.models import Item


def money(value: Decimal | None) -> int | float | None:
    """An amount as the JSON number Plaid writes: a whole amount as an integer, else the shortest
    decimal form of its double (the C JSON encoder writes a float with ``repr``, which is that form)."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def account_json(account: Account) -> dict[str, Any]:
    out = {
        "account_id": account.account_id,
        "balances": {
            "available": money(account.available),
            "current": money(account.current),
            "iso_currency_code": account.currency,
            "limit": money(account.limit),
            "unofficial_currency_code": None,
        },
        "holder_category": "personal",
        "mask": account.mask,
        "name": account.name,
        "official_name": account.official_name,
        "subtype": account.subtype,
        "type": account.type,
    }
    if account.type != "credit":  # optional, non-nullable: present for some accounts only, as Plaid does
        out["persistent_account_id"] = account.account_id[:20]
    return out


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def item_json(item: Item) -> dict[str, Any]:
    return {
        "auth_method": None,
        "available_products": ["balance", "identity"],
        "billed_products": list(item.products),
        "consent_expiration_time": None,
        "error": item.error.body(None) if item.error is not None else None,
        "institution_id": item.institution_id,
        "institution_name": INSTITUTIONS.get(item.institution_id),
        "item_id": item.item_id,
        "products": list(item.products),
        "update_type": "background",
        "webhook": item.webhook,
    }


def item_get_json(item: Item) -> dict[str, Any]:
    out = item_json(item)
    out["created_at"] = _iso(item.created_at)
    out["consented_products"] = list(item.products)
    last_webhook = None
    if item.last_webhook is not None:
        last_webhook = {"code_sent": item.last_webhook[1], "sent_at": _iso(item.last_webhook[0])}
    status = {
        "investments": None,
        "last_webhook": last_webhook,
        "transactions": {"last_failed_update": None, "last_successful_update": _iso(item.created_at)},
    }
    return {"item": out, "status": status}


def txn_json(txn: Txn) -> dict[str, Any]:
    pfc = None
    if txn.pfc is not None:
        pfc = {"confidence_level": "VERY_HIGH", "detailed": txn.pfc[1], "primary": txn.pfc[0], "version": "v1"}
    counterparties = []
    if txn.merchant_name:
        counterparties.append(
            {
                "confidence_level": "VERY_HIGH",
                "entity_id": None,
                "logo_url": None,
                "name": txn.merchant_name,
                "type": "merchant",
                "website": None,
            }
        )
    return {
        "account_id": txn.account_id,
        "account_owner": None,
        "amount": money(txn.amount),
        "authorized_date": txn.authorized_date.isoformat() if txn.authorized_date else None,
        "authorized_datetime": None,
        "category": list(txn.category) if txn.category is not None else None,
        "category_id": txn.category_id,
        "check_number": None,
        "counterparties": counterparties,
        "date": txn.date.isoformat(),
        "datetime": None,
        "iso_currency_code": txn.currency,
        "location": {
            "address": None,
            "city": txn.city,
            "country": "US" if txn.city else None,
            "lat": None,
            "lon": None,
            "postal_code": None,
            "region": txn.region,
            "store_number": None,
        },
        "logo_url": None,
        "merchant_entity_id": None,
        "merchant_name": txn.merchant_name,
        "name": txn.name,
        "payment_channel": txn.payment_channel,
        "payment_meta": {
            "by_order_of": None,
            "payee": None,
            "payer": None,
            "payment_method": None,
            "payment_processor": None,
            "ppd_id": None,
            "reason": None,
            "reference_number": None,
        },
        "pending": txn.pending,
        "pending_transaction_id": txn.pending_transaction_id,
        "personal_finance_category": pfc,
        "personal_finance_category_icon_url": (
            f"https://plaid-category-icons.plaid.com/PFC_{txn.pfc[0]}.png" if txn.pfc else None
        ),
        "transaction_code": None,
        "transaction_id": txn.transaction_id,
        "transaction_type": "special" if txn.payment_channel == "other" else "place",
        "unofficial_currency_code": None,
        "website": None,
    }


def owner_json(owner: OwnerData) -> dict[str, Any]:
    return {
        "addresses": [
            {
                "data": {
                    "city": owner.city,
                    "country": owner.country,
                    "postal_code": owner.postal_code,
                    "region": owner.region,
                    "street": owner.street,
                },
                "primary": True,
            }
        ],
        "emails": [{"data": owner.email, "primary": True, "type": "primary"}],
        "names": list(owner.names),
        "phone_numbers": [{"data": owner.phone, "primary": True, "type": "home"}],
    }


def institution_json(institution_id: str) -> dict[str, Any]:
    return {
        "country_codes": [INSTITUTION_COUNTRIES.get(institution_id, "US")],
        "dtc_numbers": [],
        "institution_id": institution_id,
        "logo": None,
        "name": INSTITUTIONS[institution_id],
        "oauth": institution_id in OAUTH_INSTITUTIONS,
        "primary_color": "#1f1f1f",
        "products": ["assets", "auth", "balance", "transactions", "identity"],
        "routing_numbers": ["011401533", "021200339"],
        "url": "https://plaid.com",
        "connection_availability": "SUPPORTED",  # required by newer API releases (plaid-python 46)
    }
