"""The webhook routes `add_banking(app, webhooks=...)` mounts: ``POST {prefix}/webhooks/plaid|teller|finicity|mx``.

Each route reads the raw body (refusing one over ``max_body_bytes``), verifies it before parsing
anything, and answers:

- 401 problem+json ``webhook_unverified`` to anything unverified, logged with the reason and the
  client address, never the body or the signature;
- 503 ``provider_unavailable`` when Plaid's key endpoint can't be reached (not the sender's fault:
  Plaid retries later, and by then the key is usually there);
- 200 ``{"status": "duplicate"}`` to a replay of a delivery already accepted: nothing runs;
- 200 ``{"status": "accepted"}`` to a genuine first delivery, and only then are the handlers run;
- 200 ``{"status": "ignored"}`` (logged) to a genuine body that is not a JSON event with a type.

Handlers run after the 200 has been sent (a Starlette background task). Plaid retries any answer
that is not 200 within 10 s, for up to 24 hours; answering before the handlers run keeps the
answer fast, and means a handler's exception can't become a non-200 and a retry storm. The
exception is logged (``fin_infra.banking.webhooks``) and the delivery stays accepted: a replay of
it is still ignored. So make handlers idempotent and let them recover on their own (for Plaid, the
next ``/transactions/sync`` picks up whatever a failed handler missed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from fin_infra._json import dumpb
from fin_infra.banking import problems
from fin_infra.banking.route_class import ProblemRoute
from fin_infra.banking.webhooks._common import Verdict
from fin_infra.banking.webhooks.finicity import check_finicity_webhook
from fin_infra.banking.webhooks.mx import check_mx_webhook, replay_ttl
from fin_infra.banking.webhooks.registry import ProviderName, WebhookEvent, Webhooks
from fin_infra.banking.webhooks.teller import check_teller_webhook

log = logging.getLogger("fin_infra.banking.webhooks")

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Verified: `accepted` (handlers run after this answer), `duplicate` or `ignored`"},
    **problems.openapi_responses(
        "webhook_unverified",
        "payload_too_large",
        "provider_unavailable",
        descriptions={
            "webhook_unverified": "missing, forged or stale signature",
            "provider_unavailable": "Plaid's verification key could not be fetched; retried by Plaid",
        },
    ),
}


def _openapi(header_name: str, description: str) -> dict[str, Any]:
    # The body is read raw (the signature covers its exact bytes), so it is described here, not parsed.
    return {
        "parameters": [{"name": header_name, "in": "header", "required": True, "schema": {"type": "string"},
                        "description": description}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    }  # fmt: skip


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(provider: str, request: Request, verdict: Verdict) -> Response:
    client = request.client.host if request.client else "-"
    log.warning("refused %s webhook from %s: %s", provider, client, verdict.reason)
    if verdict.retryable:
        return problems.problem(
            "provider_unavailable", f"the {provider} webhook can't be verified right now; retry later", status=503
        )
    return problems.problem("webhook_unverified", f"the {provider} webhook signature could not be verified")


def _event(provider: ProviderName, body: bytes, delivery_id: str) -> WebhookEvent | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past the parser's stack
        return None
    if not isinstance(data, dict):
        return None
    if provider == "plaid":
        kind, code, item = data.get("webhook_type"), data.get("webhook_code"), data.get("item_id")
    elif provider == "finicity":
        kind, code, item = data.get("eventType"), None, _finicity_item(data)
    elif provider == "mx":
        kind, code, item = data.get("type"), data.get("action"), data.get("member_guid")
    else:
        inner = data.get("payload")
        inner = inner if isinstance(inner, dict) else {}
        kind, code, item = data.get("type"), None, inner.get("enrollment_id")
        event_id = data.get("id")
        if isinstance(event_id, str) and event_id:
            delivery_id = "teller:" + event_id  # a retry of the same event is the same delivery
    if not isinstance(kind, str) or not kind:
        return None
    return WebhookEvent(
        provider=provider,
        type=kind,
        code=code if isinstance(code, str) else None,
        item_id=item if isinstance(item, str) else None,
        delivery_id=delivery_id,
        payload=data,
    )


def _finicity_item(data: dict[str, Any]) -> str | None:
    customer = data.get("customerId")
    if not isinstance(customer, (str, int)) or isinstance(customer, bool):
        return None
    given = data.get("payload")
    payload: dict[str, Any] = given if isinstance(given, dict) else {}
    listed = payload.get("accounts")
    accounts: list[Any] = listed if isinstance(listed, list) else []
    logins = {str(a["institutionLoginId"]) for a in accounts if isinstance(a, dict) and a.get("institutionLoginId")}
    login = payload.get("institutionLoginId") or (logins.pop() if len(logins) == 1 else None)
    return f"{customer}:{login}" if login else str(customer)


def build_webhook_router(
    webhooks: Webhooks, *, prefix: str = "/banking", tags: list[str] | None = None, provider: object | None = None
) -> APIRouter:
    """An `APIRouter` with ``POST {prefix}/webhooks/plaid``, ``/teller``, ``/finicity`` and ``/mx``.

    ``provider``: the mounted provider; a Plaid provider's credentials are used to fetch Plaid's keys
    unless ``webhooks`` was given its own verifier.
    """
    if provider is not None:
        webhooks.use_provider_credentials(provider)
    router = APIRouter(prefix=prefix, tags=list(tags or ["banking webhooks"]), route_class=ProblemRoute)

    async def accept(provider: ProviderName, request: Request, verdict: Verdict, body: bytes, ttl: float) -> Response:
        event = _event(provider, body, verdict.delivery_id or "")
        if event is None:
            # Genuine but not an event we understand: a non-200 would only be retried for a day, to no end.
            log.warning("verified %s webhook has no JSON object with a type; ignored", provider)
            return Response(dumpb({"status": "ignored"}), media_type="application/json")
        if not await webhooks.replay_store.add_if_new(event.delivery_id, ttl):
            # A repeat reaches only refresh handlers (safe twice; a sync coalesces with the one running).
            repeatable = bool(webhooks.handlers_for(event, repeat=True))
            log.info(
                "%s webhook %s/%s repeats a delivery; %s",
                provider,
                event.type,
                event.code,
                "only refresh handlers run" if repeatable else "ignored",
            )
            return Response(
                dumpb({"status": "duplicate"}),
                media_type="application/json",
                background=BackgroundTask(webhooks.dispatch, event, repeat=True) if repeatable else None,
            )
        return Response(
            dumpb({"status": "accepted"}),
            media_type="application/json",
            background=BackgroundTask(webhooks.dispatch, event),
        )

    async def read(request: Request) -> bytes | Response:
        try:
            return await _read_body(request, webhooks.max_body_bytes)
        except _TooLarge:
            return problems.problem(
                "payload_too_large", f"webhook bodies are limited to {webhooks.max_body_bytes} bytes"
            )
        except ClientDisconnect:
            return Response(status_code=400)

    async def receive(
        provider: ProviderName,
        request: Request,
        check: Callable[[bytes], Awaitable[Verdict]],
        ttl: Callable[[bytes], float],
    ) -> Response:
        """Read the body, verify it (401 when not genuine), then accept it once (see ``accept``)."""
        body = await read(request)
        if isinstance(body, Response):
            return body
        verdict = await check(body)
        if not verdict.ok:
            return _refused(provider, request, verdict)
        return await accept(provider, request, verdict, body, ttl(body))

    @router.post(
        "/webhooks/plaid",
        summary="Receive a Plaid webhook (verified, replay-safe)",
        responses=_RESPONSES,
        openapi_extra=_openapi("Plaid-Verification", "ES256 JWT over the body's SHA-256, from Plaid"),
    )
    async def plaid_webhook(request: Request) -> Response:
        async def check(body: bytes) -> Verdict:
            return await webhooks.plaid.check_async(request.headers, body)

        return await receive("plaid", request, check, lambda _: webhooks.plaid.replay_window + 60.0)

    @router.post(
        "/webhooks/teller",
        summary="Receive a Teller webhook (verified, replay-safe)",
        responses=_RESPONSES,
        openapi_extra=_openapi("Teller-Signature", "t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>"),
    )
    async def teller_webhook(request: Request) -> Response:
        async def check(body: bytes) -> Verdict:
            return check_teller_webhook(
                request.headers, body, webhooks.teller_secrets, tolerance=webhooks.teller_tolerance
            )

        return await receive(
            "teller", request, check, lambda _: max(webhooks.teller_replay_ttl, webhooks.teller_tolerance)
        )

    @router.post(
        "/webhooks/finicity",
        summary="Receive a Finicity Data Connect webhook (verified, replay-safe)",
        responses=_RESPONSES,
        openapi_extra=_openapi("X-Finicity-Signature", "hex HMAC-SHA256 of the body under the partner secret"),
    )
    async def finicity_webhook(request: Request) -> Response:
        async def check(body: bytes) -> Verdict:
            return check_finicity_webhook(request.headers, body, webhooks.finicity_secrets)

        return await receive("finicity", request, check, lambda _: webhooks.finicity_replay_ttl)

    @router.post(
        "/webhooks/mx",
        summary="Receive an MX webhook (HTTP Basic credentials checked, replay-safe)",
        responses=_RESPONSES,
        openapi_extra=_openapi("Authorization", "Basic: the username and password given to MX for webhooks"),
    )
    async def mx_webhook(request: Request) -> Response:
        async def check(body: bytes) -> Verdict:
            return check_mx_webhook(request.headers, body, webhooks.mx_credentials)

        return await receive(
            "mx", request, check, lambda body: replay_ttl(body, status_ttl=webhooks.mx_status_replay_ttl)
        )

    return router


__all__ = ["build_webhook_router"]
