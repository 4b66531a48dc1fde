"""Seeded, deterministic data for emulated enrollments: the same seed and day give the same rows.

Amounts follow Teller's signs: depository money out negative; credit-card charges positive and
payments negative (what the card owes goes up with a positive amount).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal

HISTORY_DAYS = 730
PENDING_DAYS = 2  # today's and yesterday's transactions are still pending
CREDIT_LIMIT = Decimal("5000.00")
_CENTS = Decimal("0.01")

INSTITUTIONS: dict[str, str] = {
    "security_cu": "Security Credit Union",
    "chase": "Chase",
    "bank_of_america": "Bank of America",
    "wells_fargo": "Wells Fargo",
    "citibank": "Citibank",
    "capital_one": "Capital One",
}

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def teller_id(prefix: str, *parts: object) -> str:
    """An id shaped like Teller's (``acc_oiin624kqjrg2mp2ea000``), derived from ``parts``."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return prefix + "_" + "".join(_ALPHABET[b % 36] for b in digest[:18]) + "000"


@dataclass(frozen=True)
class AccountTemplate:
    name: str
    type: str
    subtype: str
    opening: Decimal  # depository: balance two years ago; credit: amount owed then


TEMPLATES: tuple[AccountTemplate, ...] = (
    AccountTemplate("My Checking", "depository", "checking", Decimal("2450.00")),
    AccountTemplate("Essential Savings", "depository", "savings", Decimal("8200.00")),
    AccountTemplate("Platinum Card", "credit", "credit_card", Decimal("0.00")),
)

# (description, counterparty, category, low cents, high cents)
_SPENDING = (
    ("SQ *RIVERSIDE COFFEE", "RIVERSIDE COFFEE", "dining", 350, 1400),
    ("WHOLE FOODS MARKET", "WHOLE FOODS", "groceries", 2200, 14800),
    ("SHELL OIL 5744", "SHELL", "fuel", 2800, 7100),
    ("AMAZON MKTPLACE PMTS", "AMAZON", "shopping", 899, 15900),
    ("UBER *TRIP", "UBER", "transportation", 900, 4600),
    ("NETFLIX.COM", "NETFLIX", "entertainment", 1549, 1549),
    ("CVS/PHARMACY #0412", "CVS", "health", 500, 5200),
    ("CHIPOTLE 1822", "CHIPOTLE", "dining", 1050, 2600),
    ("TARGET T-1123", "TARGET", "shopping", 1200, 11800),
    ("COMCAST CABLE", "COMCAST", "utilities", 7999, 7999),
)


@dataclass(frozen=True)
class Row:
    """A transaction before it is dressed in Teller's JSON."""

    id: str
    date: dt.date
    amount: Decimal
    description: str
    type: str
    category: str | None
    counterparty: str | None
    counterparty_type: str | None
    running_balance: Decimal | None
    pending: bool


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(low, high)) / 100).quantize(_CENTS)


# (amount, description, type, category, counterparty name, counterparty type)
_Draft = tuple[Decimal, str, str, str | None, str | None, str | None]


