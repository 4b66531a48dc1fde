"""The connect and overview pages in a real browser: an app in connections mode on the Plaid and Teller emulators
(over real HTTP; Teller Connect's stand-in served beside the Teller emulator), or on the MX and Finicity emulators
(`widget_app`: their widgets' stand-ins are on the emulators themselves), SQLite in a temporary folder, and the
host app's own auth: a ``session`` cookie (or a Bearer token its script supplies) naming the user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

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
from tests.emulator_fixtures import fresh, served

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


plaid_server = served(serve_plaid_emulator)
plaid = fresh("plaid_server")
teller_server = served(serve_teller_emulator, connect_widget=True)
teller = fresh("teller_server")
mx_server = served(serve_mx_emulator)
mx = fresh("mx_server")
finicity_server = served(serve_finicity_emulator)
finicity = fresh("finicity_server")


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
