"""``python -m fin_infra.emulators plaid --port 8444``: serve the Plaid emulator until interrupted."""

from __future__ import annotations

import time

from fin_infra.emulators.plaid.app import create_app
from fin_infra.emulators.plaid.models import PlaidBackend
from fin_infra.emulators.server import EmulatorServer


def main(host: str = "127.0.0.1", port: int = 8444) -> None:
    """Serve a fresh emulator on ``host:port`` and print the settings that point fin-infra at it."""
    backend = PlaidBackend()
    try:
        with EmulatorServer(create_app(backend), host=host, port=port, log_level="info") as server:
            print(
                f"Plaid emulator on {server.base_url}\n"
                f"  PLAID_BASE_URL={server.base_url}\n"
                f"  PLAID_CLIENT_ID={backend.client_id}\n"
                f"  PLAID_SECRET={backend.secret}\n"
                "  PLAID_ENVIRONMENT=sandbox\n"
                "Sandbox login: user_good / pass_good at ins_109508. Ctrl-C to stop.",
                flush=True,
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
