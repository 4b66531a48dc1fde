"""Transactions of several connections as one list: filtered, sorted and paged together, each row
tagged with its ``connection_id``; page links keep every parameter (``connection_id`` included)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from fin_infra._json import dumps
from fin_infra.banking.query.filters import filter_transactions
from fin_infra.banking.query.index import TransactionIndex
from fin_infra.banking.query.paging import page_bounds, total_pages
from fin_infra.banking.query.sorting import sort_transactions
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.models import Transaction


def tagged(connection_id: str, t: Transaction) -> str:
    return '{"connection_id":' + dumps(connection_id) + "," + dumps(t)[1:]


def merged_page(q: TransactionQuery, parts: Sequence[tuple[str, TransactionIndex]]) -> tuple[list[str], int]:
    """(JSON of the page's transactions, total matching) over every connection's fetched range."""
    owner: dict[int, str] = {}
    matching: list[Transaction] = []
    for connection_id, index in parts:
        for t in filter_transactions(q, index.transactions):
            owner[id(t)] = connection_id
            matching.append(t)
    ordered = sort_transactions(matching, q.sort_by, q.sort_order)
    lo, hi = page_bounds(q.page, q.page_size, len(ordered))
    return [tagged(owner[id(t)], t) for t in ordered[lo:hi]], len(ordered)


def page_body(items: list[str], total: int, q: TransactionQuery, path: str, extra: dict[str, str]) -> str:
    pages = total_pages(total, q.page_size)

    def link(page: int) -> str:
        return f"{path}?{urlencode({**q.to_params(page=page), **extra})}"

    has_next = q.page < pages
    previous = min(q.page - 1, max(pages, 1)) if q.page > 1 else None
    rest = {
        "count": len(items),
        "total": total,
        "page": q.page,
        "page_size": q.page_size,
        "total_pages": pages,
        "has_next": has_next,
        "has_previous": q.page > 1,
        "next": link(q.page + 1) if has_next else None,
        "previous": link(previous) if previous is not None else None,
        "start_date": q.start_date,
        "end_date": q.end_date,
    }
    return '{"transactions":[' + ",".join(items) + "]," + dumps(rest)[1:]
