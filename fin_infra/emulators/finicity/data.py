"""Seeded, deterministic data for emulated Finicity customers: the same ids and day give the same rows.

Amounts follow Finicity's signs for every account type: deposits (and card payments or refunds)
positive, withdrawals, debits and card purchases negative. A liability's ``balance`` is negative while
money is owed (UNCONFIRMED: see the README).
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

# FinBank test institutions (ids from the notes; the second name is UNCONFIRMED)
INSTITUTIONS: dict[str, str] = {"101732": "FinBank", "102105": "FinBank Profiles - A"}
DEFAULT_INSTITUTION = "101732"


def number(*parts: object, digits: int = 10, lead: str = "") -> str:
    """A numeric id derived from ``parts`` (``lead`` fixes its first digits, like Finicity's 1005… customers)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    body = str(int(digest, 16))[: digits - len(lead)]
    return lead + body.rjust(digits - len(lead), "7")


@dataclass(frozen=True)
class AccountTemplate:
    name: str
    type: str  # Finicity's camelCase account type
    opening: Decimal  # depository: balance two years ago; credit: amount owed then


TEMPLATES: tuple[AccountTemplate, ...] = (
    AccountTemplate("Everyday Checking", "checking", Decimal("2450.00")),
    AccountTemplate("High Yield Savings", "savings", Decimal("8200.00")),
    AccountTemplate("Rewards Credit Card", "creditCard", Decimal("0.00")),
)

# (description, normalized payee, category, transaction type, low cents, high cents)
_SPENDING = (
    ("SQ *RIVERSIDE COFFEE", "Riverside Coffee", "Coffee Shops", "pointOfSale", 350, 1400),
    ("WHOLE FOODS MARKET #102", "Whole Foods", "Groceries", "pointOfSale", 2200, 14800),
    ("SHELL OIL 5744", "Shell", "Gas & Fuel", "pointOfSale", 2800, 7100),
    ("AMAZON MKTPLACE PMTS", "Amazon", "Shopping", "debit", 899, 15900),
    ("UBER *TRIP", "Uber", "Ride Share", "debit", 900, 4600),
    ("NETFLIX.COM", "Netflix", "Television", "debit", 1549, 1549),
    ("CVS/PHARMACY #0412", "CVS", "Pharmacy", "pointOfSale", 500, 5200),
    ("CHIPOTLE 1822", "Chipotle", "Restaurants", "pointOfSale", 1050, 2600),
    ("TARGET T-1123", "Target", "Shopping", "pointOfSale", 1200, 11800),
    ("COMCAST CABLE", "Comcast", "Internet", "directDebit", 7999, 7999),
)


@dataclass(frozen=True)
class Row:
    """A transaction before it is dressed in Finicity's JSON."""

    id: int
    date: dt.date
    amount: Decimal
    description: str
    type: str
    category: str
    payee: str
    pending: bool


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(low, high)) / 100).quantize(_CENTS)


_Draft = tuple[Decimal, str, str, str, str]  # amount, description, type, category, payee


