"""One rule for every provider: the environment first, constructor arguments override it; the documented
Teller-then-Plaid fallback reaches Plaid; a connection error names the host it tried."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from fin_infra.banking import easy_banking
from fin_infra.banking.exceptions import ProviderUnavailableError
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.providers.banking.teller import RetryPolicy, TellerClient
from fin_infra.testing import serve_plaid_emulator, serve_teller_emulator
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator

NO_RETRY = RetryPolicy(max_attempts=1, total_timeout=5.0)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith(("TELLER_", "PLAID_", "FIN_INFRA_")):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.fixture(scope="module")
def teller() -> Iterator[TellerEmulator]:
    with serve_teller_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def plaid() -> Iterator[PlaidEmulator]:
    with serve_plaid_emulator() as emulator:
        yield emulator


def test_the_documented_fallback_reaches_plaid(clean_env: pytest.MonkeyPatch, plaid: PlaidEmulator) -> None:
    for key, value in plaid.env().items():
        clean_env.setenv(key, value)
    try:
        banking = easy_banking(provider="teller")
    except ValueError as exc:
        assert "TELLER_CERTIFICATE_PATH" in str(exc) and "TELLER_PRIVATE_KEY_PATH" in str(exc)
        banking = easy_banking(provider="plaid")
    assert isinstance(banking, PlaidProvider)
    assert banking.accounts(access_token=plaid.create_access_token())


def test_an_explicit_teller_sandbox_needs_no_certificate(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TELLER_ENVIRONMENT", "sandbox")
    assert isinstance(easy_banking(provider="teller"), TellerClient)
    assert isinstance(TellerClient(environment="sandbox"), TellerClient)


def test_teller_arguments_keep_the_environment_for_what_they_dont_say(
    clean_env: pytest.MonkeyPatch, teller: TellerEmulator
) -> None:
    env = teller.env()
    clean_env.setenv("TELLER_BASE_URL", env["TELLER_BASE_URL"])
    clean_env.setenv("TELLER_CA_BUNDLE", env["TELLER_CA_BUNDLE"])
    client = TellerClient(cert_path=env["TELLER_CERTIFICATE_PATH"], key_path=env["TELLER_PRIVATE_KEY_PATH"])
    try:
        assert client.settings.base_url == env["TELLER_BASE_URL"]
        assert len(client.accounts(access_token=teller.enroll())) == 3
    finally:
        client.close()


def test_teller_arguments_override_the_environment(clean_env: pytest.MonkeyPatch, teller: TellerEmulator) -> None:
    env = teller.env()
    for key, value in env.items():
        clean_env.setenv(key, value)
    clean_env.setenv("TELLER_BASE_URL", "https://127.0.0.1:1")
    client = TellerClient(base_url=env["TELLER_BASE_URL"])
    try:
        assert len(client.accounts(access_token=teller.enroll())) == 3
    finally:
        client.close()


def test_plaid_follows_the_same_rule(clean_env: pytest.MonkeyPatch, plaid: PlaidEmulator) -> None:
    clean_env.setenv("PLAID_BASE_URL", plaid.base_url)
    clean_env.setenv("PLAID_SECRET", plaid.secret)
    clean_env.setenv("PLAID_CLIENT_ID", "wrong-client-id")
    provider = PlaidProvider(client_id=plaid.client_id)  # the argument wins, the rest comes from the environment
    assert provider.accounts(access_token=plaid.create_access_token())


def test_a_connection_error_names_the_host(clean_env: pytest.MonkeyPatch, teller: TellerEmulator) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    env = teller.env()
    client = TellerClient(
        cert_path=env["TELLER_CERTIFICATE_PATH"],
        key_path=env["TELLER_PRIVATE_KEY_PATH"],
        ca_bundle=env["TELLER_CA_BUNDLE"],
        base_url=f"https://127.0.0.1:{port}",
        retry=NO_RETRY,
    )
    try:
        with pytest.raises(ProviderUnavailableError, match=f"127.0.0.1:{port}"):
            client.accounts(access_token="test_token_x")
    finally:
        client.close()


@pytest.mark.parametrize("url", ["http://api.example.com", "ftp://127.0.0.1", "https://", "not a url"])
def test_mx_and_finicity_send_credentials_only_over_tls_or_to_this_machine(url: str) -> None:
    from fin_infra.banking.exceptions import ProviderConfigurationError
    from fin_infra.providers.banking.finicity.settings import FinicitySettings
    from fin_infra.providers.banking.mx.settings import MXSettings

    with pytest.raises(ProviderConfigurationError, match="MX_BASE_URL"):
        MXSettings(client_id="c", api_key="k", base_url=url)
    with pytest.raises(ProviderConfigurationError, match="FINICITY_BASE_URL"):
        FinicitySettings("1234583871234", "secret", "key", base_url=url)
    local = "http://127.0.0.1:9/"
    assert MXSettings(client_id="c", api_key="k", base_url=local).host == "http://127.0.0.1:9"
    assert FinicitySettings("1234583871234", "secret", "key", base_url=local).base_url == "http://127.0.0.1:9"
