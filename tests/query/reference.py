"""The plain reference the query layer is checked against: the issue's rules, written out loop by loop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fin_infra.banking.query import TransactionQuery
from fin_infra.models import Transaction


def reference_result(txns: Sequence[Transaction], q: TransactionQuery) -> list[Transaction]:
    """Every match of ``q`` in its order (no paging)."""
    kept: list[tuple[int, Transaction]] = []
    for position, t in enumerate(txns):
        if t.date < q.start_date or t.date > q.end_date:
            continue
        if q.account_id is not None and t.account_id != q.account_id:
            continue
        if q.exclude_pending and t.pending:
            continue
        size = -t.amount if t.amount < 0 else t.amount
        if q.min_amount is not None and size < q.min_amount:
            continue
        if q.max_amount is not None and size > q.max_amount:
            continue
        if q.category is not None and q.category != t.category and q.category not in t.category_path:
            continue
        shown = t.merchant_name if t.merchant_name else t.description
        if q.merchant_name is not None and q.merchant_name.casefold() not in shown.casefold():
            continue
        kept.append((position, t))

    def key(item: tuple[int, Transaction]) -> tuple[Any, str, int]:
        position, t = item
        if q.sort_by == "date":
            primary: Any = t.date
        elif q.sort_by == "amount":
            primary = abs(t.amount)
        else:
            primary = (t.merchant_name if t.merchant_name else t.description).casefold()
        return (primary, t.id, position)

    kept.sort(key=key, reverse=q.sort_order == "desc")
    return [t for _, t in kept]


def reference_page(txns: Sequence[Transaction], q: TransactionQuery) -> tuple[list[Transaction], int]:
    """(the page ``q`` asks for, total matches)."""
    everything = reference_result(txns, q)
    if q.page_size is None:
        return (everything if q.page == 1 else []), len(everything)
    start = (q.page - 1) * q.page_size
    return everything[start : start + q.page_size], len(everything)
