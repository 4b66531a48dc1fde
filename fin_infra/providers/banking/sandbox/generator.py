"""Deterministic sandbox data: the same seed and day always give the same transactions.

Each day's transactions are drawn from a random generator seeded by (user seed, day), so a date's
data never changes however the window moves; the window is the two years up to today.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from fin_infra.models import Address, BankAccount, Identity, Owner, Transaction
from fin_infra.providers.banking.sandbox.catalogue import (
    ACCOUNT_TEMPLATES,
    BILLS,
    CITIES,
    CREDIT_LIMIT,
    FIRST_NAMES,
    LAST_NAMES,
    MERCHANTS,
    PAYCHECK_CENTS,
    PAYROLL,
    STREETS,
    AccountTemplate,
    Institution,
)

HISTORY_DAYS = 730
PENDING_DAYS = 2  # transactions of today and yesterday are still pending
_PAYDAY_ANCHOR = dt.date(2024, 1, 5)  # a Friday; paydays every other Friday from here
_CENTS = Decimal("0.01")


def _digest(*parts: str, size: int = 20) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:size]


def _cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(_CENTS)


@dataclass(frozen=True)
class _Row:
    """A transaction before it's dated relative to today (pending is decided at read time)."""

    key: str
    amount: Decimal
    description: str
    merchant: str | None
    category: str
    subcategory: str


def account_id(seed: str, template: AccountTemplate) -> str:
    return "acc_" + _digest(seed, "account", template.key)


# Generated rows are kept for recent (seed, day) pairs: a user's balances and transactions share them.
# Bounded well below "every day of every user ever seen" (about 10 user-years each).
_ROW_CACHE = 4096


@lru_cache(maxsize=_ROW_CACHE)
def _day(seed: str, day: dt.date) -> tuple[_Row, ...]:
    rows = list(_spending(seed, day))
    if day.day == 25:  # the card is paid in full: last month's charges
        owed = -sum((r.amount for r in _month_card_charges(seed, _previous_month(day))), Decimal(0))
        if owed > 0:
            rows.append(_Row("chk", -owed, "CAPITAL CARD SERVICES AUTOPAY", None, "Transfer", "Credit Card Payment"))
            rows.append(_Row("cc", owed, "AUTOPAY PAYMENT - THANK YOU", None, "Transfer", "Credit Card Payment"))
    return tuple(rows)


@lru_cache(maxsize=_ROW_CACHE)
def _spending(seed: str, day: dt.date) -> tuple[_Row, ...]:
    rng = random.Random(f"{seed}|{day.isoformat()}")  # noqa: S311 - reproducible fake data, not secrets
    rows: list[_Row] = []
    store = rng.randint(100, 9999)
    for m in MERCHANTS:
        if rng.random() < m.weekly_rate / 7:
            key = "cc" if rng.random() < 0.75 else "chk"
            amount = -_cents(rng.randint(m.low, m.high))
            rows.append(_Row(key, amount, m.description.format(n=store), m.name, m.category, m.subcategory))
    last = calendar.monthrange(day.year, day.month)[1]
    for name, desc, cat, sub, dom, low, high, key in BILLS:
        if day.day == min(dom, last):
            rows.append(_Row(key, -_cents(rng.randint(low, high)), desc, name, cat, sub))
    if (day - _PAYDAY_ANCHOR).days % 14 == 0:
        rows.append(_Row("chk", _cents(rng.randint(*PAYCHECK_CENTS)), PAYROLL[1], PAYROLL[0], PAYROLL[2], PAYROLL[3]))
    if day.day == 2:
        rows.append(_Row("chk", Decimal("-1000.00"), "ONLINE TRANSFER TO SAVINGS", None, "Transfer", "Savings"))
        rows.append(_Row("sav", Decimal("1000.00"), "ONLINE TRANSFER FROM CHECKING", None, "Transfer", "Savings"))
    if day.day == last:
        rows.append(_Row("sav", _cents(rng.randint(1800, 4200)), "INTEREST PAYMENT", None, "Income", "Interest"))
    return tuple(rows)


def _previous_month(day: dt.date) -> dt.date:
    first = day.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _month_card_charges(seed: str, first: dt.date) -> list[_Row]:
    days = calendar.monthrange(first.year, first.month)[1]
    rows: list[_Row] = []
    for i in range(days):
        rows.extend(r for r in _spending(seed, first + dt.timedelta(days=i)) if r.key == "cc" and r.amount < 0)
    return rows


