"""Configuration is checked when the app starts: one line naming the setting, its value (password masked) and the
fix, instead of a driver traceback at startup or a 502 on every request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.startup import ConfigurationError

ROOT = Path(__file__).resolve().parents[1]


def test_an_unreachable_history_database_stops_the_app_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIN_INFRA_")}
    env["FIN_INFRA_DATABASE_URL"] = "postgresql://app:s3cret-pw@127.0.0.1:1/app"
    done = subprocess.run(
        [sys.executable, "-m", "uvicorn", "examples.demo_app:app", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "s3cret-pw" not in out
    named = "FIN_INFRA_DATABASE_URL='postgresql://app:***@127.0.0.1:1/app'"
    lines = [line for line in out.splitlines() if named in line]
    assert lines, out[-3000:]
    assert "balance history database can't be used" in lines[0] and "start it or fix FIN_INFRA_DATABASE_URL" in lines[0]


async def test_a_database_argument_is_named_as_the_argument(tmp_path: Path) -> None:
    app = FastAPI()
    add_banking(app, provider="sandbox", database_url="postgresql://app:pw2@127.0.0.1:1/app")
    with pytest.raises(ConfigurationError, match=r"add_banking\(database_url=\.\.\.\)='postgresql://app:\*\*\*@"):
        async with app.router.lifespan_context(app):
            pass


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FIN_INFRA_CACHE_TTL", "two minutes", "FIN_INFRA_CACHE_TTL='two minutes' is not a number of seconds"),
        ("FIN_INFRA_CACHE_TTL", "-5", "set it to 0 (caching off) or more"),
        ("FIN_INFRA_CACHE_URL", "memcached://u:hunter2@cache:11211", "FIN_INFRA_CACHE_URL='memcached://u:***@cache"),
        ("FIN_INFRA_CACHE_URL", "127.0.0.1:6379", "use memory:// or redis://host:6379/0"),
    ],
)
def test_bad_cache_settings_fail_at_startup(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        add_banking(FastAPI(), provider="sandbox")
    message = str(raised.value)
    assert expected in message and "\n" not in message and "hunter2" not in message
    assert isinstance(raised.value, ValueError)
