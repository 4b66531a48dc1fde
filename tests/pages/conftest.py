"""The connect and overview pages in a real browser: an app in connections mode on the Plaid and Teller emulators
(over real HTTP; Teller Connect's stand-in served beside the Teller emulator), or on the MX and Finicity emulators
(`widget_app`: their widgets' stand-ins are on the emulators themselves), SQLite in a temporary folder, and the
host app's own auth: a ``session`` cookie (or a Bearer token its script supplies) naming the user."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Cookie, FastAPI, Header
from fastapi.responses import Response

from fin_infra.banking import add_banking
from fin_infra.banking.pages import ConnectPage
from fin_infra.crypto import ENCRYPTION_KEYS_ENV, new_key
from fin_infra.testing.finicity import FinicityEmulator, serve_finicity_emulator
from fin_infra.testing.mx import MXEmulator, serve_mx_emulator
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator
from fin_infra.testing.teller import TellerEmulator, serve_teller_emulator

AUTH_SCRIPT = "window.finInfraAuth = { headers: function () { return { Authorization: 'Bearer bob' }; } };\n"


def current_user(
    session: Annotated[str | None, Cookie()] = None, authorization: Annotated[str | None, Header()] = None
) -> str | None:
    """The host app's auth, simplified: a session cookie, or a Bearer token, is the user id."""
    if authorization and authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ")
    return session


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENCRYPTION_KEYS_ENV, new_key("k1"))


@pytest.fixture(scope="session")
def plaid_server() -> Iterator[PlaidEmulator]:
    with serve_plaid_emulator() as emulator:
        yield emulator


@pytest.fixture
def plaid(plaid_server: PlaidEmulator) -> PlaidEmulator:
    plaid_server.reset()
    return plaid_server


@pytest.fixture(scope="session")
def teller_server() -> Iterator[TellerEmulator]:
    with serve_teller_emulator(connect_widget=True) as emulator:
        yield emulator


@pytest.fixture
def teller(teller_server: TellerEmulator) -> TellerEmulator:
    teller_server.reset()
    return teller_server


@pytest.fixture(scope="session")
def mx_server() -> Iterator[MXEmulator]:
    with serve_mx_emulator() as emulator:
        yield emulator


@pytest.fixture
def mx(mx_server: MXEmulator) -> MXEmulator:
    mx_server.reset()
    return mx_server


@pytest.fixture(scope="session")
def finicity_server() -> Iterator[FinicityEmulator]:
    with serve_finicity_emulator() as emulator:
        yield emulator


@pytest.fixture
def finicity(finicity_server: FinicityEmulator) -> FinicityEmulator:
    finicity_server.reset()
    return finicity_server


@pytest.fixture
def widget_app(tmp_path: Path, mx: MXEmulator, finicity: FinicityEmulator) -> FastAPI:
    """An app on the MX and Finicity emulators: the page opens MX's widget URL and Finicity Connect's stand-in SDK
    from the emulators (no ``widget_scripts`` needed: the providers' hosts say where)."""
    app = FastAPI()
    add_banking(
        app,
        providers=[mx.client(status_cache_ttl=0), finicity.client()],
        connections=f"sqlite:///{tmp_path / 'widgets.db'}",
        current_user=current_user,
        connect_page=True,
    )
    return app


@pytest.fixture
def page_app(make_page_app: Callable[..., FastAPI]) -> FastAPI:
    return make_page_app()


@pytest.fixture
def make_page_app(tmp_path: Path, plaid: PlaidEmulator, teller: TellerEmulator) -> Callable[..., FastAPI]:
    return lambda auth_script=None: build_app(tmp_path, plaid, teller, auth_script)


def build_app(tmp_path: Path, plaid: PlaidEmulator, teller: TellerEmulator, auth_script: str | None) -> FastAPI:
    app = FastAPI()

    @app.get("/static/banking-auth.js", include_in_schema=False)
    async def host_auth_script() -> Response:  # the host app's own script: supplies its Bearer token to the pages
        return Response(AUTH_SCRIPT, media_type="text/javascript")

    add_banking(
        app,
        providers=[plaid.client(retry_backoff=0.01), teller.client(account_cache_ttl=0)],
        connections=f"sqlite:///{tmp_path / 'app.db'}",
        current_user=current_user,
        track_balances=True,
        connect_page=ConnectPage(widget_scripts={"teller": str(teller.connect_script_url)}, auth_script=auth_script),
    )
    return app


def wait_synced(base: str, user: dict[str, str], connection_id: str, timeout: float = 60) -> None:
    """Until the connection's first ledger sync ended (a deadline, not a speed check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/banking/connections/{connection_id}", headers=user).json()["connection"]
        run = (body.get("sync") or {}).get("run") or {}
        if run.get("outcome") in ("ok", "error", "crashed"):
            return
        time.sleep(0.1)
    raise AssertionError(f"the first sync of {connection_id} did not end")


def connect_via_api(base: str, user: dict[str, str], plaid: PlaidEmulator | None = None,
                    teller: TellerEmulator | None = None) -> dict[str, Any]:
    """Connections made through the JSON routes (what the widgets' results would give), synced."""
    made: dict[str, Any] = {}
    if plaid is not None:
        body = {"provider": "plaid", "public_token": plaid.create_public_token("ins_109508")}
        made["plaid"] = httpx.post(f"{base}/banking/exchange", json=body, headers=user).json()["connection"]
    if teller is not None:
        body = {"provider": "teller", **teller.connect(seed="pages-test")}
        made["teller"] = httpx.post(f"{base}/banking/exchange", json=body, headers=user).json()["connection"]
    for connection in made.values():
        wait_synced(base, user, connection["id"])
    return made
