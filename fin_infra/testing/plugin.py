"""The pytest plugin (``pytest11`` entry point): emulator fixtures for apps built on fin-infra.

    def test_my_app(teller_emulator):
        token = teller_emulator.enroll("username", "password")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def teller_emulator() -> Iterator[Any]:
    """A Teller emulator over real HTTPS + mTLS on 127.0.0.1, for one test."""
    from fin_infra.testing import serve_teller_emulator

    with serve_teller_emulator() as teller:
        yield teller


@pytest.fixture
def plaid_emulator() -> Iterator[Any]:
    """A Plaid emulator over real HTTP on 127.0.0.1, for one test."""
    from fin_infra.testing import serve_plaid_emulator

    with serve_plaid_emulator() as plaid:
        yield plaid


@pytest.fixture
def mx_emulator() -> Iterator[Any]:
    """An MX emulator over real HTTP on 127.0.0.1, for one test."""
    from fin_infra.testing import serve_mx_emulator

    with serve_mx_emulator() as mx:
        yield mx


@pytest.fixture
def finicity_emulator() -> Iterator[Any]:
    """A Finicity emulator over real HTTP on 127.0.0.1, for one test."""
    from fin_infra.testing import serve_finicity_emulator

    with serve_finicity_emulator() as finicity:
        yield finicity