@dataclass(frozen=True)
class SandboxUser:
    """One sandbox user at one institution: accounts, transactions, identity, all from ``seed``."""

    seed: str
    institution: Institution
    today: dt.date

    @property
    def window_start(self) -> dt.date:
        return self.today - dt.timedelta(days=HISTORY_DAYS)

    def templates(self) -> tuple[AccountTemplate, ...]:
        return ACCOUNT_TEMPLATES

    def accounts(self) -> list[BankAccount]:
        out = []
        balances = self.balances()
        for t in self.templates():
            acc_id = account_id(self.seed, t)
            current, available = balances[acc_id]
            out.append(
                BankAccount(
                    id=acc_id,
                    name=t.name,
                    official_name=t.official_name,
                    type=t.type,
                    subtype=t.subtype,
                    mask=str(int(_digest(self.seed, "mask", t.key), 16) % 10000).zfill(4),
                    balance=current,
                    available_balance=available,
                    currency="USD",
                    institution_id=self.institution.id,
                    institution_name=self.institution.name,
                )
            )
        return out

    def transactions(self, start: dt.date, end: dt.date) -> list[Transaction]:
        start = max(start, self.window_start)
        end = min(end, self.today)
        ids = {t.key: account_id(self.seed, t) for t in self.templates()}
        pending_from = self.today - dt.timedelta(days=PENDING_DAYS - 1)
        out: list[Transaction] = []
        day = end
        build = Transaction
        while day >= start:
            iso = day.isoformat()
            pending = day >= pending_from
            for i, row in enumerate(_day(self.seed, day)):
                out.append(
                    build(
                        id="txn_" + _digest(self.seed, iso, str(i)),
                        account_id=ids[row.key],
                        amount=row.amount,
                        date=day,
                        description=row.description,
                        merchant_name=row.merchant,
                        category=row.category,
                        category_path=[row.category, row.subcategory],
                        pending=pending and row.category != "Income",
                        currency="USD",
                    )
                )
            day -= dt.timedelta(days=1)
        return out

    def daily_balances(self, acc_id: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, Decimal]]:
        """Closing ledger balance of one account for each day in range (amount owed for credit)."""
        template = next(t for t in self.templates() if account_id(self.seed, t) == acc_id)
        if template.type == "credit":
            return [(d, card_owed(self.seed, d)) for d in _days(max(start, self.window_start), min(end, self.today))]
        balance = Decimal(template.opening_balance)
        out = []
        day = self.window_start
        while day <= min(end, self.today):
            balance += sum((r.amount for r in _day(self.seed, day) if r.key == template.key), Decimal(0))
            if day >= start:
                out.append((day, balance))
            day += dt.timedelta(days=1)
        return out

    def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(current, available) per account id; pending transactions move only ``available``."""
        return _balances(self.seed, self.today)

    def identity(self) -> Identity:
        rng = random.Random(f"{self.seed}|identity")  # noqa: S311 - reproducible fake data
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, region, zip_prefix = rng.choice(CITIES)
        address = Address(
            street=f"{rng.randint(12, 4999)} {rng.choice(STREETS)}",
            city=city,
            region=region,
            postal_code=f"{zip_prefix}{rng.randint(0, 99):02d}",
            country="US",
        )
        email = f"{first.lower()}.{last.lower()}@example.com"
        phone = f"+1415555{rng.randint(100, 199):04d}"
        owner = Owner(
            name=f"{first} {last}",
            email=email,
            phone=phone,
            address=address,
            names=[f"{first} {last}"],
            emails=[email],
            phones=[phone],
            addresses=[address],
        )
        return Identity(owners=[owner], account_ids=[account_id(self.seed, t) for t in self.templates()])


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def card_owed(seed: str, day: dt.date, *, posted_before: dt.date | None = None) -> Decimal:
    """What the card owes at the end of ``day``: the charges of this month so far, plus last month's
    until the autopay on the 25th clears them (charges on or after ``posted_before`` left out)."""
    first = day.replace(day=1)
    since = first if day.day >= 25 else _previous_month(day)
    owed = Decimal(0)
    for d in _days(since, day):
        if posted_before is not None and d >= posted_before:
            break
        owed -= sum((r.amount for r in _spending(seed, d) if r.key == "cc" and r.amount < 0), Decimal(0))
    return owed


@lru_cache(maxsize=256)
def _balances(seed: str, today: dt.date) -> dict[str, tuple[Decimal, Decimal]]:
    pending_from = today - dt.timedelta(days=PENDING_DAYS - 1)
    out = {}
    for t in ACCOUNT_TEMPLATES:
        if t.type == "credit":
            current = card_owed(seed, today, posted_before=pending_from)
            pending = card_owed(seed, today) - current
            out[account_id(seed, t)] = (current, Decimal(CREDIT_LIMIT) - current - pending)
            continue
        current = Decimal(t.opening_balance)
        pending = Decimal(0)
        day = today - dt.timedelta(days=HISTORY_DAYS)
        while day <= today:
            for r in _day(seed, day):
                if r.key != t.key:
                    continue
                if day >= pending_from and r.category != "Income":
                    pending += r.amount
                else:
                    current += r.amount
            day += dt.timedelta(days=1)
        out[account_id(seed, t)] = (current, current + pending)
    return out
