"""Teller's JSON for accounts and transactions, shared by the API (`app.py`) and webhook payloads.

    >>> money(Decimal("-12.5"))
    '-12.50'
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # models imports this module for webhook payloads
    from fin_infra.emulators.teller.data import Row
    from fin_infra.emulators.teller.models import Account, Enrollment


def money(value: Decimal | None) -> str | None:
    """Teller writes amounts as decimal strings with two places."""
    return None if value is None else f"{value:.2f}"


def account_json(base: str, account: Account, enrollment: Enrollment) -> dict[str, Any]:
    """An Account object; ``links`` only for what the account can do (a closed one keeps ``self``)."""
    url = f"{base}/accounts/{account.id}"
    links = {"self": url, "balances": f"{url}/balances", "transactions": f"{url}/transactions"}
    if account.template.type == "depository":
        links["details"] = f"{url}/details"
    return {
        "id": account.id,
        "enrollment_id": account.enrollment_id,
        "name": account.name,
        "type": account.template.type,
        "subtype": account.template.subtype,
        "status": account.status,
        "currency": "USD",
        "last_four": account.last_four,
        "institution": {"id": enrollment.institution_id, "name": enrollment.institution_name},
        "links": {k: v for k, v in links.items() if account.status == "open" or k == "self"},
    }


def transaction_json(base: str, account: Account, row: Row) -> dict[str, Any]:
    """A Transaction object (``running_balance`` only on posted depository rows)."""
    url = f"{base}/accounts/{account.id}"
    return {
        "id": row.id,
        "account_id": account.id,
        "amount": money(row.amount),
        "date": row.date.isoformat(),
        "description": row.description,
        "status": "pending" if row.pending else "posted",
        "type": row.type,
        "running_balance": money(row.running_balance),
        "details": {
            # enrichment status, not the transaction's: Teller's recorded pending rows say "complete" too
            "processing_status": "complete",
            "category": row.category,
            "counterparty": {"name": row.counterparty, "type": row.counterparty_type},
        },
        "links": {"self": f"{url}/transactions/{row.id}", "account": url},
    }
