"""Summary statistics of a balance history: trend, average, minimum, maximum, change. All `Decimal`.

>>> import datetime as dt
>>> from fin_infra.models import BalanceSnapshot
>>> days = [BalanceSnapshot(account_id="a", date=dt.date(2025, 1, d), balance=b)
...         for d, b in ((1, "100.00"), (2, "90.00"), (3, "120.00"))]
>>> s = summarize_history(days)
>>> (s.trend, s.average, s.minimum, s.maximum, s.change_amount, s.change_percent)
('increasing', Decimal('103.33'), Decimal('90.00'), Decimal('120.00'), Decimal('20.00'), Decimal('20.00'))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fin_infra.models import BalanceSnapshot
from fin_infra.models._money import Money

Trend = Literal["increasing", "decreasing", "flat"]
_PERCENT = Decimal("0.01")


class BalanceSummary(BaseModel):
    """Statistics of one account's snapshots over a date range.

    Every amount is ``None`` when there are no snapshots, or when the snapshots mix currencies
    (adding dollars to euros would be wrong); ``change_percent`` is also ``None`` when the opening
    balance is zero.
    """

    model_config = ConfigDict(frozen=True)

    count: int = Field(description="number of snapshots")
    currency: str | None = None
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    opening_balance: Money | None = Field(default=None, description="balance of the first snapshot")
    closing_balance: Money | None = Field(default=None, description="balance of the last snapshot")
    average: Money | None = Field(default=None, description="mean of the snapshots, rounded half-even to their scale")
    minimum: Money | None = None
    maximum: Money | None = None
    change_amount: Money | None = Field(default=None, description="closing minus opening balance")
    change_percent: Money | None = Field(
        default=None, description="change as a percentage of |opening balance|, 2 decimals"
    )
    trend: Trend | None = Field(default=None, description="closing compared with opening balance")


def _scale(values: Sequence[Decimal]) -> int:
    exponents = [v.as_tuple().exponent for v in values]
    return max([2, *(-e for e in exponents if isinstance(e, int))])


def summarize_history(snapshots: Sequence[BalanceSnapshot]) -> BalanceSummary:
    """The `BalanceSummary` of ``snapshots`` (ordered oldest first, as `get_balance_history` returns them)."""
    if not snapshots:
        return BalanceSummary(count=0)
    first, last = snapshots[0], snapshots[-1]
    currencies = {s.currency for s in snapshots}
    base = BalanceSummary(count=len(snapshots), first_date=first.date, last_date=last.date)
    if len(currencies) != 1:
        return base
    values = [s.balance for s in snapshots]
    quantum = Decimal(1).scaleb(-_scale(values))
    change = last.balance - first.balance
    percent = None
    if first.balance != 0:
        percent = (change / abs(first.balance) * 100).quantize(_PERCENT, rounding=ROUND_HALF_EVEN)
    trend: Trend = "increasing" if change > 0 else "decreasing" if change < 0 else "flat"
    return base.model_copy(
        update={
            "currency": first.currency,
            "opening_balance": first.balance,
            "closing_balance": last.balance,
            "average": (sum(values, Decimal(0)) / len(values)).quantize(quantum, rounding=ROUND_HALF_EVEN),
            "minimum": min(values),
            "maximum": max(values),
            "change_amount": change,
            "change_percent": percent,
            "trend": trend,
        }
    )
