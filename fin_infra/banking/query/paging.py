"""Pages: 1-indexed, a page past the end is empty (with the right total), never an error.

`TransactionPage` is what ``banking.transactions(...)`` returns: a ``list`` of the page's transactions
(so ``len()``, iteration, indexing and JSON encoders work as before) that also knows the totals.

    >>> page = TransactionPage([], total=120, page=3, page_size=50)
    >>> (page.total_pages, page.has_next, page.has_previous, len(page))
    (3, False, True, 0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from fin_infra.models import Transaction

T = TypeVar("T")


def page_bounds(page: int, page_size: int | None, total: int) -> tuple[int, int]:
    """The ``[start, stop)`` slice of a result of ``total`` items that page ``page`` covers."""
    if page_size is None:
        return (0, total) if page == 1 else (total, total)
    start = min((page - 1) * page_size, total)
    return start, min(start + page_size, total)


def total_pages(total: int, page_size: int | None) -> int:
    """How many pages ``total`` items make (0 when there are none)."""
    if total == 0:
        return 0
    if page_size is None:
        return 1
    return -(-total // page_size)


def paginate(items: Sequence[T], page: int, page_size: int | None) -> list[T]:
    """The items on page ``page`` (an empty list past the end)."""
    start, stop = page_bounds(page, page_size, len(items))
    return list(items[start:stop])


class TransactionPage(list[Transaction]):
    """One page of a transactions query: a ``list[Transaction]`` plus ``total``, ``page``, ``page_size``,
    ``total_pages``, ``has_next`` and ``has_previous``.

    ``page_size`` is None when the whole result was asked for as one page.
    """

    def __init__(
        self, items: Iterable[Transaction] = (), *, total: int, page: int = 1, page_size: int | None = None
    ) -> None:
        super().__init__(items)
        self.total = total
        self.page = page
        self.page_size = page_size

    @property
    def total_pages(self) -> int:
        """How many pages the whole result makes (0 when it is empty)."""
        return total_pages(self.total, self.page_size)

    @property
    def has_next(self) -> bool:
        """Whether a later page holds transactions."""
        return self.page < self.total_pages

    @property
    def has_previous(self) -> bool:
        """Whether this is not the first page."""
        return self.page > 1

    def __repr__(self) -> str:
        return (
            f"TransactionPage({len(self)} transactions, page={self.page}, page_size={self.page_size}, "
            f"total={self.total})"
        )
