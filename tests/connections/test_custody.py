"""Connections mode on the sandbox provider, SQLite and PostgreSQL: the token stays on the server,
encrypted; each connection belongs to one user; bad input is a clear 4xx."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.connections import aread_audit
from fin_infra.crypto import ENCRYPTION_KEYS_ENV, EncryptionKeyError
from fin_infra.providers.banking.sandbox import SandboxProvider
from tests.connections.conftest import as_user, current_user, running
from tests.storage.databases import raw_rows

ALICE, BOB = as_user("alice"), as_user("bob")


async def _connect(client, user: dict[str, str], institution: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    public = await SandboxProvider().create_sandbox_public_token(institution)
    r = await client.post("/banking/exchange", json={"public_token": public}, headers=user)
    assert r.status_code == 201, r.text
    return dict(r.json()["connection"])


def _institutions() -> list[str]:
    from fin_infra.providers.banking.sandbox.catalogue import INSTITUTIONS

    return [i.id for i in INSTITUTIONS]


async def test_exchange_keeps_the_token_encrypted_on_the_server(
    db_url: str, make: Callable[..., FastAPI], all_logs: object
) -> None:
    sandbox = SandboxProvider()
    public = await sandbox.create_sandbox_public_token(_institutions()[0])
    token = (await SandboxProvider().exchange_public_token(public)).access_token  # what the sandbox will hand out
    app = make([sandbox])
    async with running(app) as client:
        r = await client.post("/banking/exchange", json={"public_token": public}, headers=ALICE)
        assert r.status_code == 201
        connection = r.json()["connection"]
        assert connection["id"].startswith("conn_") and connection["status"] == "ok"
        assert connection["provider"] == "sandbox" and len(connection["accounts"]) == 3
        assert all(a["mask"] for a in connection["accounts"])
        bodies = [r.text]
        for path in (
            "/banking/connections",
            f"/banking/connections/{connection['id']}",
            "/banking/accounts",
            "/banking/transactions",
            "/banking/balances",
            "/banking/identity",
        ):
            got = await client.get(path, headers=ALICE)
            assert got.status_code == 200, (path, got.text)
            bodies.append(got.text)
    assert token not in "".join(bodies)
    rows = await raw_rows(db_url, "SELECT * FROM fin_infra_connections")
    assert len(rows) == 1 and token not in repr(rows)
    every_table = ""
    for table in ("fin_infra_connections", "fin_infra_audit_log", "balance_history"):
        every_table += repr(await raw_rows(db_url, f"SELECT * FROM {table}"))
    assert token not in every_table and token.split("-")[-1] not in every_table
    assert token not in "\n".join(all_logs.lines)  # type: ignore[attr-defined]


async def test_the_same_token_exchanged_elsewhere_still_works_pass_through_is_untouched(
    make: Callable[..., FastAPI],
) -> None:
    # pass-through mode (no connections=) keeps answering with the token, as before
    app = FastAPI()
    add_banking(app, provider="sandbox")
    async with running(app) as client:
        public = await SandboxProvider().create_sandbox_public_token()
        r = await client.post("/banking/exchange", json={"public_token": public})
        assert r.status_code == 200 and r.json()["access_token"].startswith("access-sandbox-")


async def test_another_users_connection_is_404_on_every_route(db_url: str, make: Callable[..., FastAPI]) -> None:
    app = make()
    async with running(app) as client:
        mine = await _connect(client, ALICE)
        cid, account = mine["id"], mine["accounts"][0]["id"]
        for method, path, params in (
            ("GET", f"/banking/connections/{cid}", {}),
            ("DELETE", f"/banking/connections/{cid}", {}),
            ("DELETE", f"/banking/connections/{cid}", {"purge": "true"}),
            ("POST", f"/banking/connections/{cid}/reconnect", {}),
            ("GET", "/banking/accounts", {"connection_id": cid}),
            ("GET", "/banking/transactions", {"connection_id": cid}),
            ("GET", "/banking/balances", {"connection_id": cid}),
            ("GET", "/banking/identity", {"connection_id": cid}),
            ("GET", "/banking/balance-history", {"connection_id": cid, "account_id": account}),
        ):
            r = await client.request(method, path, params=params, headers=BOB)
            assert r.status_code == 404, (method, path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "connection_not_found"
        # nor through the routes without an id: Bob sees nothing of Alice's
        assert (await client.get("/banking/connections", headers=BOB)).json()["count"] == 0
        assert (await client.get("/banking/accounts", headers=BOB)).json()["accounts"] == []
        r = await client.get("/banking/balance-history", params={"account_id": account}, headers=BOB)
        assert r.status_code == 404
        r = await client.get("/banking/balances", params={"account_id": account}, headers=BOB)
        assert r.status_code == 404
        # and Alice's connection is intact
        assert (await client.get(f"/banking/connections/{cid}", headers=ALICE)).status_code == 200
        assert (await client.get("/banking/accounts", params={"connection_id": cid}, headers=ALICE)).json()[
            "count"
        ] == 3


async def test_bad_input_is_a_clear_4xx_problem(make: Callable[..., FastAPI]) -> None:
    app = make()
    async with running(app) as client:
        public = await SandboxProvider().create_sandbox_public_token()
        r = await client.post("/banking/exchange", json={"public_token": public, "provider": "mx"}, headers=ALICE)
        assert r.status_code == 422 and r.json()["code"] == "provider_not_configured"
        assert "sandbox" in r.json()["detail"]
        for bad in ("nope", "conn_short", "conn_" + "x" * 10_000, "conn_" + "!" * 22):
            for method, path, params in (
                ("GET", f"/banking/connections/{bad}", {}),
                ("DELETE", f"/banking/connections/{bad}", {}),
                ("GET", "/banking/accounts", {"connection_id": bad}),
                ("GET", "/banking/transactions", {"connection_id": bad}),
            ):
                r = await client.request(method, path, params=params, headers=ALICE)
                assert 400 <= r.status_code < 500, (bad[:20], path, r.status_code)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert len(r.text) < 2_000  # the 10 kB id is not echoed back
        mine = await _connect(client, ALICE)
        assert (await client.delete(f"/banking/connections/{mine['id']}", headers=ALICE)).status_code == 204
        for path, params in (
            (f"/banking/connections/{mine['id']}", {}),
            ("/banking/accounts", {"connection_id": mine["id"]}),
        ):
            r = await client.get(path, params=params, headers=ALICE)
            assert r.status_code == 404 and r.json()["code"] == "connection_not_found"
        r = await client.get("/banking/connections")  # no user at all
        assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
        r = await client.post("/banking/exchange", json={}, headers=ALICE)
        assert r.status_code == 422
        r = await client.post("/banking/exchange", json={"public_token": "public-sandbox-forged"}, headers=ALICE)
        assert 400 <= r.status_code < 500


async def test_transactions_of_all_connections_are_one_list_paged(make: Callable[..., FastAPI]) -> None:
    app = make()
    first, second = _institutions()[:2]
    async with running(app) as client:
        a = await _connect(client, ALICE, first)
        b = await _connect(client, ALICE, second)
        await app.state.banking_ledger.runner.drain()  # the exchanges' first syncs: transactions are the ledger's
        one = (
            await client.get(
                "/banking/transactions", params={"connection_id": a["id"], "page_size": 200}, headers=ALICE
            )
        ).json()
        two = (
            await client.get(
                "/banking/transactions", params={"connection_id": b["id"], "page_size": 200}, headers=ALICE
            )
        ).json()
        both = (await client.get("/banking/transactions", params={"page_size": 10}, headers=ALICE)).json()
        assert both["total"] == one["total"] + two["total"] > 10 and both["count"] == 10
        dates = [t["date"] for t in both["transactions"]]
        assert dates == sorted(dates, reverse=True)
        seen: list[str] = []
        page = both
        while True:
            seen += [t["id"] for t in page["transactions"]]
            if not page["next"]:
                break
            page = (await client.get(page["next"], headers=ALICE)).json()
        assert len(seen) == len(set(seen)) == both["total"]
        assert {t["connection_id"] for t in one["transactions"]} == {a["id"]}
        assert (
            "connection_id=" + a["id"]
            in (
                await client.get(
                    "/banking/transactions", params={"connection_id": a["id"], "page_size": 1}, headers=ALICE
                )
            ).json()["next"]
        )


async def test_audit_trail_records_each_decryption_and_identity_read(db_url: str, make: Callable[..., FastAPI]) -> None:
    app = make()
    async with running(app) as client:
        mine = await _connect(client, ALICE)
        await app.state.banking_ledger.runner.drain()  # the exchange's first ledger sync
        await client.get("/banking/accounts", headers=ALICE)
        await client.get("/banking/identity", params={"connection_id": mine["id"]}, headers=ALICE)
        events = await aread_audit(app.state.banking_connections.store, user_id="alice")
    got = [(e.action, e.reason, e.outcome, e.connection_id) for e in reversed(events)]
    assert got == [
        ("token.decrypt", "sync:exchange", "ok", mine["id"]),
        ("token.decrypt", "GET /banking/accounts", "ok", mine["id"]),
        ("token.decrypt", "GET /banking/identity", "ok", mine["id"]),
        ("identity.read", "GET /banking/identity", "ok", mine["id"]),
    ]


async def test_a_missing_key_is_a_startup_error_naming_the_variable(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENCRYPTION_KEYS_ENV)
    with pytest.raises(EncryptionKeyError, match=ENCRYPTION_KEYS_ENV):
        add_banking(FastAPI(), providers=["sandbox"], connections=db_url, current_user=current_user)


async def test_a_wrong_key_is_a_clear_error_and_no_provider_call(
    db_url: str, make: Callable[..., FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fin_infra.crypto import new_key

    app = make()
    async with running(app) as client:
        mine = await _connect(client, ALICE)
    monkeypatch.setenv(ENCRYPTION_KEYS_ENV, new_key("k1"))  # same id, other key: a misconfigured deploy

    calls: list[str] = []

    class Watching(SandboxProvider):
        async def get_accounts(self, access_token: str):  # type: ignore[no-untyped-def]
            calls.append(access_token)
            return await super().get_accounts(access_token)

    other = make([Watching()])
    async with running(other) as client:
        r = await client.get("/banking/accounts", params={"connection_id": mine["id"]}, headers=ALICE)
        assert r.status_code == 500 and r.json()["code"] == "encryption_key_error"
        assert "FIN_INFRA_ENCRYPTION_KEYS" in r.json()["detail"]
    assert calls == []
