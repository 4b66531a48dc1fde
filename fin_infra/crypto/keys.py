"""Encryption keys: ``FIN_INFRA_ENCRYPTION_KEYS`` holds one or more ``<key id>:<base64url 32 bytes>``,
comma-separated. The first encrypts; every one decrypts (so a new key goes first, and old ones stay
until `fin_infra.banking.connections.rotate_keys` has re-encrypted every row).

    $ python -m fin_infra keys new
    k20250101a1b2:3q2-7w...                          # put it first in FIN_INFRA_ENCRYPTION_KEYS

Keys never appear in errors, logs or ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

ENCRYPTION_KEYS_ENV = "FIN_INFRA_ENCRYPTION_KEYS"
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
KEY_BYTES = 32  # AES-256


class EncryptionKeyError(ValueError):
    """The encryption keys are missing or malformed (says which variable and what to do; never the key)."""


class DecryptionError(Exception):
    """A value could not be decrypted: a wrong or missing key, a damaged value, or one encrypted for
    another row (its associated data differs). Never a garbage plaintext."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key(key_id: str | None = None) -> str:
    """A fresh key line ``<key id>:<base64url key>`` (id: ``k`` + today's date + 4 random hex digits)."""
    kid = key_id or f"k{dt.date.today():%Y%m%d}{secrets.token_hex(2)}"
    if not KEY_ID.fullmatch(kid):
        raise EncryptionKeyError("a key id is 1 to 32 letters, digits, '_' or '-'")
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip('=')}"


@dataclass(frozen=True)
class Keyring:
    """Named AES-256 keys; ``primary`` (the first) encrypts, any decrypts."""

    keys: tuple[tuple[str, bytes], ...] = field(repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise EncryptionKeyError(f"no encryption key: set {ENCRYPTION_KEYS_ENV} (python -m fin_infra keys new)")

    @property
    def primary(self) -> tuple[str, bytes]:
        return self.keys[0]

    @property
    def primary_id(self) -> str:
        return self.keys[0][0]

    def get(self, key_id: str) -> bytes | None:
        return next((key for kid, key in self.keys if kid == key_id), None)

    @property
    def ids(self) -> list[str]:
        return [kid for kid, _ in self.keys]

    def __repr__(self) -> str:
        return f"Keyring(ids={self.ids!r})"

    @classmethod
    def parse(cls, text: str, *, source: str = ENCRYPTION_KEYS_ENV) -> Keyring:
        """Keys from ``"id1:key1,id2:key2"``; `EncryptionKeyError` says which entry is wrong (by position)."""
        entries = [e.strip() for e in (text or "").split(",") if e.strip()]
        if not entries:
            raise EncryptionKeyError(
                f"{source} is not set: connections mode encrypts provider tokens and needs a key; "
                "create one with `python -m fin_infra keys new`"
            )
        keys: list[tuple[str, bytes]] = []
        for n, entry in enumerate(entries, 1):
            kid, sep, material = entry.partition(":")
            if not sep or not KEY_ID.fullmatch(kid):
                raise EncryptionKeyError(
                    f"{source}: entry {n} is not '<key id>:<key>' (key id: 1-32 letters, digits, '_', '-')"
                )
            try:
                key = _b64decode(material.strip())
            except (binascii.Error, ValueError):
                raise EncryptionKeyError(f"{source}: the key of entry {n} ({kid}) is not base64url") from None
            if len(key) != KEY_BYTES:
                raise EncryptionKeyError(
                    f"{source}: the key of entry {n} ({kid}) is {len(key)} bytes; AES-256 needs {KEY_BYTES}"
                )
            if any(kid == seen for seen, _ in keys):
                raise EncryptionKeyError(f"{source}: key id {kid} appears twice")
            keys.append((kid, key))
        return cls(tuple(keys))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Keyring:
        """The keys in ``FIN_INFRA_ENCRYPTION_KEYS``; `EncryptionKeyError` naming it when missing or bad."""
        source = os.environ if env is None else env
        return cls.parse(source.get(ENCRYPTION_KEYS_ENV, ""))
