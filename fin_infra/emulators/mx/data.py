"""Seeded, deterministic MX data: institutions, sandbox credentials, accounts, transactions, owners.

The same seed and day give the same rows. Transactions come from the Teller emulator's generator
(`fin_infra.emulators.teller.data`: payroll, rent, card spending, card payments, fees, transfers, the
last two days pending), re-dressed in MX's terms: a positive ``amount`` with ``type`` DEBIT (money out
of the account; a card purchase) or CREDIT (money in; a deposit, a card payment), MX's category
taxonomy, a cleaned ``description`` next to the ``original_description``.

    >>> guid("ACT", "seed", 1)[:4]
    'ACT-'
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from fin_infra.emulators.teller import data as shared

HISTORY_DAYS = shared.HISTORY_DAYS
CREDIT_LIMIT = shared.CREDIT_LIMIT
SANDBOX_USERNAME = "mxuser"
CORRECT_ANSWER = "correct"


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    is_oauth: bool = False


INSTITUTIONS: dict[str, Institution] = {
    "mxbank": Institution("mxbank", "MX Bank"),
    # The OAuth test institutions' codes are UNCONFIRMED: these are our choice.
    "mxcu_oauth": Institution("mxcu_oauth", "MXCU (OAuth)", is_oauth=True),
    "mxbank_oauth": Institution("mxbank_oauth", "MX Bank (OAuth)", is_oauth=True),
}

# Every connection_status the emulator can put a member in, with the id MX gives it (0-5 documented; the rest
# and their ids UNCONFIRMED) and the message it shows.
CONNECTION_STATUSES: dict[str, tuple[int, str]] = {
    "CREATED": (0, "Connecting to MX Bank..."),
    "PREVENTED": (1, "MX is prevented from connecting: the credentials were refused too many times."),
    "DENIED": (2, "The credentials entered are incorrect."),
    "CHALLENGED": (3, "Please answer the following challenge(s)."),
    "REJECTED": (4, "The answer to the challenge was incorrect."),
    "LOCKED": (5, "Your account is locked: please log in to your institution's website."),
    "CONNECTED": (6, "Connected to MX Bank."),
    "IMPEDED": (7, "There is a message at your institution that needs your attention."),
    "RECONNECTED": (8, "Reconnected to MX Bank."),
    "DEGRADED": (9, "The connection to MX Bank is degraded."),
    "DISCONNECTED": (10, "MX Bank is not responding right now."),
    "DISCONTINUED": (11, "MX no longer supports this institution."),
    "CLOSED": (12, "This connection has been closed."),
    "DELAYED": (13, "Aggregation is taking longer than usual."),
    "FAILED": (14, "Aggregation failed: try again later."),
    "UPDATED": (15, "The connection was updated."),
    "DISABLED": (16, "Aggregation is disabled for this institution."),
    "IMPORTED": (17, "Imported."),
    "RESUMED": (18, "Aggregation resumed."),
    "EXPIRED": (19, "The connection expired: please log in again."),
    "IMPAIRED": (20, "The connection is impaired: please log in again."),
    "PENDING": (21, "Waiting for the institution."),
}

# The states MX sends a CONNECTION_STATUS webhook for (documented list).
WEBHOOK_STATUSES = frozenset(
    {"CHALLENGED", "DENIED", "EXPIRED", "IMPAIRED", "IMPEDED", "LOCKED", "PREVENTED", "REJECTED"}
)


def login_outcome(username: str, password: str) -> tuple[str, str | None]:
    """(connection_status, challenge type or None) for a sandbox login at ``mxbank``.

    Documented: ``challenge`` / ``options`` / ``image`` -> CHALLENGED (TEXT / OPTIONS / IMAGE MFA),
    ``BAD_REQUEST`` -> FAILED, anything else -> CONNECTED. UNCONFIRMED (our choice): ``UNAUTHORIZED`` and
    ``INVALID`` -> DENIED, a username other than ``mxuser`` -> DENIED, and any other status name as the password
    (``LOCKED``, ``EXPIRED``, ``IMPEDED``, ...) -> that status.
    """
    if username != SANDBOX_USERNAME:
        return "DENIED", None
    challenges = {"challenge": "TEXT", "options": "OPTIONS", "image": "IMAGE_DATA"}
    if password in challenges:
        return "CHALLENGED", challenges[password]
    if password == "BAD_REQUEST":  # noqa: S105 - a sandbox password, not a secret
        return "FAILED", None
    if password in ("UNAUTHORIZED", "INVALID"):
        return "DENIED", None
    if password in CONNECTION_STATUSES and password not in ("CREATED", "CHALLENGED"):
        return password, None
    return "CONNECTED", None


@functools.lru_cache(maxsize=8192)
def guid(prefix: str, *parts: object) -> str:
    """A GUID shaped like MX's (``ACT-6f1c2a90-3b7d-4e21-9c55-0d8e7f6a5b41``), derived from ``parts``."""
    h = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"{prefix}-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass(frozen=True)
