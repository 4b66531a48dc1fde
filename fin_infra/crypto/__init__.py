"""Field encryption: AES-256-GCM (``cryptography``) with named keys from ``FIN_INFRA_ENCRYPTION_KEYS``.

Connections mode keeps provider tokens with it; apps that keep tokens themselves use the same helpers.

    >>> from fin_infra.crypto import encrypt_field, decrypt_field, Keyring, new_key

``python -m fin_infra keys new`` prints a fresh key. Needs the ``connections`` extra (``cryptography``).
"""

from __future__ import annotations

from fin_infra.crypto.fields import decrypt_field, encrypt_field, key_id_of
from fin_infra.crypto.keys import (
    ENCRYPTION_KEYS_ENV,
    DecryptionError,
    EncryptionKeyError,
    Keyring,
    new_key,
)

__all__ = [
    "ENCRYPTION_KEYS_ENV",
    "DecryptionError",
    "EncryptionKeyError",
    "Keyring",
    "decrypt_field",
    "encrypt_field",
    "key_id_of",
    "new_key",
]