def _day_rows(account_id: str, kind: str, day: dt.date, owed_last_month: Decimal) -> list[_Draft]:
    rng = random.Random(f"{account_id}|{day.isoformat()}")  # noqa: S311 - test data, not secrets
    out: list[_Draft] = []
    if kind == "creditCard":
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            desc, payee, cat, typ, low, high = rng.choice(_SPENDING)
            out.append((-_cents(rng, low, high), desc, typ, cat, payee))
        if rng.random() < 0.02:
            desc, payee, cat, _typ, low, high = rng.choice(_SPENDING)
            out.append((_cents(rng, low, max(low, min(high, 4000))), f"REFUND {desc}", "credit", cat, payee))
        if day.day == 25 and owed_last_month > 0:
            out.append((owed_last_month, "PAYMENT - THANK YOU", "payment", "Credit Card Payment", "Payment"))
        return out
    if kind == "savings":
        if day.day == 2:
            out.append((Decimal("250.00"), "TRANSFER FROM CHECKING", "transfer", "Transfer", "Transfer"))
        if day.day == 28:
            out.append((_cents(rng, 150, 900), "INTEREST PAYMENT", "interest", "Interest Income", "Interest"))
        if rng.random() < 0.01:
            out.append((-_cents(rng, 10000, 60000), "TRANSFER TO CHECKING", "transfer", "Transfer", "Transfer"))
        return out
    if (day - dt.date(2024, 1, 5)).days % 14 == 0:
        out.append((Decimal("1815.40"), "ACME CORP PAYROLL", "directDeposit", "Paycheck", "Acme Corp"))
    if day.day == 25:
        out.append((-_cents(rng, 60000, 140000), "CARD AUTOPAY", "payment", "Credit Card Payment", "Card Autopay"))
    if day.day == 1:
        out.append((Decimal("-1650.00"), "GREYSTAR RENT", "directDebit", "Mortgage & Rent", "Greystar"))
    if day.day == 2:
        out.append((Decimal("-250.00"), "TRANSFER TO SAVINGS", "transfer", "Transfer", "Transfer"))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        desc, payee, cat, typ, low, high = rng.choice(_SPENDING)
        out.append((-_cents(rng, low, high), desc, typ, cat, payee))
    if rng.random() < 0.03:
        out.append((Decimal("-60.00"), "ATM WITHDRAWAL 0931", "atm", "Cash & ATM", "ATM"))
    if rng.random() < 0.01:
        out.append((Decimal("-12.00"), "MONTHLY SERVICE FEE", "serviceCharge", "Service Fee", "FinBank"))
    if rng.random() < 0.04:
        out.append((_cents(rng, 1500, 9000), "ZELLE FROM J SMITH", "transfer", "Transfer", "J Smith"))
    return out


def generate(account_id: str, template: AccountTemplate, today: dt.date) -> tuple[list[Row], Decimal, Decimal]:
    """(rows oldest first, cleared balance, pending total) for one account over two years up to ``today``.

    For a card the cleared balance is negative: what is owed, in Finicity's sign.
    """
    start = today - dt.timedelta(days=HISTORY_DAYS)
    pending_from = today - dt.timedelta(days=PENDING_DAYS - 1)
    cleared = -template.opening if template.type == "creditCard" else template.opening
    pending_total = Decimal(0)
    this_month = last_month = Decimal(0)
    rows: list[Row] = []
    day = start
    while day <= today:
        if day.day == 1:
            last_month, this_month = this_month, Decimal(0)
        for n, (amount, desc, typ, cat, payee) in enumerate(_day_rows(account_id, template.type, day, last_month)):
            pending = day >= pending_from
            if template.type == "creditCard" and amount < 0:
                this_month -= amount
            if pending:
                pending_total += amount
            else:
                cleared += amount
            row_id = int(number(account_id, day.isoformat(), n, digits=11, lead="2"))
            rows.append(Row(row_id, day, amount, desc, typ, cat, payee, pending))
        day += dt.timedelta(days=1)
    return rows, cleared, pending_total


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    line1: str
    city: str
    state: str
    postal_code: str
    phone: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


_FIRST = ("Dana", "Jordan", "Alex", "Sam", "Riley", "Casey", "Morgan", "Taylor")
_LAST = ("Whitfield", "Nakamura", "Okafor", "Lindqvist", "Morales", "Brennan", "Halvorsen", "Patel")
_PLACES = (("Portland", "OR", "97214"), ("Austin", "TX", "78704"), ("Denver", "CO", "80205"),
           ("Madison", "WI", "53703"))  # fmt: skip


def person(seed: str) -> Person:
    """The account holder of a customer."""
    rng = random.Random(f"person|{seed}")  # noqa: S311 - test data
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, state, postal = rng.choice(_PLACES)
    return Person(first, last, f"{rng.randint(10, 9999)} Alder Ln", city, state, postal,
                  f"1-503-555-{rng.randint(1000, 9999)}", f"{first.lower()}.{last.lower()}@example.net")  # fmt: skip
