"""Sandbox tokens: self-checking strings, so the sandbox needs no state to know a real one from a typo.

``public-sandbox-<institution>-<nonce>`` comes out of the link step; exchanging it gives
``access-sandbox-<institution>-<nonce>-<check>``. The check digits make a mistyped exchanged
token fail; the sandbox is not a security boundary, so the check is a plain hash.

Any other ``access-sandbox-<name>`` (letters, digits, ``_.-``; a name not starting with ``ins_``) is a
sandbox user of its own at the first institution, the same data for the same name: the documentation's
``access-sandbox-xxx`` works as written.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from fin_infra.providers.banking.sandbox.catalogue import INSTITUTIONS_BY_ID, Institution

DEMO_ACCESS_TOKEN = "access-sandbox-demo"  # noqa: S105 - a public sandbox token, not a secret
_DEMO_INSTITUTION = "ins_sandbox_chase"
_ACCESS = re.compile(r"access-sandbox-(ins_[a-z0-9_]+)-([0-9a-f]{16})-([0-9a-f]{8})")
_NAMED = re.compile(r"access-sandbox-([A-Za-z0-9][A-Za-z0-9_.-]{0,127})")
_PUBLIC = re.compile(r"public-sandbox-(ins_[a-z0-9_]+)-([0-9a-f]{16})")


def _check(institution_id: str, nonce: str) -> str:
    return hashlib.sha256(f"fin-infra-sandbox|{institution_id}|{nonce}".encode()).hexdigest()[:8]


def new_public_token(institution_id: str, nonce: str | None = None) -> str:
    return f"public-sandbox-{institution_id}-{nonce or secrets.token_hex(8)}"


def parse_public_token(token: str) -> tuple[Institution, str] | None:
    m = _PUBLIC.fullmatch(token)
    if not m or m.group(1) not in INSTITUTIONS_BY_ID:
        return None
    return INSTITUTIONS_BY_ID[m.group(1)], m.group(2)


def access_token_for(institution_id: str, nonce: str) -> str:
    return f"access-sandbox-{institution_id}-{nonce}-{_check(institution_id, nonce)}"


def parse_access_token(token: str) -> tuple[Institution, str] | None:
    """(institution, seed) for a valid sandbox access token, else None."""
    if token == DEMO_ACCESS_TOKEN:
        return INSTITUTIONS_BY_ID[_DEMO_INSTITUTION], "demo"
    m = _ACCESS.fullmatch(token)
    if m:
        if m.group(1) not in INSTITUTIONS_BY_ID or m.group(3) != _check(m.group(1), m.group(2)):
            return None  # an exchanged token with a typo in it
        return INSTITUTIONS_BY_ID[m.group(1)], m.group(2)
    named = _NAMED.fullmatch(token)
    if not named or named.group(1).startswith("ins_"):  # ins_... is the shape of exchanged tokens: a typo
        return None
    return INSTITUTIONS_BY_ID[_DEMO_INSTITUTION], f"named-{named.group(1)}"
