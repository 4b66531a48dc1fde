"""Connection ids: opaque, unguessable, and checked before any database lookup."""

from __future__ import annotations

import re
import secrets

PREFIX = "conn_"
PATTERN = re.compile(r"conn_[A-Za-z0-9_-]{22}")
DESCRIPTION = "a connection id: conn_ followed by 22 letters, digits, '_' or '-'"


def new_connection_id() -> str:
    """A fresh id (128 random bits)."""
    return PREFIX + secrets.token_urlsafe(16)


def is_connection_id(value: object) -> bool:
    return isinstance(value, str) and PATTERN.fullmatch(value) is not None
