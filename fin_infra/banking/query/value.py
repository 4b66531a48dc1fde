"""`TransactionQuery`: the frozen value every part of the query layer works from.

Both entry points build one: the HTTP parameters model (`params.py`) and the Python keywords of
``banking.transactions(...)`` (`TransactionQuery.build`). Nothing below them sees a request.

    >>> q = TransactionQuery.build(start_date="2025-01-01", end_date="2025-01-31", min_amount=10,
    ...                            category="Food & Drink", sort_by="amount", page=2)
    >>> (q.min_amount, q.sort_by, q.sort_order, q.page, q.page_size)
    (Decimal('10'), 'amount', 'desc', 2, 50)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

from fin_infra.models._money import to_decimal
from fin_infra.providers.dates import DEFAULT_WINDOW_DAYS, parse_date

SortBy = Literal["date", "amount", "merchant"]
SortOrder = Literal["asc", "desc"]
SORT_FIELDS: tuple[str, ...] = get_args(SortBy)
SORT_ORDERS: tuple[str, ...] = get_args(SortOrder)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_TEXT_LENGTH = 256  # merchant_name / category / account_id: longer is refused, not truncated


class QueryError(ValueError):
    """A query parameter is invalid; ``field`` names it and ``message`` says why.

    The routes turn it into a 422 problem naming the field; Python callers get it as a `ValueError`.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    """What to fetch (``start_date``..``end_date`` inclusive, ``account_id``), which of those to keep,
    in which order, and which page. Build it with `build` (checks and normalises); the constructor
    trusts its arguments.

    ``page_size=None`` means "everything on one page" (the Python API's default when no paging
    keyword is given, so the documented unpaged call still returns every transaction).
    """

    start_date: dt.date
    end_date: dt.date
    account_id: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    merchant_name: str | None = None
    category: str | None = None
    exclude_pending: bool = False
    sort_by: SortBy = "date"
    sort_order: SortOrder = "desc"
    page: int = 1
    page_size: int | None = DEFAULT_PAGE_SIZE

    @property
    def fetch_key(self) -> tuple[dt.date, dt.date, str | None]:
        """What the provider is asked for: the part of the query pushed down to the fetch."""
        return (self.start_date, self.end_date, self.account_id)

    @property
    def selection_key(self) -> tuple[Any, ...]:
        """The filters and order, without the range or the page: equal keys select the same list."""
        return (
            self.min_amount,
            self.max_amount,
            self.merchant_name.casefold() if self.merchant_name is not None else None,
            self.category,
            self.exclude_pending,
            self.sort_by,
            self.sort_order,
        )

    @classmethod
    def build(
        cls,
        start_date: dt.date | str | None = None,
        end_date: dt.date | str | None = None,
        *,
        account_id: str | None = None,
        min_amount: Decimal | float | int | str | None = None,
        max_amount: Decimal | float | int | str | None = None,
        merchant_name: str | None = None,
        category: str | None = None,
        exclude_pending: bool = False,
        sort_by: str = "date",
        sort_order: str = "desc",
        page: int | None = None,
        page_size: int | None = None,
        today: dt.date | None = None,
        paged_by_default: bool = False,
    ) -> TransactionQuery:
        """Check and normalise Python (or already parsed HTTP) arguments; raise `QueryError` naming the field.

        Without ``page`` and ``page_size`` the whole result is one page, unless ``paged_by_default``
        (the HTTP route) asks for the default page size of 50.
        """
        end = _date(end_date, "end_date") or (today or dt.date.today())
        # by ordinal, so an end_date in the first days of year 1 can't overflow into a 500
        start = _date(start_date, "start_date") or dt.date.fromordinal(max(1, end.toordinal() - DEFAULT_WINDOW_DAYS))
        if start > end:
            raise QueryError("start_date", "must not be after end_date")
        low = _amount(min_amount, "min_amount")
        high = _amount(max_amount, "max_amount")
        if low is not None and high is not None and low > high:
            raise QueryError("min_amount", "must not be greater than max_amount")
        if sort_by not in SORT_FIELDS:
            raise QueryError("sort_by", f"must be one of {', '.join(SORT_FIELDS)}")
        if sort_order not in SORT_ORDERS:
            raise QueryError("sort_order", "must be asc or desc")
        if not isinstance(exclude_pending, bool):
            raise QueryError("exclude_pending", "must be true or false")
        if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
            raise QueryError("page", "must be a whole number, 1 or more")
        if page_size is not None and (
            isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE
        ):
            raise QueryError("page_size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
        size: int | None = page_size
        if size is None and (page is not None or paged_by_default):
            size = DEFAULT_PAGE_SIZE
        return cls(
            start_date=start,
            end_date=end,
            account_id=_text(account_id, "account_id"),
            min_amount=low,
            max_amount=high,
            merchant_name=_text(merchant_name, "merchant_name"),
            category=_text(category, "category"),
            exclude_pending=exclude_pending,
            sort_by=sort_by,  # type: ignore[arg-type]  # checked against SORT_FIELDS above
            sort_order=sort_order,  # type: ignore[arg-type]
            page=page or 1,
            page_size=size,
        )

    def to_params(self, *, page: int | None = None) -> dict[str, str]:
        """The HTTP query parameters that ask for this query again (``page`` replaced): for next/previous links.

        The resolved dates are always written, so a link keeps meaning the same range tomorrow.
        """
        out: dict[str, str] = {"start_date": self.start_date.isoformat(), "end_date": self.end_date.isoformat()}
        optional: dict[str, str | None] = {
            "account_id": self.account_id,
            "min_amount": str(self.min_amount) if self.min_amount is not None else None,
            "max_amount": str(self.max_amount) if self.max_amount is not None else None,
            "merchant_name": self.merchant_name,
            "category": self.category,
            "exclude_pending": "true" if self.exclude_pending else None,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        out["sort_by"] = self.sort_by
        out["sort_order"] = self.sort_order
        if self.page_size is not None:
            out["page_size"] = str(self.page_size)
        out["page"] = str(page if page is not None else self.page)
        return out


def _date(value: dt.date | str | None, field: str) -> dt.date | None:
    try:
        return parse_date(value, field)
    except ValueError:
        raise QueryError(field, "must be an ISO 8601 date (YYYY-MM-DD)") from None


def _amount(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    amount = to_decimal(value)
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise QueryError(field, "must be a finite number")
    if amount < 0:
        raise QueryError(field, "must not be negative (bounds apply to the absolute amount)")
    return amount


def _text(value: str | None, field: str) -> str | None:
    if value is None or value == "":
        return None  # an empty filter value (as HTML forms send) means no filter
    if not isinstance(value, str):
        raise QueryError(field, "must be a string")
    if len(value) > MAX_TEXT_LENGTH:
        raise QueryError(field, f"must be at most {MAX_TEXT_LENGTH} characters")
    return value
