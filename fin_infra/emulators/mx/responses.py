"""MX's JSON for the emulator's objects (shapes of ``mxenabled/openapi`` ``v20111101.yml``).

Money is written as JSON numbers with exactly two decimals (``1310.20``), dates as ``YYYY-MM-DD`` and
times as ISO 8601 UTC strings with ``Z``. Objects carry the documented fields; of the ~100 optional
account fields only those an aggregated checking, savings or card account fills are written.

    >>> pagination(3, page=1, per_page=25)
    {'current_page': 1, 'per_page': 25, 'total_entries': 3, 'total_pages': 1}
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fin_infra.emulators.mx import data

if TYPE_CHECKING:
    from fin_infra.emulators.mx.state import Account, Member, User

_CENTS = Decimal("0.01")


def money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_CENTS)


def stamp(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pagination(total: int, *, page: int, per_page: int) -> dict[str, int]:
    return {"current_page": page, "per_page": per_page, "total_entries": total,
            "total_pages": (total + per_page - 1) // per_page}  # fmt: skip


def user_json(user: User) -> dict[str, Any]:
    return {"email": user.email, "guid": user.guid, "id": user.id, "is_disabled": user.is_disabled,
            "metadata": user.metadata}  # fmt: skip


def member_json(member: Member, user: User) -> dict[str, Any]:
    institution = member.institution
    return {
        "aggregated_at": stamp(member.aggregated_at),
        "background_aggregation_is_disabled": False,
        "connection_status": member.connection_status,
        "connection_status_message": member.message,
        "guid": member.guid,
        "id": member.id,
        "institution_code": institution.code,
        "institution_guid": data.guid("INS", institution.code),
        "is_being_aggregated": member.is_being_aggregated,
        "is_managed_by_user": False,
        "is_manual": False,
        "is_oauth": institution.is_oauth,
        "metadata": member.metadata,
        "most_recent_job_detail_code": None,
        "most_recent_job_detail_text": None,
        "most_recent_job_guid": None,  # typed boolean in the 20111101 document: null is the only valid value
        "name": institution.name,
        "needs_updated_credentials": member.connection_status in ("DENIED", "EXPIRED", "IMPAIRED"),
        "oauth_window_uri": None,
        "successfully_aggregated_at": stamp(member.successfully_aggregated_at),
        "use_cases": ["PFM"],
        "user_guid": member.user_guid,
        "user_id": user.id,
    }


def challenges_json(member: Member) -> list[dict[str, Any]]:
    kind = member.challenge_type
    if member.connection_status != "CHALLENGED" or kind is None:
        return []
    challenge: dict[str, Any] = {"guid": data.guid("CRD", member.guid, "challenge"), "type": kind, "field_name": None,
                                 "image_data": None, "image_options": [], "options": []}  # fmt: skip
    if kind == "TEXT":
        challenge.update(label="What city were you born in?", field_name="What city were you born in?")
    elif kind == "OPTIONS":
        challenge["label"] = "Where should we send your one-time code?"
        challenge["options"] = [
            {"guid": data.guid("CRD", member.guid, o), "label": label, "value": o}
            for o, label in ((data.CORRECT_ANSWER, "Text to (***) ***-0142"), ("wrong", "Email to d***@example.net"))
        ]
    else:
        challenge["label"] = "Choose your security image"
        challenge["image_data"] = "data:image/png;base64,iVBORw0KGgo="
        challenge["image_options"] = [
            {"data_uri": "data:image/png;base64,iVBORw0KGgo=", "guid": data.guid("CRD", member.guid, o),
             "label": o.title(), "value": o}
            for o in (data.CORRECT_ANSWER, "wrong")
        ]  # fmt: skip
    return [challenge]


def status_json(member: Member) -> dict[str, Any]:
    aggregated = member.successfully_aggregated_at is not None
    return {
        "aggregated_at": stamp(member.aggregated_at),
        "challenges": challenges_json(member),
        "connection_status": member.connection_status,
        "guid": member.guid,
        "has_processed_account_numbers": member.verified,
        "has_processed_accounts": aggregated,
        "has_processed_transactions": aggregated,
        "is_authenticated": member.connection_status not in ("CREATED", "CHALLENGED", "DENIED", "REJECTED",
                                                              "PREVENTED", "LOCKED"),
        "is_being_aggregated": member.is_being_aggregated,
        "successfully_aggregated_at": stamp(member.successfully_aggregated_at),
    }  # fmt: skip


def account_json(account: Account, member: Member, user: User) -> dict[str, Any]:
    owed = account.template.base.type == "credit"
    limit = data.CREDIT_LIMIT if owed else None
    return {
        "account_number": account.number[-4:],
        "account_ownership": "INDIVIDUAL",
        "apr": Decimal("24.99") if owed else None,
        "apy": None if owed else Decimal("0.50"),
        "available_balance": None if owed else money(account.available),
        "available_credit": money(account.available) if owed else None,
        "balance": money(account.balance),
        "created_at": stamp(account.created_at),
        "credit_limit": money(limit),
        "currency_code": "USD",
        "guid": account.guid,
        "id": None,
        "institution_code": member.institution_code,
        "institution_guid": data.guid("INS", member.institution_code),
        "is_closed": account.is_closed,
        "is_hidden": False,
        "is_manual": False,
        "member_guid": member.guid,
        "member_id": member.id,
        "member_is_managed_by_user": False,
        "metadata": None,
        "name": account.name,
        "nickname": None,
        "subtype": account.template.subtype,
        "type": account.template.type,
        "updated_at": stamp(account.updated_at),
        "user_guid": user.guid,
        "user_id": user.id,
    }


def transaction_json(account: Account, member: Member, user: User, row: data.Row) -> dict[str, Any]:
    day = row.date.isoformat()
    noon, created = f"{day}T12:00:00Z", f"{day}T18:52:36Z"  # what `stamp` writes, without strftime per row
    debit = row.type == "DEBIT"
    return {
        "account_guid": account.guid,
        "account_id": None,
        "amount": money(row.amount),
        "category": row.category,
        "category_guid": data.guid("CAT", row.category),
        "check_number_string": None,
        "created_at": created,
        "currency_code": "USD",
        "date": day,
        "description": row.description,
        "extended_transaction_type": None,
        "guid": row.guid,
        "id": None,
        "is_bill_pay": row.top_level_category == "Bills & Utilities",
        "is_direct_deposit": row.category == "Paycheck",
        "is_expense": debit and row.top_level_category != "Transfer",
        "is_fee": row.top_level_category == "Fees & Charges",
        "is_income": row.top_level_category == "Income",
        "is_international": None,
        "is_manual": False,
        "is_overdraft_fee": False,
        "is_payroll_advance": False,
        "is_recurring": None,
        "is_subscription": row.merchant in ("NETFLIX", "COMCAST"),
        "latitude": None,
        "localized_description": None,
        "localized_memo": None,
        "longitude": None,
        "member_guid": member.guid,
        "member_is_managed_by_user": False,
        "memo": None,
        "merchant_category_code": None,
        "merchant_guid": data.guid("MCH", row.merchant) if row.merchant else None,
        "merchant_location_guid": None,
        "metadata": None,
        "original_description": row.original_description,
        "posted_at": None if row.pending else noon,
        "status": "PENDING" if row.pending else "POSTED",
        "top_level_category": row.top_level_category,
        "transacted_at": noon,
        "type": row.type,
        "updated_at": created,
        "user_guid": user.guid,
        "user_id": user.id,
    }


def owner_json(account: Account, member: Member, owner: data.Owner) -> dict[str, Any]:
    return {
        "account_guid": account.guid, "address": owner.address, "city": owner.city, "country": "US",
        "email": owner.email, "first_name": owner.first_name, "guid": data.guid("ACO", account.guid),
        "last_name": owner.last_name, "member_guid": member.guid, "owner_name": owner.owner_name,
        "phone": owner.phone, "postal_code": owner.postal_code, "state": owner.state, "user_guid": member.user_guid,
    }  # fmt: skip


def account_number_json(account: Account, member: Member) -> dict[str, Any]:
    return {
        "account_guid": account.guid, "account_number": account.number, "guid": data.guid("ACN", account.guid),
        "institution_number": None, "loan_guarantor": None, "loan_reference_number": None,
        "member_guid": member.guid, "passed_validation": True, "routing_number": "091000019",
        "sequence_number": None, "transit_number": None, "user_guid": member.user_guid,
    }  # fmt: skip


def institution_json(institution: data.Institution) -> dict[str, Any]:
    return {
        "code": institution.code, "forgot_password_url": None, "forgot_username_url": None,
        "instructional_text": None, "instructional_text_steps": None, "is_disabled_by_client": False,
        "iso_country_code": "US", "medium_logo_url": None, "name": institution.name, "small_logo_url": None,
        "supports_account_identification": True, "supports_account_statement": False,
        "supports_account_verification": True, "supports_oauth": institution.is_oauth,
        "supports_tax_document": False, "supports_transaction_history": True, "trouble_signing_in_url": None,
        "url": "https://www.mx.com",
    }  # fmt: skip


def credentials_json(institution: data.Institution) -> list[dict[str, Any]]:
    return [
        {"display_order": 1, "field_name": "LOGIN", "field_type": "TEXT", "guid": data.guid("CRD", institution.code,
         "LOGIN"), "label": "Username", "type": "TEXT"},
        {"display_order": 2, "field_name": "PASSWORD", "field_type": "PASSWORD", "guid": data.guid(
            "CRD", institution.code, "PASSWORD"), "label": "Password", "type": "PASSWORD"},
    ]  # fmt: skip
