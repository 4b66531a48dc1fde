"""``python -m fin_infra.emulators mx --port N`` serves the emulator and prints how to use it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_serves_the_emulator() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fin_infra.emulators", "mx", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not lines or "Ctrl-C" not in lines[-1]:  # printed (flushed) once the server is up
            line = proc.stdout.readline()
            assert line, "the emulator exited before printing its banner"
            lines.append(line)
        env = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines if line.startswith("export "))
        assert env["MX_BASE_URL"] == f"http://127.0.0.1:{port}" and env["FIN_INFRA_BANKING_PROVIDER"] == "mx"
        token = next(line.rsplit(": ", 1)[1].strip() for line in lines if "access token" in line)
        from fin_infra.providers.banking.mx import MXClient

        client = MXClient.from_env(env)
        try:
            assert len(client.accounts(access_token=token)) == 3
        finally:
            client.close()
        answer = httpx.get(f"{env['MX_BASE_URL']}/users", auth=(env["MX_CLIENT_ID"], env["MX_API_KEY"]),
                           headers={"Accept": "application/vnd.mx.api.v1+json"})  # fmt: skip
        assert answer.status_code == 200 and answer.json()["users"][0]["id"] == "demo-user"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
    assert os.environ.get("MX_CLIENT_ID") is None
