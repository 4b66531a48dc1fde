"""``fin-infra emulators teller --port 8443``: run the Teller emulator by hand.

Prints the URL, the certificate paths, a ready access token, Teller Connect's stand-in (a free port, plain HTTP)
and the environment to export, then serves until interrupted. Certificates are written to a fresh temporary
directory each run.
"""

from __future__ import annotations

from fin_infra.emulators.announce import serve_until_interrupted
from fin_infra.testing.teller import serve_teller_emulator


def main(host: str = "127.0.0.1", port: int = 8443) -> None:
    """Serve the emulator on ``host:port`` until Ctrl-C."""
    with serve_teller_emulator(host=host, port=port, connect_widget=True) as teller:
        token = teller.enroll("username", "password")
        about = [
            f"Teller emulator on {teller.base_url} (client certificate requested: one signed by its CA; sandbox "
            "tokens work without, development ones need it)",
            f"  CA certificate:     {teller.certs.ca_cert}",
            f"  client certificate: {teller.certs.client_cert}",
            f"  client key:         {teller.certs.client_key}",
            f"  sandbox access token (user 'username'): {token}",
            f"  Teller Connect stand-in (plain HTTP): {teller.connect_script_url} (TellerConnect.setup(...).open(); "
            "add_banking(..., connect_page=ConnectPage(widget_scripts={'teller': <that URL>})))",
            "  more tokens: POST /_emulator/enrollments {\"username\": \"username\", \"password\": \"password\"}",
            "  webhooks: POST /_emulator/webhook {\"url\": \"http://127.0.0.1:8000/banking/webhooks/teller\", "
            "\"secrets\": [\"whsec_...\"]}, then POST /_emulator/webhooks {\"type\": \"webhook.test\"}",
        ]
        try_it = [
            f"curl --cacert {teller.certs.ca_cert} --cert {teller.certs.client_cert} "
            f"--key {teller.certs.client_key} -u {token}: {teller.base_url}/accounts",
        ]
        serve_until_interrupted(about, teller.env(), try_it)
