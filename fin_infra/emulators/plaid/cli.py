"""``fin-infra emulators plaid --port 8444``: serve the Plaid emulator until interrupted.

Prints the URL, a ready access token and the environment to export, like the Teller emulator's command.
"""

from __future__ import annotations

import json
import shlex

from fin_infra.emulators.announce import serve_until_interrupted
from fin_infra.emulators.plaid.app import create_app
from fin_infra.emulators.plaid.models import PlaidBackend
from fin_infra.emulators.server import EmulatorServer

INSTITUTION = "ins_109508"


def main(host: str = "127.0.0.1", port: int = 8444) -> None:
    """Serve a fresh emulator on ``host:port`` and print the settings that point fin-infra at it."""
    backend = PlaidBackend()
    with EmulatorServer(create_app(backend), host=host, port=port, log_level="info") as server:
        url = server.base_url
        public_token = backend.create_public_token(INSTITUTION, ["transactions"], {})
        token = backend.exchange_public_token(public_token)[0]
        env = {
            "FIN_INFRA_BANKING_PROVIDER": "plaid",
            "PLAID_BASE_URL": url,
            "PLAID_CLIENT_ID": backend.client_id,
            "PLAID_SECRET": backend.secret,
            "PLAID_ENVIRONMENT": "sandbox",
        }
        keys = {"client_id": backend.client_id, "secret": backend.secret}
        more = {**keys, "institution_id": INSTITUTION, "initial_products": ["transactions"]}
        about = [
            f"Plaid emulator on {url}",
            f"  sandbox access token (user_good at {INSTITUTION}): {token}",
            f"  more tokens: POST /sandbox/public_token/create {json.dumps(more)}, "
            "then POST /item/public_token/exchange",
            f"  Link login: user_good / pass_good at {INSTITUTION}",
        ]
        try_it = [
            f"curl -X POST {url}/accounts/get -H 'Content-Type: application/json' "
            f"-d {shlex.quote(json.dumps({**keys, 'access_token': token}))}",
        ]
        serve_until_interrupted(about, env, try_it)
