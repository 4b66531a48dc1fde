"""Field encryption: AES-256-GCM round trips, bound to associated data; keys from the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fin_infra.crypto import (
    ENCRYPTION_KEYS_ENV,
    DecryptionError,
    EncryptionKeyError,
    Keyring,
    decrypt_field,
    encrypt_field,
    new_key,
)

SECRET = "access-sandbox-8f2c6c1e-secret"


def test_round_trip_and_every_encryption_differs() -> None:
    keys = Keyring.parse(new_key("k1"))
    a = encrypt_field(SECRET, associated_data="conn_1|user_1", keys=keys)
    b = encrypt_field(SECRET, associated_data="conn_1|user_1", keys=keys)
    assert a != b and SECRET not in a and a.startswith("fi1.k1.")
    assert decrypt_field(a, associated_data="conn_1|user_1", keys=keys) == SECRET


def test_other_associated_data_a_wrong_key_or_a_changed_byte_never_decrypt() -> None:
    keys = Keyring.parse(new_key("k1"))
    sealed = encrypt_field(SECRET, associated_data="conn_1|user_1", keys=keys)
    with pytest.raises(DecryptionError, match="belongs to another row"):
        decrypt_field(sealed, associated_data="conn_2|user_1", keys=keys)
    impostor = Keyring.parse(new_key("k1"))  # same id, other key material
    with pytest.raises(DecryptionError, match="key is wrong"):
        decrypt_field(sealed, associated_data="conn_1|user_1", keys=impostor)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(DecryptionError):
        decrypt_field(flipped, associated_data="conn_1|user_1", keys=keys)
    with pytest.raises(DecryptionError, match="not in FIN_INFRA_ENCRYPTION_KEYS"):
        decrypt_field(sealed, associated_data="conn_1|user_1", keys=Keyring.parse(new_key("k2")))
    with pytest.raises(DecryptionError, match="not a value encrypted by fin-infra"):
        decrypt_field(SECRET, keys=keys)


def test_first_key_encrypts_all_decrypt() -> None:
    old = new_key("old")
    sealed = encrypt_field(SECRET, keys=Keyring.parse(old))
    both = Keyring.parse(f"{new_key('new')}, {old}")
    assert decrypt_field(sealed, keys=both) == SECRET
    assert encrypt_field(SECRET, keys=both).startswith("fi1.new.")


def test_keys_from_the_environment_and_clear_errors_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENCRYPTION_KEYS_ENV, raising=False)
    with pytest.raises(EncryptionKeyError, match=ENCRYPTION_KEYS_ENV):
        encrypt_field(SECRET)
    material = new_key("k1").split(":")[1]
    for bad, reason in (
        ("k1", "not '<key id>:<key>'"),
        ("k1:abc", "AES-256 needs 32"),
        ("bad id!:" + material, "not '<key id>:<key>'"),
        (f"k1:{material},k1:{material}", "appears twice"),
    ):
        monkeypatch.setenv(ENCRYPTION_KEYS_ENV, bad)
        with pytest.raises(EncryptionKeyError, match=reason) as err:
            Keyring.from_env()
        assert material not in str(err.value)
    monkeypatch.setenv(ENCRYPTION_KEYS_ENV, f"k1:{material}")
    assert decrypt_field(encrypt_field(SECRET)) == SECRET
    assert material not in repr(Keyring.from_env())


def test_keys_new_prints_a_usable_key() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fin_infra.storage", "keys", "new"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    keys = Keyring.parse(line)
    assert decrypt_field(encrypt_field(SECRET, keys=keys), keys=keys) == SECRET
    again = subprocess.run(
        [sys.executable, "-m", "fin_infra.storage", "keys", "new"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert again.stdout.strip() != line
