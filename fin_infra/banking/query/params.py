"""The HTTP face of the query layer: `TransactionQueryParams`, built from the query string.

FastAPI validates each parameter (a 422 names it); `to_query` then checks what spans fields
(``start_date`` after ``end_date``, ``min_amount`` above ``max_amount``) and gives the frozen
`TransactionQuery` the rest of the layer works from.

    >>> from typing import Annotated
    >>> from fastapi import Query
    >>> async def route(params: Annotated[TransactionQueryParams, Query()]) -> None: ...
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr
from pydantic_core import PydanticCustomError

from fin_infra.banking.query.value import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_TEXT_LENGTH,
    SortBy,
    SortOrder,
    TransactionQuery,
)

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    # Strict: exactly YYYY-MM-DD. pydantic alone would read "0.0" as 1970-01-01 (a unix time) and
    # date.fromisoformat "20250101" or "2025-W01-1"; none of them is what a caller meant to send.
    if isinstance(value, str):
        if _ISO_DAY.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        # a custom error type: the message reads without pydantic's "Value error, " prefix
        raise PydanticCustomError("date_format", "must be an ISO 8601 date (YYYY-MM-DD)")
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise PydanticCustomError("date_format", "must be an ISO 8601 date (YYYY-MM-DD)")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A date given exactly as ``YYYY-MM-DD`` (or a `datetime.date`); anything else is a 422 naming the field."""
Bound = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class TransactionQueryParams(BaseModel):
    """The documented query parameters of ``GET {prefix}/transactions``."""

    model_config = ConfigDict(frozen=True)

    start_date: IsoDate | None = Field(
        default=None,
        description="first day, inclusive, YYYY-MM-DD (default: 30 days before end_date); must not be after end_date",
    )
    end_date: IsoDate | None = Field(default=None, description="last day, inclusive, YYYY-MM-DD (default: today)")
    min_amount: Bound | None = Field(
        default=None,
        description="smallest absolute amount to include (inclusive); must not be greater than max_amount",
        examples=["10.00"],
    )
    max_amount: Bound | None = Field(
        default=None, description="largest absolute amount to include (inclusive)", examples=["100.00"]
    )
    merchant_name: Text | None = Field(
        default=None,
        description="case-insensitive partial match on the merchant name (the description when there is none)",
        examples=["starbucks"],
    )
    category: Text | None = Field(
        default=None, description="exact category (top level or any level of the path)", examples=["Food & Drink"]
    )
    account_id: Text | None = Field(default=None, description="one account (the provider filters where it can)")
    exclude_pending: bool = Field(default=False, description="drop pending transactions")
    sort_by: SortBy = Field(default="date", description="date, amount (absolute) or merchant")
    sort_order: SortOrder = Field(default="desc", description="asc or desc")
    page: int = Field(default=1, ge=1, description="1-indexed page; past the end is an empty page")
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="transactions per page")

    # the query built for a day (the default dates depend on it): the route's parameters for a query string
    # are one remembered model (`fin_infra.banking.direct`), so this builds a day's query once
    _built: tuple[dt.date, TransactionQuery] | None = PrivateAttr(default=None)

    def to_query(self, *, today: dt.date | None = None) -> TransactionQuery:
        """The frozen query; a `QueryError` names the field when parameters contradict each other."""
        day = today or dt.date.today()
        built = self._built
        if built is not None and built[0] == day:
            return built[1]
        query = self._build(day)
        self._built = (day, query)
        return query

    def _build(self, today: dt.date) -> TransactionQuery:
        return TransactionQuery.build(
            self.start_date,
            self.end_date,
            account_id=self.account_id,
            min_amount=self.min_amount,
            max_amount=self.max_amount,
            merchant_name=self.merchant_name,
            category=self.category,
            exclude_pending=self.exclude_pending,
            sort_by=self.sort_by,
            sort_order=self.sort_order,
            page=self.page,
            page_size=self.page_size,
            today=today,
        )
