"""Emulator fixtures shared by the test folders: one emulator served for the whole session (starting one costs a
server and, for Teller, certificates), handed to each test fresh.

    plaid_server = served(serve_plaid_emulator)   # in a conftest: the session's emulator
    plaid = fresh("plaid_server")                 # each test's, reset (no Items, faults or webhooks)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest


def served(serve: Callable[..., AbstractContextManager[Any]], scope: str = "session", **options: Any) -> Any:
    """A fixture of ``scope`` yielding the emulator ``serve(**options)`` serves."""

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def server() -> Iterator[Any]:
        with serve(**options) as emulator:
            yield emulator

    return server


def fresh(server: str, reset_after: bool = False) -> Any:
    """A fixture handing a test the emulator of the fixture named ``server``, reset (and after it, with
    ``reset_after``)."""

    @pytest.fixture
    def emulator(request: pytest.FixtureRequest) -> Iterator[Any]:
        found = request.getfixturevalue(server)
        found.reset()
        yield found
        if reset_after:
            found.reset()

    return emulator
