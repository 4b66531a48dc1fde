"""How fast verified webhooks are answered: ``python -m bench.webhooks``.

Judged by: Plaid retries any delivery not answered 200 within 10 s, so the answer must not wait for
the app's handlers. A real app (uvicorn, 127.0.0.1) with a handler that takes 1 s receives signed
webhooks from the Plaid emulator's keys; we print the answer latency next to the handler's duration
and Plaid's 10 s deadline, plus the cost of verification alone (Plaid ES256 with a cached key, Teller HMAC).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import statistics
import threading
import time

import httpx
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, WebhookEvent, Webhooks
from fin_infra.banking.webhooks.teller import check_teller_webhook
from fin_infra.emulators import EmulatorServer
from fin_infra.testing import serve_plaid_emulator

HANDLER_SECONDS = 1.0
PLAID_DEADLINE = 10.0
DELIVERIES = 30


def _per_call(fn: object, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()  # type: ignore[operator]
    return (time.perf_counter() - start) / n


def main() -> None:
    with serve_plaid_emulator() as plaid:
        keys = PlaidKeySource(client_id=plaid.client_id, secret=plaid.secret, base_url=plaid.base_url)
        verifier = PlaidWebhookVerifier(keys)
        payload = {"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "item_id": "bench"}

        body, headers = plaid.backend.webhook_keys.sign_payload(payload)
        assert verifier.verify(headers, body)  # fetches the key once
        plaid_cost = _per_call(lambda: verifier.check(headers, body), 2000)

        secret = b"whsec_bench"
        teller_body = json.dumps({"id": "wh_1", "type": "webhook.test", "payload": {}}).encode()
        t = int(time.time())
        sig = hmac.new(secret, f"{t}.".encode() + teller_body, hashlib.sha256).hexdigest()
        teller_headers = {"Teller-Signature": f"t={t},v1={sig}"}
        teller_cost = _per_call(lambda: check_teller_webhook(teller_headers, teller_body, [secret]), 20000)

        done = threading.Semaphore(0)
        webhooks = Webhooks(plaid=verifier)

        @webhooks.on("TRANSACTIONS")
        async def slow_handler(event: WebhookEvent) -> None:
            await asyncio.sleep(HANDLER_SECONDS)
            done.release()

        app = FastAPI()
        add_banking(app, provider="sandbox", webhooks=webhooks)
        latencies: list[float] = []
        with EmulatorServer(app) as server, httpx.Client(base_url=server.base_url) as client:
            for i in range(DELIVERIES):
                body, headers = plaid.backend.webhook_keys.sign_payload({**payload, "n": i})
                start = time.perf_counter()
                response = client.post("/banking/webhooks/plaid", content=body, headers=headers)
                latencies.append(time.perf_counter() - start)
                assert response.json() == {"status": "accepted"}, response.text
            for _ in range(DELIVERIES):
                assert done.acquire(timeout=HANDLER_SECONDS * 5), "a handler did not run"

    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"verify Plaid (ES256, cached key): {plaid_cost * 1e6:8.1f} us per webhook")
    print(f"verify Teller (HMAC-SHA256):      {teller_cost * 1e6:8.1f} us per webhook")
    print(
        f"answer to a verified Plaid webhook over HTTP, handler of {HANDLER_SECONDS:.1f} s ({DELIVERIES} deliveries):"
    )
    print(f"  p50 {p50 * 1e3:7.2f} ms, p99 {p99 * 1e3:7.2f} ms")
    print(f"  p99 / handler duration = {p99 / HANDLER_SECONDS:.4f} (< 1: the answer doesn't wait for handlers)")
    print(f"  p99 / Plaid's 10 s deadline = {p99 / PLAID_DEADLINE:.5f}")
    print(f"  every handler ran once afterwards: {DELIVERIES}/{DELIVERIES}")


if __name__ == "__main__":
    main()
