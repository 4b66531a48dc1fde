"""Teller Connect: /link settings and /exchange of the onSuccess enrollment (verified by calling Teller)."""

from __future__ import annotations

import pytest

from fin_infra.banking.exceptions import InvalidCredentialsError, ProviderConfigurationError
from fin_infra.providers.banking.teller import TellerClient
from fin_infra.testing.teller import EMULATOR_APPLICATION_ID, TellerEmulator


async def test_link_token_create_mode(client: TellerClient) -> None:
    link = await client.create_link_token("user-1")
    assert (link.provider, link.mode, link.application_id, link.environment) == (
        "teller", "create", EMULATOR_APPLICATION_ID, "sandbox",
    )
    assert link.products == ["transactions", "balance", "identity"] and link.enrollment_id is None
    assert (await client.create_link_token("user-1", products=["verify"])).products == ["verify"]


async def test_link_token_update_mode_names_the_enrollment(client: TellerClient, teller: TellerEmulator) -> None:
    payload = teller.connect()
    link = await client.create_link_token("user-1", access_token=payload["accessToken"])
    assert link.mode == "update" and link.enrollment_id == payload["enrollment"]["id"]


async def test_link_needs_the_application_id(teller: TellerEmulator) -> None:
    env = {k: v for k, v in teller.env().items() if k != "TELLER_APPLICATION_ID"}
    async with TellerClient.from_env(env) as client:
        with pytest.raises(ProviderConfigurationError, match="set TELLER_APPLICATION_ID"):
            await client.create_link_token("user-1")


async def test_link_refuses_unknown_products_and_empty_user(client: TellerClient) -> None:
    with pytest.raises(ValueError, match="unknown Teller products"):
        await client.create_link_token("user-1", products=["auth"])
    with pytest.raises(ValueError, match="user_id"):
        await client.create_link_token("")


async def test_exchange_checks_the_token_and_returns_the_enrollment(
    client: TellerClient, teller: TellerEmulator
) -> None:
    payload = teller.connect(institution="chase")
    result = await client.exchange_public_token(payload)
    assert result.access_token == payload["accessToken"]
    assert result.item_id == payload["enrollment"]["id"]
    assert (result.institution_id, result.institution_name) == ("chase", "Chase")
    assert payload["accessToken"] not in repr(result)
    assert [r.path for r in teller.backend.requests] == ["/accounts"], "the token was checked with Teller"


async def test_exchange_of_a_bare_access_token(client: TellerClient, teller: TellerEmulator) -> None:
    payload = teller.connect()
    assert (await client.exchange_public_token(payload["accessToken"])).item_id == payload["enrollment"]["id"]


async def test_exchange_refuses_a_bad_token_or_a_mismatched_enrollment(
    client: TellerClient, teller: TellerEmulator
) -> None:
    with pytest.raises(InvalidCredentialsError):
        await client.exchange_public_token({"accessToken": "test_token_forged", "enrollment": {"id": "enr_x"}})
    one, other = teller.connect(), teller.connect()
    with pytest.raises(InvalidCredentialsError, match="does not belong to the enrollment"):
        await client.exchange_public_token({**one, "enrollment": other["enrollment"]})
    with pytest.raises(ValueError, match="accessToken is missing"):
        await client.exchange_public_token({"enrollment": one["enrollment"]})
