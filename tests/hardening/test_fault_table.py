"""Every emulator fault on every route of both providers ends in a typed problem+json, within bounds.

Faults are planned for every request (``times`` larger than any retry budget), so each route sees
the failure however often it retries; the number of requests it makes and the time it takes are
bounded by the providers' retry and time budgets (see conftest: 3 attempts, 0.6 s per call).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.hardening.conftest import Live

PERSISTENT = 200  # more than any retry budget
MAX_REQUESTS = 16  # 3 attempts x (account list + 3 accounts + 1)


@dataclass(frozen=True)
class Fault:
    name: str
    status: int | None  # None: not an HTTP answer (hang, dropped connection)
    body: str | None = None
    content_type: str = "application/json"
    retry_after: str | None = None
    hang: bool = False
    drop: bool = False
    expect: tuple[str, ...] = ("provider_unavailable",)


def _teller_error(status: int) -> str:
    return json.dumps({"error": {"code": "too_many_requests" if status == 429 else "internal_server_error",
                                 "message": "injected"}})  # fmt: skip


def _plaid_error(status: int) -> str:
    kind, code = ("RATE_LIMIT_EXCEEDED", "RATE_LIMIT") if status == 429 else ("API_ERROR", "INTERNAL_SERVER_ERROR")
    return json.dumps({"error_type": kind, "error_code": code, "error_message": "injected", "request_id": "r1",
                       "display_message": None})  # fmt: skip


RATE = ("rate_limited",)
UNREADABLE = ("invalid_response",)
HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
FAULTS = [
    Fault("429", 429, expect=RATE),
    *(
        Fault(f"429 Retry-After {hint}", 429, retry_after=hint, expect=RATE)
        for hint in (
            *("1", "0", "inf", "-inf", "NaN", "-5", "1e12", "1e400", "99999999999999999999", "soon"),
            *("Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 99 Foo 2020"),
        )
    ),
    Fault("500", 500),
    Fault("502", 502),
    Fault("503", 503),
    Fault("503 Retry-After inf", 503, retry_after="inf"),
    Fault("504", 504),
    Fault("HTML 502 page", 502, body=HTML, content_type="text/html"),
    Fault("HTML 503 page", 503, body=HTML, content_type="text/html"),
    Fault("HTML 200 page", 200, body=HTML, content_type="text/html", expect=UNREADABLE),
    Fault("timeout", None, hang=True, expect=("provider_unavailable",)),
    Fault("drop mid-body", None, drop=True),
    Fault("malformed JSON", 200, body='{"accounts": [{"account_id": "x"', expect=UNREADABLE),
    Fault("empty body", 200, body="", expect=UNREADABLE),
    Fault("wrong-shape JSON object", 200, body='{"unexpected": true}', expect=UNREADABLE),
    Fault("wrong-shape JSON list", 200, body='[{"unexpected": true}]', expect=UNREADABLE),
    Fault("wrong-shape JSON scalar", 200, body="42", expect=UNREADABLE),
    Fault("JSON nested 100000 deep", 200, body="[" * 100_000 + "]" * 100_000, expect=UNREADABLE),
]

Route = tuple[str, str, Callable[[Live], dict[str, Any]]]
ROUTES: list[Route] = [
    ("POST", "/banking/link", lambda live: {"json": {"user_id": "u1"}, "headers": live.auth}),  # update mode
    ("POST", "/banking/exchange", lambda live: {"json": live.exchange_body}),
    ("GET", "/banking/accounts", lambda live: {"headers": live.auth}),
    ("GET", "/banking/transactions", lambda live: {"headers": live.auth}),
    ("GET", "/banking/transactions", lambda live: {"headers": live.auth, "params": {"account_id": live.account_id}}),
    ("GET", "/banking/balances", lambda live: {"headers": live.auth}),
    ("GET", "/banking/balances", lambda live: {"headers": live.auth, "params": {"account_id": live.account_id}}),
    ("GET", "/banking/identity", lambda live: {"headers": live.auth}),
    ("GET", "/banking/balance-history", lambda live: {"headers": live.auth, "params": {"account_id": live.account_id}}),
]  # fmt: skip


def _plan(live: Live, fault: Fault) -> None:
    if live.name == "teller":
        faults = live.emulator.faults
        if fault.hang:
            faults.hang_next(3.0, times=PERSISTENT)
        elif fault.drop:
            faults.drop_next(times=PERSISTENT)
        elif fault.body is not None:
            faults.answer_next(
                fault.status, fault.body, content_type=fault.content_type, retry_after=fault.retry_after,
                times=PERSISTENT,
            )  # fmt: skip
        else:
            assert fault.status is not None
            faults.answer_next(fault.status, _teller_error(fault.status), retry_after=fault.retry_after,
                               times=PERSISTENT)  # fmt: skip
        return
    faults = live.emulator.http_faults
    if fault.hang:
        faults.hang_next(3.0, times=PERSISTENT)
    elif fault.drop:
        faults.drop_next(times=PERSISTENT)
    else:
        assert fault.status is not None
        body = fault.body if fault.body is not None else _plaid_error(fault.status)
        faults.answer_next(
            fault.status, body, content_type=fault.content_type, retry_after=fault.retry_after, times=PERSISTENT
        )


def _requests(live: Live) -> int:
    if live.name == "teller":
        return len(live.emulator.backend.requests)
    return len(live.emulator.http_faults.requests)


def _clear(live: Live) -> None:
    if live.name == "teller":
        live.emulator.faults.clear()
    else:
        live.emulator.http_faults._queue.clear()


async def test_every_fault_on_every_route_is_a_typed_problem_within_bounds(live: Live) -> None:
    failures: list[str] = []
    for fault in FAULTS:
        for method, path, options in ROUTES:
            _plan(live, fault)
            before = _requests(live)
            response = await live.client.request(method, path, **options(live))
            attempts = _requests(live) - before
            _clear(live)
            where = f"{live.name} {method} {path} under {fault.name}: {response.status_code} {response.text[:200]}"
            failures.extend(f"{where}: {problem}" for problem in _judge(response, fault, attempts))
    assert not failures, "\n".join(failures)


def _judge(response: Any, fault: Fault, attempts: int) -> list[str]:
    if response.headers.get("content-type") != "application/problem+json":
        return ["not problem+json"]
    problem = response.json()
    out = []
    if problem.get("code") not in fault.expect:
        out.append(f"code {problem.get('code')!r}, expected one of {fault.expect}")
    if response.status_code != problem.get("status") or response.status_code not in (429, 502, 503):
        out.append("status")
    hint = response.headers.get("retry-after")
    if hint is not None and not (hint.isdigit() and int(hint) <= 3600):
        out.append(f"Retry-After {hint!r}")
    if not 1 <= attempts <= MAX_REQUESTS:
        out.append(f"{attempts} requests")
    return out


async def test_the_provider_works_again_once_the_fault_is_gone(live: Live) -> None:
    for method, path, options in ROUTES:
        response = await live.client.request(method, path, **options(live))
        if path == "/banking/exchange" and live.name == "plaid":
            continue  # the public token was spent by the first exchange
        assert response.status_code == 200, (live.name, path, response.text)
