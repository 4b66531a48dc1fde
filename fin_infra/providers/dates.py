"""Date arguments: `date` objects or ISO 8601 strings, checked once at the edge."""

from __future__ import annotations

import datetime as dt

DEFAULT_WINDOW_DAYS = 30


def parse_date(value: dt.date | str | None, field: str) -> dt.date | None:
    """Parse a date given as `date`, `datetime` or ISO string; a clear `ValueError` names the field."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = repr(value)[:40]
    raise ValueError(f"{field} must be an ISO 8601 date (YYYY-MM-DD) or a datetime.date, got {shown}")


def window_start(end: dt.date, days: int = DEFAULT_WINDOW_DAYS) -> dt.date:
    """``days`` before ``end``, clamped at the first representable date (no overflow near year 1)."""
    return end - dt.timedelta(days=days) if (end - dt.date.min).days >= days else dt.date.min


def date_range(
    start_date: dt.date | str | None, end_date: dt.date | str | None, *, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The inclusive range asked for: ``end_date`` defaults to today, ``start_date`` to 30 days before it."""
    end = parse_date(end_date, "end_date") or (today or dt.date.today())
    start = parse_date(start_date, "start_date") or window_start(end)
    if start > end:
        raise ValueError(f"start_date ({start.isoformat()}) must not be after end_date ({end.isoformat()})")
    return start, end
