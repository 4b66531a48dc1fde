"""Certificate problems give errors that say what to do, at construction or at the TLS handshake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.emulators.server import EmulatorServer, TLSConfig
from fin_infra.emulators.teller import create_app
from fin_infra.providers.banking.teller import TellerClient
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import FAST_RETRY


def _client(teller: TellerEmulator, **options: object) -> TellerClient:
    return teller.client(retry=FAST_RETRY, **options)


def test_missing_certificate_file(teller: TellerEmulator, tmp_path: Path) -> None:
    with pytest.raises(ProviderConfigurationError, match=r"does not exist: set TELLER_CERTIFICATE_PATH"):
        _client(teller, cert_path=str(tmp_path / "nope.pem"))


def test_missing_key_file(teller: TellerEmulator, tmp_path: Path) -> None:
    with pytest.raises(ProviderConfigurationError, match=r"does not exist: set TELLER_PRIVATE_KEY_PATH"):
        _client(teller, key_path=str(tmp_path / "nope-key.pem"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_key(teller: TellerEmulator, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(teller.certs.client_key.read_bytes())
    key.chmod(0)
    with pytest.raises(ProviderConfigurationError, match="can't be read"):
        _client(teller, key_path=str(key))


def test_damaged_key(teller: TellerEmulator, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ProviderConfigurationError, match="can't be read as a PEM private key"):
        _client(teller, key_path=str(key))


def test_swapped_certificate_and_key(teller: TellerEmulator) -> None:
    with pytest.raises(ProviderConfigurationError, match="look swapped"):
        _client(teller, cert_path=str(teller.certs.client_key), key_path=str(teller.certs.client_cert))


def test_key_not_matching_the_certificate(teller: TellerEmulator) -> None:
    _, foreign_key = teller.foreign_certificate()
    with pytest.raises(ProviderConfigurationError, match="does not belong to the certificate"):
        _client(teller, key_path=str(foreign_key))


def test_expired_certificate(teller: TellerEmulator) -> None:
    cert, key = teller.expired_certificate()
    with pytest.raises(ProviderConfigurationError, match=r"expired on \d{4}-\d\d-\d\d: create a new one"):
        _client(teller, cert_path=str(cert), key_path=str(key))


def test_certificate_without_key_and_key_without_certificate() -> None:
    with pytest.raises(ProviderConfigurationError, match="no private key"):
        TellerClient(cert_path="/x/cert.pem")
    with pytest.raises(ProviderConfigurationError, match="no certificate"):
        TellerClient(key_path="/x/key.pem")


def test_live_environments_require_a_certificate() -> None:
    with pytest.raises(ProviderConfigurationError, match="production environment requires your client certificate"):
        TellerClient(environment="production")


def test_inline_pem_with_escaped_newlines(teller: TellerEmulator, token: str) -> None:
    cert = teller.certs.client_cert.read_text().strip().replace("\n", "\\n")
    key = teller.certs.client_key.read_text().strip().replace("\n", "\\n")
    env = {k: v for k, v in teller.env().items() if "PATH" not in k}
    client = TellerClient.from_env({**env, "TELLER_CERTIFICATE": cert, "TELLER_PRIVATE_KEY": key}, retry=FAST_RETRY)
    try:
        assert len(client.accounts(access_token=token)) == 3
    finally:
        client.close()
    assert "BEGIN" not in repr(client.settings), "PEM text never shows in a repr"


async def test_a_server_requiring_the_certificate_in_the_handshake(teller: TellerEmulator, token: str) -> None:
    # Teller itself answers a missing certificate with HTTP 400 (tests/teller/test_fidelity.py); a server
    # (or a proxy in front of it) that refuses the handshake instead gets an error saying the same.
    certs = teller.certs
    strict = TLSConfig(certs.server_cert, certs.server_key, client_ca=certs.ca_cert, require_client_cert=True)
    with EmulatorServer(create_app(teller.backend), tls=strict) as server:
        async with TellerClient(base_url=server.base_url, ca_bundle=str(certs.ca_cert), retry=FAST_RETRY) as c:
            refused = "requires a client certificate and none is configured"
            with pytest.raises(ProviderConfigurationError, match=refused):
                await c.get_accounts(token)


async def test_certificate_from_another_ca_is_refused(teller: TellerEmulator, token: str) -> None:
    cert, key = teller.foreign_certificate()
    async with _client(teller, cert_path=str(cert), key_path=str(key)) as c:
        with pytest.raises(ProviderConfigurationError, match="the server rejected the client certificate"):
            await c.get_accounts(token)
    assert not teller.backend.requests, "the refused connection never reached the API"


async def test_untrusted_server_certificate(teller: TellerEmulator, token: str) -> None:
    env = {k: v for k, v in teller.env().items() if k != "TELLER_CA_BUNDLE"}
    async with TellerClient.from_env(env, retry=FAST_RETRY) as c:
        with pytest.raises(ProviderConfigurationError, match="set TELLER_CA_BUNDLE"):
            await c.get_accounts(token)


def test_plain_http_base_url_is_refused() -> None:
    with pytest.raises(ProviderConfigurationError, match="must be an https:// URL"):
        TellerClient(base_url="http://api.teller.io")
