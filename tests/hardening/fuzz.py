"""Schemathesis over ``/banking/openapi.json`` of apps on the sandbox, the Teller emulator and the Plaid emulator.

Each app (webhook routes mounted) is served by uvicorn on 127.0.0.1; cases come from the apps' OpenAPI
document, positive and negative, derandomized (the same cases every run), generated once and sent to
each app with a valid access token. Two properties are checked on every answer: no server error (5xx
other than the provider statuses 502/503 the operation documents), and no status the operation does
not document.

    .venv/bin/python -m tests.hardening.fuzz 5000        # make fuzz: 5,000 cases per provider
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation.modes import GenerationMode

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import PlaidKeySource, PlaidWebhookVerifier, Webhooks
from fin_infra.emulators.server import EmulatorServer
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider
from fin_infra.providers.banking.teller import RetryPolicy
from fin_infra.providers.base import BankingProvider
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator
from fin_infra.testing.teller import serve_teller_emulator

PROVIDERS = ("sandbox", "teller", "plaid")
TELLER_SECRET = "whsec_fuzz_secret"


@dataclass
class Counts:
    """What one provider's run saw."""

    provider: str
    cases: int = 0
    server_errors: list[str] = field(default_factory=list)
    undocumented: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def line(self) -> str:
        seen = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.provider}: {self.cases} cases, {len(self.server_errors)} server errors, "
            f"{len(self.undocumented)} undocumented statuses ({seen})"
        )


def _webhooks(plaid: PlaidEmulator) -> Webhooks:
    keys = PlaidKeySource(client_id=plaid.client_id, secret=plaid.secret, base_url=plaid.base_url)
    return Webhooks(plaid=PlaidWebhookVerifier(keys), teller_secrets=[TELLER_SECRET])


@contextlib.contextmanager
def served_apps(names: tuple[str, ...] = PROVIDERS) -> Iterator[dict[str, tuple[str, str]]]:
    """``{provider: (base URL of a served app, a valid access token)}`` for the block."""
    before = set(threading.enumerate())
    with contextlib.ExitStack() as stack:
        # Last out: the apps are served without a lifespan, so their providers are closed here, and the
        # worker threads they started (daemons, made on the server threads) are waited for.
        stack.callback(_join_new_threads, before)
        providers: list[BankingProvider] = []
        stack.callback(lambda: [asyncio.run(p.aclose()) for p in providers])
        plaid = stack.enter_context(serve_plaid_emulator())
        out: dict[str, tuple[str, str]] = {}
        for name in names:
            app = FastAPI()
            if name == "sandbox":
                add_banking(app, provider=SandboxProvider(), webhooks=_webhooks(plaid))
                token = DEMO_ACCESS_TOKEN
            elif name == "teller":
                teller = stack.enter_context(serve_teller_emulator())
                token = teller.enroll("username", "password")
                retry = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05, total_timeout=2.0)
                add_banking(app, provider=teller.client(retry=retry), webhooks=_webhooks(plaid))
            else:
                token = plaid.create_access_token()
                provider = plaid.client(retry_backoff=0.01, max_retries=1, total_timeout=2.0)
                add_banking(app, provider=provider, webhooks=_webhooks(plaid))
            providers.append(app.state.banking_provider)
            server = stack.enter_context(EmulatorServer(app))
            out[name] = (server.base_url, token)
        yield out


def _join_new_threads(before: set[threading.Thread]) -> None:
    for thread in set(threading.enumerate()) - before:
        if thread.name.startswith("fin-infra-"):
            thread.join(timeout=10)


def _documented(doc: dict[str, Any], method: str, path: str) -> set[str]:
    return set(doc["paths"][path][method.lower()]["responses"])


@dataclass(frozen=True)
class Sent:
    """One generated request: the operation it is for (method, path template) and what to send."""

    method: str
    template: str
    url: str
    options: dict[str, Any]


def generate(doc: dict[str, Any], cases: int) -> list[Sent]:
    """``cases`` requests from ``doc``, half positive and half negative, the same ones every run (derandomized).

    Generation is the slow part (schemathesis' negative cases most of all), so requests are generated
    once and sent to every app: the apps serve the same document (the tests check it).
    """
    schema = schemathesis.openapi.from_dict(doc)
    out: list[Sent] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        wanted = cases // 2 if mode is GenerationMode.POSITIVE else cases - cases // 2

        @settings(
            max_examples=wanted,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=schema.as_strategy(mode, headers={"Authorization": "Bearer __token__"}))
        def collect(case: Any) -> None:
            kwargs = case.as_transport_kwargs(base_url="http://app")
            options = {k: kwargs[k] for k in ("params", "headers", "json", "content", "data") if k in kwargs}
            if "data" in options:
                options["content"] = options.pop("data")
            out.append(Sent(str(kwargs["method"]).upper(), case.path, case.formatted_path, options))

        collect()
    return out


def replay(provider: str, base_url: str, token: str, doc: dict[str, Any], requests: list[Sent]) -> Counts:
    """Send ``requests`` to the app at ``base_url`` (with ``token`` where a token is sent) and judge each answer."""
    counts = Counts(provider)
    with httpx.Client(base_url=base_url, timeout=30.0) as http:
        for sent in requests:
            options = dict(sent.options)
            headers = {k: (f"Bearer {token}" if v == "Bearer __token__" else v)
                       for k, v in dict(options.pop("headers", {}) or {}).items()}  # fmt: skip
            counts.cases += 1
            try:
                response = http.request(sent.method, sent.url, headers=headers, **options)
            except httpx.HTTPError as exc:  # the server broke the connection: as bad as a 500
                counts.server_errors.append(f"{sent.method} {sent.url}: {type(exc).__name__}")
                continue
            counts.statuses[response.status_code] += 1
            where = f"{sent.method} {sent.url} {options.get('params')} -> {response.status_code} {response.text[:160]}"
            documented = str(response.status_code) in _documented(doc, sent.method, sent.template)
            if not documented:
                counts.undocumented.append(where)
            if response.status_code == 500 or (response.status_code >= 500 and not documented):
                counts.server_errors.append(where)
    return counts


def schema_of(base_url: str) -> dict[str, Any]:
    """The app's banking OpenAPI document, without the parts that name the provider."""
    doc = dict(httpx.get(f"{base_url}/banking/openapi.json", timeout=30.0).json())
    doc["info"] = {k: v for k, v in doc["info"].items() if k != "description"}
    return doc


def fuzz_all(cases: int, names: tuple[str, ...] = PROVIDERS) -> list[Counts]:
    """``cases`` generated requests to each provider's app (see the module docstring)."""
    with served_apps(names) as apps:
        docs = {name: schema_of(base_url) for name, (base_url, _) in apps.items()}
        first = docs[names[0]]
        if any(doc != first for doc in docs.values()):
            raise AssertionError("the providers' apps serve different OpenAPI documents")
        requests = generate(first, cases)
        return [replay(name, base_url, token, first, requests) for name, (base_url, token) in apps.items()]


def main(argv: list[str]) -> int:
    cases = int(argv[0]) if argv else 5000
    logging.disable(logging.WARNING)  # refused inputs are logged by design; the counts are the output
    started = time.monotonic()
    failed = False
    for counts in fuzz_all(cases):
        print(counts.line(), flush=True)
        for line in (counts.server_errors + counts.undocumented)[:20]:
            print("   ", line)
        failed = failed or bool(counts.server_errors or counts.undocumented)
    print(f"done in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
