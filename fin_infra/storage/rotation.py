"""Re-encrypt every stored token under the newest key (the first of ``FIN_INFRA_ENCRYPTION_KEYS``).

Run after putting a new key first: ``python -m fin_infra keys rotate``. Rows are done in batches,
each write only if the row was not changed meanwhile; then the old key can be removed.
Each re-encryption is a decryption: it goes to the audit trail (action ``token.reencrypt``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fin_infra.crypto import DecryptionError, Keyring, decrypt_field, encrypt_field
from fin_infra.storage.connection_store import ConnectionStore
from fin_infra.storage.records import AuditEvent, ConnectionRecord


def token_associated_data(connection_id: str, user_id: str) -> bytes:
    """What a connection's token is bound to: its connection id and owner (a copy on another row fails)."""
    return b"fin-infra/connection-token\x00" + connection_id.encode() + b"\x00" + user_id.encode()


def seal_token(token: str, connection_id: str, user_id: str, keys: Keyring) -> str:
    return encrypt_field(token, associated_data=token_associated_data(connection_id, user_id), keys=keys)


def open_token(record: ConnectionRecord, keys: Keyring) -> str:
    return decrypt_field(
        record.token_ciphertext, associated_data=token_associated_data(record.id, record.user_id), keys=keys
    )


@dataclass(frozen=True)
class RotationResult:
    reencrypted: int
    failed: list[str]  # connection ids whose token could not be decrypted with any key given


async def rotate_keys(store: ConnectionStore, keys: Keyring, *, batch: int = 200) -> RotationResult:
    """Re-encrypt every connection's token not yet under ``keys.primary_id``."""
    done, failed = 0, list[str]()
    skip: set[str] = set()
    while True:
        rows = [r for r in await store.not_under_key(keys.primary_id, batch + len(skip)) if r.id not in skip]
        if not rows:
            return RotationResult(done, failed)
        for record in rows:
            try:
                token = open_token(record, keys)
            except DecryptionError:
                failed.append(record.id)
                skip.add(record.id)
                await store.append_audit(
                    AuditEvent(record.user_id, "token.reencrypt", "key rotation", "decryption_failed", record.id)
                )
                continue
            sealed = seal_token(token, record.id, record.user_id, keys)
            if await store.update_token(
                record.id, sealed, keys.primary_id, expected_ciphertext=record.token_ciphertext
            ):
                done += 1
            await store.append_audit(AuditEvent(record.user_id, "token.reencrypt", "key rotation", "ok", record.id))
