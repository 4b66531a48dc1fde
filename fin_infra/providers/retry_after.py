"""``Retry-After`` read defensively: whatever an upstream (or a proxy in front of it) sends.

RFC 9110 allows a whole number of seconds or an HTTP date. Anything else (``inf``, ``NaN``, a
negative or absurd number, junk) must not crash the error mapper or stall a retry loop: a number is
clamped to ``[0, MAX_RETRY_AFTER]``, a date becomes the seconds until it (clamped the same way), and
what can't be read is None (no hint).

    >>> parse_retry_after("2"), parse_retry_after("inf"), parse_retry_after("-5"), parse_retry_after("soon")
    (2.0, None, 0.0, None)
    >>> parse_retry_after("1e9")
    3600.0
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping

MAX_RETRY_AFTER = 3600.0  # an hour: longer hints are clamped (a client should not be told to wait days)
_MAX_TEXT = 64


def parse_retry_after(value: object, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, clamped to ``[0, MAX_RETRY_AFTER]``; None if unreadable."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_TEXT:
        return None
    try:
        seconds = float(text)
    except ValueError:
        return _from_date(text, now)
    if not math.isfinite(seconds):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _from_date(text: str, now: float | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        target = when.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    current = time.time() if now is None else now
    return min(MAX_RETRY_AFTER, max(0.0, target - current))


def retry_after_header(headers: Mapping[str, str] | None) -> float | None:
    """The parsed ``Retry-After`` of a header mapping (any key case), or None."""
    for key, value in (headers or {}).items():
        if isinstance(key, str) and key.lower() == "retry-after":
            return parse_retry_after(value)
    return None


__all__ = ["MAX_RETRY_AFTER", "parse_retry_after", "retry_after_header"]
