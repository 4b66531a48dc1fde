"""The emulator's deterministic world: the sandbox institution, its test user's accounts, owners and
transactions. The same seed always gives the same data; ids look like Plaid's (37 base62 characters).

    >>> accounts = seed_accounts("demo")
    >>> [a.subtype for a in accounts]
    ['checking', 'savings', 'credit card']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import string
from dataclasses import dataclass, field
from decimal import Decimal

SANDBOX_INSTITUTION_ID = "ins_109508"
# Plaid's sandbox institutions (and ``ins_3``, the id Plaid's own examples use): id -> name.
INSTITUTIONS: dict[str, str] = {
    "ins_109508": "First Platypus Bank",
    "ins_109509": "First Gingham Credit Union",
    "ins_109510": "Tattersall Federal Credit Union",
    "ins_109511": "Tartan Bank",
    "ins_109512": "Houndstooth Bank",
    "ins_130016": "First Platypus Balance Bank",
    "ins_43": "Tartan-Dominion Bank of Canada",
    "ins_127287": "Platypus OAuth Bank",
    "ins_132241": "First Platypus OAuth App2App Bank",
    "ins_116834": "Flexible Platypus Open Banking",
    "ins_117650": "Royal Bank of Plaid",
    "ins_135858": "Windowpane Bank",
    "ins_132363": "Unhealthy Platypus Bank - Degraded",
    "ins_132361": "Unhealthy Platypus Bank - Down",
    "ins_133402": "Unsupported Platypus Bank",
    "ins_3": "Chase",
}
# Where an institution isn't in the US (``/institutions/get_by_id`` needs its country in ``country_codes``).
INSTITUTION_COUNTRIES: dict[str, str] = {"ins_43": "CA", "ins_116834": "GB", "ins_117650": "GB"}
OAUTH_INSTITUTIONS = frozenset({"ins_127287", "ins_132241", "ins_116834", "ins_117650", "ins_3"})
GOOD_USERNAME = "user_good"
GOOD_PASSWORD = "pass_good"  # noqa: S105 - Plaid's published sandbox password, not a secret

_ALPHABET = string.ascii_letters + string.digits


def plaid_id(*parts: str, size: int = 37) -> str:
    """A deterministic Plaid-looking id derived from ``parts``."""
    digest = int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest(), "big")
    out = []
    for _ in range(size):
        digest, rem = divmod(digest, len(_ALPHABET))
        out.append(_ALPHABET[rem])
    return "".join(out)


@dataclass
class Account:
    account_id: str
    name: str
    official_name: str | None
    type: str
    subtype: str | None
    mask: str | None
    current: Decimal | None
    available: Decimal | None
    limit: Decimal | None
    currency: str = "USD"


def seed_accounts(seed: str) -> list[Account]:
    """Checking, savings and a credit card (whose ``available`` is null, as Plaid sometimes sends)."""
    return [
        Account(
            plaid_id(seed, "chk"),
            "Plaid Checking",
            "Plaid Gold Standard 0% Interest Checking",
            "depository",
            "checking",
            "0000",
            Decimal("110.00"),
            Decimal("100.00"),
            None,
        ),
        Account(
            plaid_id(seed, "sav"),
            "Plaid Saving",
            "Plaid Silver Standard 0.1% Interest Saving",
            "depository",
            "savings",
            "1111",
            Decimal("210.00"),
            Decimal("200.00"),
            None,
        ),
        Account(
            plaid_id(seed, "cc"),
            "Plaid Credit Card",
            "Plaid Diamond 12.5% APR Interest Credit Card",
            "credit",
            "credit card",
            "3333",
            Decimal("410.00"),
            None,
            Decimal("2000.00"),
        ),
    ]


@dataclass(frozen=True)
class Merchant:
    name: str
    description: str
    category: tuple[str, ...]
    category_id: str
    pfc: tuple[str, str]
    channel: str
    city: str | None
    region: str | None
    low: int  # cents
    high: int


MERCHANTS: tuple[Merchant, ...] = (
    Merchant(
        "Starbucks",
        "STARBUCKS STORE 1234",
        ("Food and Drink", "Restaurants", "Coffee Shop"),
        "13005043",
        ("FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE"),
        "in store",
        "Portland",
        "OR",
        350,
        900,
    ),
    Merchant(
        "Whole Foods",
        "WHOLEFDS PDX 10234",
        ("Shops", "Supermarkets and Groceries"),
        "19047000",
        ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES"),
        "in store",
        "Portland",
        "OR",
        1800,
        16000,
    ),
    Merchant(
        "Uber",
        "UBER 072515 SF**POOL**",
        ("Travel", "Taxi"),
        "22016000",
        ("TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES"),
        "online",
        None,
        None,
        600,
        4500,
    ),
    Merchant(
        "Amazon",
        "AMZN Mktp US*2K4LM",
        ("Shops", "Digital Purchase"),
        "19019000",
        ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"),
        "online",
        None,
        None,
        900,
        19000,
    ),
    Merchant(
        "Shell",
        "SHELL OIL 57444",
        ("Travel", "Gas Stations"),
        "22009000",
        ("TRANSPORTATION", "TRANSPORTATION_GAS"),
        "in store",
        "Beaverton",
        "OR",
        2500,
        7000,
    ),
    Merchant(
        "Netflix",
        "NETFLIX.COM",
        ("Service", "Subscription"),
        "18061000",
        ("ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES"),
        "online",
        None,
        None,
        1549,
        1549,
    ),
)

PAYROLL = Merchant(
    "Acme Corp",
    "ACME CORP PAYROLL",
    ("Transfer", "Payroll"),
    "21009000",
    ("INCOME", "INCOME_WAGES"),
    "other",
    None,
    None,
    250000,
    260000,
)


@dataclass
class Txn:
    """One transaction in the emulator's ledger (amount: Plaid's sign, positive = money out)."""

    transaction_id: str
    account_id: str
    amount: Decimal
    date: dt.date
    authorized_date: dt.date | None
    name: str
    merchant_name: str | None
    category: tuple[str, ...] | None
    category_id: str | None
    pfc: tuple[str, str] | None
    payment_channel: str
    city: str | None = None
    region: str | None = None
    pending: bool = False
    pending_transaction_id: str | None = None
    currency: str = "USD"
    # ledger bookkeeping: the change sequence numbers that created / last touched it
    created_seq: int = 0
    last_seq: int = 0
    removed: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def _cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def seed_transactions(
    seed: str, accounts: list[Account], today: dt.date, *, days: int = 90, count: int | None = None
) -> list[Txn]:
    """About three transactions a day over ``days`` days up to ``today`` (or exactly ``count`` spread
    over that window), oldest first; those of the last two days are pending."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data
    chk, _sav, cc = accounts[0], accounts[1], accounts[2]
    total = count if count is not None else days * 3
    out: list[Txn] = []
    for i in range(total):
        offset = days - 1 - (i * days) // max(total, 1)
        day = today - dt.timedelta(days=offset)
        if i % 14 == 13:
            merchant, account, sign = PAYROLL, chk, -1  # money in: negative in Plaid's convention
        else:
            merchant = MERCHANTS[rng.randrange(len(MERCHANTS))]
            account, sign = (cc if rng.random() < 0.7 else chk), 1
        amount = _cents(rng.randint(merchant.low, merchant.high)) * sign
        pending = offset < 2 and sign > 0
        out.append(
            Txn(
                transaction_id=plaid_id(seed, "txn", str(i)),
                account_id=account.account_id,
                amount=amount,
                date=day,
                authorized_date=day - dt.timedelta(days=1) if not pending else day,
                name=merchant.description,
                merchant_name=merchant.name,
                category=merchant.category,
                category_id=merchant.category_id,
                pfc=merchant.pfc,
                payment_channel=merchant.channel,
                city=merchant.city,
                region=merchant.region,
                pending=pending,
            )
        )
    return out


@dataclass(frozen=True)
class OwnerData:
    names: tuple[str, ...] = ("Alberta Bobbeth Charleson",)
    phone: str = "+1 415-555-0122"
    email: str = "accountholder0@example.com"
    street: str = "2992 Cameron Road"
    city: str = "Malakoff"
    region: str = "NY"
    postal_code: str = "14236"
    country: str = "US"


SANDBOX_OWNER = OwnerData()