class AccountTemplate:
    """An MX account type and the shared generator's template behind it."""

    type: str
    subtype: str
    base: shared.AccountTemplate


TEMPLATES: tuple[AccountTemplate, ...] = (
    AccountTemplate("CHECKING", "NONE", shared.AccountTemplate("Everyday Checking", "depository", "checking",
                                                               Decimal("2450.00"))),
    AccountTemplate("SAVINGS", "NONE", shared.AccountTemplate("High Yield Savings", "depository", "savings",
                                                              Decimal("8200.00"))),
    AccountTemplate("CREDIT_CARD", "NONE", shared.AccountTemplate("Rewards Visa", "credit", "credit_card",
                                                                  Decimal("0.00"))),
)  # fmt: skip

# shared category -> (MX category, MX top-level category)
CATEGORIES: dict[str, tuple[str, str]] = {
    "dining": ("Restaurants", "Food & Dining"),
    "groceries": ("Groceries", "Food & Dining"),
    "fuel": ("Gas", "Auto & Transport"),
    "shopping": ("General Merchandise", "Shopping"),
    "transportation": ("Rental Car & Taxi", "Auto & Transport"),
    "entertainment": ("Movies & DVDs", "Entertainment"),
    "health": ("Pharmacy", "Health & Fitness"),
    "utilities": ("Television", "Bills & Utilities"),
    "income": ("Paycheck", "Income"),
    "home": ("Mortgage & Rent", "Home"),
    "loan": ("Credit Card Payment", "Transfer"),
    "general": ("Transfer", "Transfer"),
    "service": ("Bank Fee", "Fees & Charges"),
}


@dataclass(frozen=True)
class Row:
    """A transaction in MX's terms, before it is dressed as JSON."""

    guid: str
    date: dt.date
    amount: Decimal  # positive
    type: str  # DEBIT | CREDIT
    pending: bool
    description: str
    original_description: str
    category: str
    top_level_category: str
    merchant: str | None


def transactions(account_guid: str, template: AccountTemplate, today: dt.date) -> tuple[list[Row], Decimal, Decimal]:
    """(rows newest first, posted balance, pending total in the account's own sign) for one account.

    Depository: money out is a DEBIT. Credit card: a charge (what is owed goes up) is a DEBIT, a payment
    or refund a CREDIT; the balance is the amount owed.
    """
    rows, ledger, pending = shared.generate(account_guid, template.base, today)
    owed = template.base.type == "credit"
    out = []
    for r in rows:
        debit = r.amount > 0 if owed else r.amount < 0
        category, top = CATEGORIES.get(r.category or "general", ("Uncategorized", "Uncategorized"))
        if "COFFEE" in r.description:
            category = "Coffee Shops"
        merchant = r.counterparty if r.counterparty_type == "organization" else None
        out.append(
            Row(
                guid=guid("TRN", r.id),
                date=r.date,
                amount=abs(r.amount),
                type="DEBIT" if debit else "CREDIT",
                pending=r.pending,
                description=(merchant or r.description).title(),
                original_description=r.description,
                category=category,
                top_level_category=top,
                merchant=merchant,
            )
        )
    return out, ledger, pending


@dataclass(frozen=True)
class Owner:
    first_name: str
    last_name: str
    owner_name: str
    address: str
    city: str
    state: str
    postal_code: str
    phone: str
    email: str


def owner(seed: str) -> Owner:
    """The account holder of a member (the shared generator's person, in MX's fields)."""
    p = shared.person(seed)
    first, *_, last = p.name.split()
    phone = f"{p.phone[:3]}-{p.phone[3:6]}-{p.phone[6:]}"
    return Owner(first.title(), last.title(), p.name.title(), p.street.title(), p.city.title(), p.region,
                 f"{p.postal_code}-0000", phone, p.email)  # fmt: skip
