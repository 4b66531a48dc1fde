"""``python -m fin_infra.emulators mx --port 8445``: run the MX emulator by hand.

Prints the URL, the credentials, a connected member's access token and the environment to export,
then serves until interrupted.
"""

from __future__ import annotations

from fin_infra.emulators.announce import serve_until_interrupted
from fin_infra.testing.mx import serve_mx_emulator


def main(host: str = "127.0.0.1", port: int = 8445) -> None:
    """Serve the emulator on ``host:port`` until Ctrl-C."""
    with serve_mx_emulator(host=host, port=port) as mx:
        token = mx.create_access_token("demo-user")
        about = [
            f"MX emulator on {mx.base_url} (HTTP Basic: client_id {mx.client_id}, api_key {mx.api_key})",
            f"  access token of a connected MX Bank member (user 'demo-user'): {token}",
            "  sandbox login at mxbank: username 'mxuser'; password 'challenge' / 'options' / 'image' -> CHALLENGED "
            "(answer 'correct'), 'BAD_REQUEST' -> FAILED, 'UNAUTHORIZED' -> DENIED, a status name -> that status",
            "  the Connect widget: open the widget URL from /link in a browser (or an iframe), or POST "
            "/_emulator/connect {\"widget_url\": \"<url from /link>\", \"password\": \"p\"}",
            "  webhooks: POST /_emulator/webhook {\"url\": \"http://127.0.0.1:8000/banking/webhooks/mx\", "
            "\"username\": \"u\", \"password\": \"p\"}",
        ]
        try_it = [
            f"curl -u {mx.client_id}:{mx.api_key} -H 'Accept: application/vnd.mx.api.v1+json' {mx.base_url}/users",
        ]
        serve_until_interrupted(about, mx.env(), try_it)
