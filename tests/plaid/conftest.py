"""Shared fixtures of the Plaid tests: one emulator server for the session, reset before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fin_infra.emulators.server import EmulatorServer
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator

if TYPE_CHECKING:
    from fin_infra.providers.banking.plaid import PlaidProvider


@pytest.fixture(scope="session")
def _plaid_session() -> Iterator[PlaidEmulator]:
    with serve_plaid_emulator() as emulator:
        yield emulator


@pytest.fixture
def plaid(_plaid_session: PlaidEmulator) -> PlaidEmulator:
    """The session's Plaid emulator, fresh (no Items, faults or webhooks)."""
    _plaid_session.reset()
    return _plaid_session


@pytest.fixture
async def plaid_provider(plaid: PlaidEmulator) -> AsyncIterator[PlaidProvider]:
    """Our Plaid provider pointed at the emulator, with fast retries."""
    from fin_infra.providers.banking.plaid import PlaidProvider

    provider = PlaidProvider(**plaid.provider_options(), retry_backoff=0.01)
    yield provider
    await provider.aclose()


@dataclass
class Received:
    """What a webhook receiver got: raw body bytes and headers, in order."""

    requests: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    status: int = 200


@pytest.fixture(scope="session")
def _receiver_session() -> Iterator[tuple[str, Received]]:
    received = Received()

    async def hook(request: Request) -> Response:
        received.requests.append((await request.body(), dict(request.headers)))
        return Response(status_code=received.status)

    app = Starlette(routes=[Route("/hooks/plaid", hook, methods=["POST"])])
    with EmulatorServer(app) as server:
        yield server.base_url + "/hooks/plaid", received


@pytest.fixture
def webhook_receiver(_receiver_session: tuple[str, Received]) -> tuple[str, Received]:
    """A real local HTTP endpoint collecting webhooks: ``(url, received)``."""
    url, received = _receiver_session
    received.requests.clear()
    received.status = 200
    return url, received
