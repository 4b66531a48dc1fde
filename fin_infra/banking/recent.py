"""`Recent`: a small bounded memo of what was worked out lately (a query string's parameters, a query's links).

A plain dict, for its C-speed ``get``; past its size, the oldest entry goes when one is added. Only for values
that are a pure function of their key and cheap to work out again.

    >>> seen = Recent(2)
    >>> for key in "abc":
    ...     seen.remember(key, key.upper())
    >>> sorted(seen.items())
    [('b', 'B'), ('c', 'C')]
"""

from __future__ import annotations

from collections.abc import Container
from contextlib import suppress
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(dict[K, V]):
    """At most ``size`` entries; `remember` drops the oldest to make room."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: K, value: V) -> V:
        """Keep ``value`` for ``key`` (evicting the oldest entry when full); returns ``value``."""
        if len(self) >= self.size and key not in self:
            with suppress(KeyError, RuntimeError, StopIteration):  # another thread got there first
                del self[next(iter(self))]
        self[key] = value
        return value


MAX_KEPT_QUERY = 1024  # bytes


def keepable_query(raw: bytes, names: Container[str]) -> bool:
    """Whether the query string ``raw`` (its parameter names: ``names``) may be kept as a `Recent` key: it is
    short, and names no access token (a deprecated ``?access_token=`` would keep the token in memory)."""
    return len(raw) <= MAX_KEPT_QUERY and "access_token" not in names
