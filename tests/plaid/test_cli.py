"""``python -m fin_infra.emulators plaid --port N`` serves the emulator until interrupted."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_serves_the_emulator() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fin_infra.emulators", "plaid", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C must reach it even when the test run itself was started in the background (which makes
        # SIGINT ignored, and a child inherits that): what's tested is the CLI, not how pytest was started.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.post(
                    f"{url}/sandbox/public_token/create",
                    json={
                        "client_id": "fin-infra-emulator-client",
                        "secret": "fin-infra-emulator-secret",
                        "institution_id": "ins_109508",
                        "initial_products": ["transactions"],
                    },
                )
                break
            except httpx.ConnectError:
                assert proc.poll() is None and time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        assert response.status_code == 200 and response.json()["public_token"].startswith("public-sandbox-")
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(12)]  # printed (flushed) once the server is up
        assert f"export PLAID_BASE_URL=http://127.0.0.1:{port}\n" in banner
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
