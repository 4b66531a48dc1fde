"""`BackgroundJobs` is the whole interface between fin-infra and a job engine: an app that passes its own
engine as ``add_banking(jobs=...)`` gets every trigger (exchange, manual sync) and the start / close calls;
without one, syncs run in the app's process as before."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.background.inprocess import InProcessJobs
from fin_infra.providers.banking.sandbox import SandboxProvider
from tests.connections.conftest import current_user
from tests.sync.ledger_setup import KEY_TEXT


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def enqueue_sync(self, connection_id: str, *, trigger: str) -> bool:
        self.calls.append(("sync", connection_id, trigger))
        return True

    async def start(self) -> None:
        self.calls.append(("start",))

    async def aclose(self) -> None:
        self.calls.append(("close",))


async def exchange_and_sync(app: FastAPI) -> str:
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        public = await SandboxProvider().create_sandbox_public_token()
        r = await client.post("/banking/exchange", json={"public_token": public}, headers={"x-user": "alice"})
        assert r.status_code == 201, r.text
        cid = str(r.json()["connection"]["id"])
        r = await client.post(f"/banking/connections/{cid}/sync", headers={"x-user": "alice"})
        assert r.status_code == 202, r.text
        await app.state.banking_ledger.runner.drain()
        r = await client.get(f"/banking/connections/{cid}", headers={"x-user": "alice"})
        app.state.shown = r.json()
        return cid


async def test_an_engine_of_ones_own_gets_every_trigger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIN_INFRA_JOBS_URL", raising=False)
    recorder = Recorder()
    app = FastAPI()
    add_banking(app, providers=["sandbox"], connections=f"sqlite:///{tmp_path / 'app.db'}", current_user=current_user,
                encryption_keys=KEY_TEXT, jobs=recorder)
    cid = await exchange_and_sync(app)
    assert recorder.calls == [("start",), ("sync", cid, "exchange"), ("sync", cid, "manual"), ("close",)]
    assert app.state.shown["connection"]["sync"]["run"] is None  # the engine ran nothing here: no run yet


async def test_without_an_engine_syncs_run_in_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIN_INFRA_JOBS_URL", raising=False)
    app = FastAPI()
    add_banking(app, providers=["sandbox"], connections=f"sqlite:///{tmp_path / 'app.db'}", current_user=current_user,
                encryption_keys=KEY_TEXT)
    assert isinstance(app.state.banking_ledger.jobs, InProcessJobs)
    await exchange_and_sync(app)
    run = app.state.shown["connection"]["sync"]["run"]
    assert run["outcome"] == "ok" and run["trigger"] in ("exchange", "manual", "follow-up")
    assert app.state.shown["connection"]["sync"]["last_synced_at"]
