"""Fan-out bounds: per host and per access token, over kept-alive connections (no timing asserted)."""

from __future__ import annotations

import asyncio

import pytest

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.banking.teller import TellerSettings
from fin_infra.providers.banking.teller.concurrency import RequestLimits
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import FAST_RETRY


class Holders:
    """Tasks that take a slot and keep it until released; records who got in."""

    def __init__(self, limits: RequestLimits) -> None:
        self.limits = limits
        self.inside: list[str] = []
        self.release = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, token: str | None, n: int = 1) -> None:
        for _ in range(n):
            self.tasks.append(asyncio.create_task(self._hold(token)))

    async def _hold(self, token: str | None) -> None:
        async with self.limits.slot(token):
            self.inside.append(str(token))
            await self.release.wait()

    async def settle(self) -> None:
        for _ in range(5):
            await asyncio.sleep(0)


async def test_one_token_gets_at_most_its_share_and_another_token_is_not_starved() -> None:
    limits = RequestLimits(per_host=10, per_token=3)
    holders = Holders(limits)
    holders.start("busy", 20)  # one user's fan-out over 20 accounts
    await holders.settle()
    assert holders.inside.count("busy") == 3 and limits.in_flight == 3
    holders.start("other")
    await holders.settle()
    assert holders.inside.count("other") == 1  # in at once, not behind the 17 waiting requests of "busy"
    holders.release.set()
    await asyncio.gather(*holders.tasks)
    assert holders.inside.count("busy") == 20 and limits.in_flight == 0 and limits.tokens == 0


async def test_the_host_bound_holds_across_tokens() -> None:
    limits = RequestLimits(per_host=4, per_token=3)
    holders = Holders(limits)
    holders.start("a", 3)
    holders.start("b", 3)
    holders.start(None)  # a call without a token (e.g. an exchange) counts against the host only
    await holders.settle()
    assert limits.in_flight == 4 and len(holders.inside) == 4
    holders.release.set()
    await asyncio.gather(*holders.tasks)
    assert len(holders.inside) == 7 and limits.in_flight == 0 and limits.tokens == 0


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    limits = RequestLimits(per_host=1, per_token=1)
    holders = Holders(limits)
    holders.start("a", 2)
    await holders.settle()
    holders.tasks[1].cancel()
    await asyncio.gather(holders.tasks[1], return_exceptions=True)
    holders.release.set()
    await holders.tasks[0]
    assert holders.inside == ["a"] and limits.tokens == 0 and limits.in_flight == 0


def test_bounds_are_checked_and_read_from_the_environment() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RequestLimits(per_host=0, per_token=1)
    settings = TellerSettings.from_env({"TELLER_MAX_CONNECTIONS": "40", "TELLER_MAX_CONCURRENCY": "4"})
    assert (settings.max_connections, settings.max_concurrency) == (40, 4)
    with pytest.raises(ProviderConfigurationError, match="max_connections must be a whole number"):
        TellerSettings.from_env({"TELLER_MAX_CONNECTIONS": "lots"})
    with pytest.raises(ProviderConfigurationError, match="max_concurrency must be at least 1"):
        TellerSettings(max_concurrency=0)


async def test_a_busy_users_fan_out_does_not_hold_back_another_user(teller: TellerEmulator) -> None:
    busy, other = teller.enroll("busy", accounts=12), teller.enroll("other", accounts=2)
    teller.faults.latency = 0.05
    async with teller.client(retry=FAST_RETRY, max_concurrency=2, max_connections=6) as client:
        await asyncio.gather(client.get_accounts(busy), client.get_accounts(other))  # account lists cached
        teller.backend.requests.clear()
        busy_balances, other_balances = await asyncio.gather(client.get_balances(busy), client.get_balances(other))
    assert (len(busy_balances), len(other_balances)) == (12, 2)
    arrivals = [r.path for r in teller.backend.requests if r.path.endswith("/balances")]
    other_ids = {b.account_id for b in other_balances}
    other_positions = [i for i, path in enumerate(arrivals) if path.split("/")[2] in other_ids]
    # "other"'s two requests reach Teller among the first few, not after "busy"'s twelve (2 at a time) drain
    assert len(arrivals) == 14 and max(other_positions) < 4


@pytest.mark.parametrize("bound", [4, 60])
async def test_connections_stay_within_the_bound_and_are_reused(teller: TellerEmulator, bound: int) -> None:
    tokens = [teller.enroll(f"user{i}", accounts=3) for i in range(12)]
    teller.faults.latency = 0.05
    async with teller.client(retry=FAST_RETRY, max_connections=bound) as client:
        context = client._http._ssl_context  # the client's own TLS context counts its handshakes
        assert context is not None
        await asyncio.gather(*(client.get_accounts(t) for t in tokens))  # lists, then 36 balance reads
        opened = context.session_stats()["connect"]
        await asyncio.gather(*(client.get_accounts(t) for t in tokens))
        await asyncio.gather(*(client.get_balances(t) for t in tokens))
        assert context.session_stats()["connect"] == opened  # all kept alive: no new mTLS handshake
    assert 1 <= opened <= bound
