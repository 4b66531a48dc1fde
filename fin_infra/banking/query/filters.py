"""The filters, as plain functions over `Transaction`: the definition the indexed engine must agree with.

Filters compose with AND. ``min_amount``/``max_amount`` bound the **absolute** amount, bounds included;
``merchant_name`` is a Unicode case-insensitive (``casefold``) substring of the merchant name, or of the
description when a transaction has no merchant; ``category`` equals the top-level category or any
level of the category path exactly; ``exclude_pending`` drops pending transactions.

    >>> from fin_infra.models import Transaction
    >>> t = Transaction(id="t1", account_id="a1", amount="-12.50", date="2025-01-02",
    ...                 description="STARBUCKS #12", merchant_name="Starbucks", category="Food & Drink")
    >>> q = TransactionQuery.build("2025-01-01", "2025-01-31", min_amount=10, merchant_name="STAR")
    >>> matches(q, t)
    True
"""

from __future__ import annotations

from collections.abc import Iterable

from fin_infra.banking.query.value import TransactionQuery
from fin_infra.models import Transaction


def merchant_text(t: Transaction) -> str:
    """What ``merchant_name`` filters and ``sort_by=merchant`` look at: the merchant, else the description."""
    return t.merchant_name or t.description


def categories(t: Transaction) -> set[str]:
    """Every category value ``category=`` matches exactly: the top level and each level of the path."""
    out = set(t.category_path)
    if t.category is not None:
        out.add(t.category)
    return out


def in_fetch(q: TransactionQuery, t: Transaction) -> bool:
    """Whether ``t`` belongs to the range (and account) the query fetches."""
    return q.start_date <= t.date <= q.end_date and (q.account_id is None or t.account_id == q.account_id)


def matches(q: TransactionQuery, t: Transaction) -> bool:
    """Whether ``t`` passes every filter of ``q`` (range and account included)."""
    if not in_fetch(q, t):
        return False
    if q.exclude_pending and t.pending:
        return False
    size = abs(t.amount)
    if q.min_amount is not None and size < q.min_amount:
        return False
    if q.max_amount is not None and size > q.max_amount:
        return False
    if q.category is not None and q.category not in categories(t):
        return False
    return q.merchant_name is None or q.merchant_name.casefold() in merchant_text(t).casefold()


def filter_transactions(q: TransactionQuery, transactions: Iterable[Transaction]) -> list[Transaction]:
    """The transactions that pass every filter of ``q``, in their original order."""
    return [t for t in transactions if matches(q, t)]
