"""Ids that go into a provider's URL or request: checked against one grammar before they leave.

Provider ids are short runs of letters, digits, ``_`` and ``-`` (Teller ``acc_oiin624kqjrg2mp2ea000``,
Plaid ``BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp``). Anything else (``/``, ``..``, ``%2F``, ``?``, ``#``,
spaces, control characters, very long strings) can't be one of their ids, so it is refused before any
request is made: pasted into a URL it could reach another endpoint with the app's own credentials.
What passes is still percent-encoded as exactly one path segment (`path_segment`).

    >>> is_provider_id("acc_oiin624kqjrg2mp2ea000"), is_provider_id("acc_1/details"), is_provider_id("..")
    (True, False, False)
    >>> path_segment("acc_1")
    'acc_1'
"""

from __future__ import annotations

import re
from urllib.parse import quote

MAX_ID_LENGTH = 128
_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_ID_LENGTH - 1}}}")


def is_provider_id(value: object) -> bool:
    """True when ``value`` is a string in the id grammar (letters, digits, ``_``, ``-``; at most 128)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def path_segment(value: str) -> str:
    """``value`` percent-encoded as one URL path segment (``/``, ``?``, ``#``, ``%`` and ``.`` runs can't escape)."""
    return quote(value, safe="")


__all__ = ["MAX_ID_LENGTH", "is_provider_id", "path_segment"]
