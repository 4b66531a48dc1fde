"""``python -m fin_infra.emulators finicity --port 8446``: serve the Finicity emulator until interrupted."""

from __future__ import annotations

from fin_infra.emulators.announce import serve_until_interrupted
from fin_infra.testing.finicity import serve_finicity_emulator


def main(host: str = "127.0.0.1", port: int = 8446) -> None:
    """Serve a fresh emulator on ``host:port`` and print what points fin-infra at it, and a ready access token."""
    with serve_finicity_emulator(host=host, port=port) as finicity:
        token = finicity.create_access_token()
        about = [
            f"Finicity emulator on {finicity.base_url}",
            f"  access token (customer connected to FinBank as demo/go): {token}",
            "  Data Connect: POST /banking/link gives a link; open it in a browser (or launch it with the SDK "
            f"stand-in {finicity.base_url}/assets/sdk/finicity-connect.min.js), or finish it with POST "
            '/_emulator/connect {"customerId": "...", "signature": "...", "username": "demo", "password": "go"}',
            "  faults: POST /_emulator/faults {\"latency\": 0.05} | {\"fail\": {\"status\": 503}} | "
            "{\"expire_tokens\": true}",
        ]
        serve_until_interrupted(about, finicity.env())
