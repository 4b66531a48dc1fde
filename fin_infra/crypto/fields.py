"""`encrypt_field` / `decrypt_field`: AES-256-GCM for a value you keep yourself (a token, an id).

The result is text: ``fi1.<key id>.<base64url(nonce || ciphertext || tag)>``. ``associated_data``
binds it to its place (e.g. a row id and its owner): decrypting with other associated data fails, so
a value copied onto another row is useless.

    >>> from fin_infra.crypto import Keyring, new_key
    >>> keys = Keyring.parse(new_key("k1"))
    >>> sealed = encrypt_field("access-sandbox-123", associated_data="row-1", keys=keys)
    >>> decrypt_field(sealed, associated_data="row-1", keys=keys)
    'access-sandbox-123'
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fin_infra.crypto.keys import DecryptionError, Keyring

PREFIX = "fi1"
NONCE_BYTES = 12


def _aad(associated_data: str | bytes) -> bytes:
    return associated_data.encode() if isinstance(associated_data, str) else bytes(associated_data)


def _keys(keys: Keyring | None) -> Keyring:
    return keys if keys is not None else Keyring.from_env()


def encrypt_field(value: str, *, associated_data: str | bytes = b"", keys: Keyring | None = None) -> str:
    """``value`` encrypted under the primary key (default keys: ``FIN_INFRA_ENCRYPTION_KEYS``)."""
    if not isinstance(value, str):
        raise TypeError("encrypt_field takes a str")
    kid, key = _keys(keys).primary
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), _aad(associated_data))
    return f"{PREFIX}.{kid}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def key_id_of(sealed: str) -> str:
    """The id of the key ``sealed`` was encrypted with; `DecryptionError` if it isn't ours."""
    parts = sealed.split(".") if isinstance(sealed, str) else []
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1]:
        raise DecryptionError("not a value encrypted by fin-infra (expected fi1.<key id>.<data>)")
    return parts[1]


def decrypt_field(sealed: str, *, associated_data: str | bytes = b"", keys: Keyring | None = None) -> str:
    """The value `encrypt_field` sealed. `DecryptionError` when its key is not in ``keys``, the key is
    wrong, the value was altered, or ``associated_data`` differs from the encryption's."""
    kid = key_id_of(sealed)
    key = _keys(keys).get(kid)
    if key is None:
        raise DecryptionError(
            f"the value was encrypted with key {kid!r}, which is not in FIN_INFRA_ENCRYPTION_KEYS; add it back "
            "(after the new key) until every row is re-encrypted"
        )
    try:
        raw = base64.urlsafe_b64decode(sealed.split(".")[2] + "=" * (-len(sealed.split(".")[2]) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("the encrypted value is damaged (not base64url)") from None
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("the encrypted value is damaged (too short)")
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(associated_data)).decode()
    except InvalidTag:
        raise DecryptionError(
            f"can't decrypt with key {kid!r}: the key is wrong, the value was altered, or it belongs to another row"
        ) from None