def _day_rows(account_id: str, kind: str, subtype: str, day: dt.date, owed_last_month: Decimal) -> list[_Draft]:
    rng = random.Random(f"{account_id}|{day.isoformat()}")  # noqa: S311 - test data, not secrets
    out: list[_Draft] = []
    if kind == "credit":
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            desc, who, cat, low, high = rng.choice(_SPENDING)
            out.append((_cents(rng, low, high), desc, "card_payment", cat, who, "organization"))
        if rng.random() < 0.02:
            desc, who, cat, low, high = rng.choice(_SPENDING)
            refund = -_cents(rng, low, max(low, min(high, 4000)))
            out.append((refund, f"REFUND {desc}", "card_payment", cat, who, "organization"))
        if day.day == 25 and owed_last_month > 0:
            out.append((-owed_last_month, "PAYMENT - THANK YOU", "payment", "general", None, None))
        return out
    if subtype == "savings":
        if day.day == 2:
            out.append((Decimal("250.00"), "TRANSFER FROM CHECKING", "transfer", "general", None, None))
        if day.day == 28:
            out.append((_cents(rng, 150, 900), "INTEREST PAYMENT", "credit", "income", None, None))
        if rng.random() < 0.01:
            out.append((-_cents(rng, 10000, 60000), "TRANSFER TO CHECKING", "transfer", "general", None, None))
        return out
    if (day - dt.date(2024, 1, 5)).days % 14 == 0:
        out.append((Decimal("1815.40"), "ACME CORP PAYROLL", "transfer", "income", "ACME CORP", "organization"))
    if day.day == 25:
        out.append((-_cents(rng, 60000, 140000), "CARD AUTOPAY", "payment", "loan", None, None))
    if day.day == 1:
        out.append((Decimal("-1650.00"), "GREYSTAR RENT", "payment", "home", "GREYSTAR", "organization"))
    if day.day == 2:
        out.append((Decimal("-250.00"), "TRANSFER TO SAVINGS", "transfer", "general", None, None))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        desc, who, cat, low, high = rng.choice(_SPENDING)
        out.append((-_cents(rng, low, high), desc, "card_payment", cat, who, "organization"))
    if rng.random() < 0.03:
        out.append((Decimal("-60.00"), "ATM WITHDRAWAL 0931", "atm", "general", None, None))
    if rng.random() < 0.01:
        out.append((Decimal("-12.00"), "MONTHLY SERVICE FEE", "fee", "service", None, None))
    if rng.random() < 0.04:
        out.append((_cents(rng, 1500, 9000), "ZELLE FROM J SMITH", "transfer", "general", "J SMITH", "person"))
    return out


def generate(account_id: str, template: AccountTemplate, today: dt.date) -> tuple[list[Row], Decimal, Decimal]:
    """(rows newest first, ledger, pending total) for one account over the two years up to ``today``."""
    start = today - dt.timedelta(days=HISTORY_DAYS)
    pending_from = today - dt.timedelta(days=PENDING_DAYS - 1)
    ledger = template.opening
    pending_total = Decimal(0)
    charges_this_month = Decimal(0)
    charges_last_month = Decimal(0)
    rows: list[Row] = []
    day = start
    while day <= today:
        if day.day == 1:
            charges_last_month, charges_this_month = charges_this_month, Decimal(0)
        for n, (amount, desc, kind, cat, who, who_type) in enumerate(
            _day_rows(account_id, template.type, template.subtype, day, charges_last_month)
        ):
            pending = day >= pending_from
            if template.type == "credit" and amount > 0:
                charges_this_month += amount
            if pending:
                pending_total += amount
                running = None
            else:
                ledger += amount
                running = ledger if template.type == "depository" else None
            rows.append(
                Row(teller_id("txn", account_id, day.isoformat(), n), day, amount, desc, kind, cat, who, who_type,
                    running, pending)
            )
        day += dt.timedelta(days=1)
    rows.reverse()
    return rows, ledger, pending_total


@dataclass(frozen=True)
class Person:
    name: str
    street: str
    city: str
    region: str
    postal_code: str
    phone: str
    email: str


_FIRST = ("DANA", "JORDAN", "ALEX", "SAM", "RILEY", "CASEY", "MORGAN", "TAYLOR")
_LAST = ("WHITFIELD", "NAKAMURA", "OKAFOR", "LINDQVIST", "MORALES", "BRENNAN", "HALVORSEN", "PATEL")
_PLACES = (
    ("PORTLAND", "OR", "97214"), ("AUSTIN", "TX", "78704"), ("DENVER", "CO", "80205"), ("MADISON", "WI", "53703"),
)


def person(seed: str) -> Person:
    """The account holder of an enrollment."""
    rng = random.Random(f"person|{seed}")  # noqa: S311 - test data
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, region, postal = rng.choice(_PLACES)
    return Person(
        name=f"{first} {chr(rng.randint(65, 90))} {last}",
        street=f"{rng.randint(10, 9999)} ALDER LN",
        city=city,
        region=region,
        postal_code=postal,
        phone=f"503555{rng.randint(1000, 9999)}",
        email=f"{first.lower()}.{last.lower()}@example.net",
    )
