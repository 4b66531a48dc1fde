"""Sorting, as plain functions over `Transaction`: a total order, so paging never repeats or skips.

``sort_by`` picks the primary key: ``date``; ``amount`` (the **absolute** amount, like the amount
filters, so ``sort_by=amount&sort_order=desc`` lists the largest purchases and deposits first);
``merchant`` (the casefolded merchant name, else description). Ties are broken by transaction id,
then by the position the provider returned it in; ``desc`` is exactly the reverse of ``asc``.

    >>> from fin_infra.models import Transaction
    >>> a = Transaction(id="a", account_id="x", amount="-5", date="2025-01-02", description="A")
    >>> b = Transaction(id="b", account_id="x", amount="7", date="2025-01-01", description="B")
    >>> [t.id for t in sort_transactions([a, b], "amount", "desc")]
    ['b', 'a']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fin_infra.banking.query.filters import merchant_text
from fin_infra.banking.query.value import SortBy, SortOrder
from fin_infra.models import Transaction


def _date(t: Transaction) -> Any:
    return t.date


def _amount(t: Transaction) -> Any:
    return abs(t.amount)


def _merchant(t: Transaction) -> Any:
    return merchant_text(t).casefold()


PRIMARY_KEYS: dict[str, Callable[[Transaction], Any]] = {"date": _date, "amount": _amount, "merchant": _merchant}
"""``sort_by`` value -> the primary sort key of one transaction."""


def sort_transactions(transactions: Sequence[Transaction], sort_by: SortBy, sort_order: SortOrder) -> list[Transaction]:
    """``transactions`` in the query's total order (primary key, then id, then original position)."""
    primary = PRIMARY_KEYS[sort_by]
    order = sorted(range(len(transactions)), key=lambda i: (primary(transactions[i]), transactions[i].id, i))
    if sort_order == "desc":
        order.reverse()
    return [transactions[i] for i in order]
