"""Plaid webhook verification: the ``Plaid-Verification`` header, an ES256 JWT over the body's SHA-256.

    from fin_infra.banking.webhooks import verify_plaid_webhook

    @app.post("/webhooks/plaid")
    async def plaid_webhook(request: Request):
        body = await request.body()                      # the raw bytes, not request.json()
        if not verify_plaid_webhook(request.headers, body):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        ...

Pass the raw body. Plaid signs the SHA-256 of the exact bytes it sent (pretty-printed JSON, two-space
indent), so any re-serialization can change the hash. A parsed dict is accepted too, for the
documented ``payload = await request.json()`` pattern: it is re-serialized the way Plaid writes
bodies and accepted only if that reproduces the signed hash, which works for Plaid's bodies today
but is not guaranteed; a dict that doesn't reproduce the hash is refused, never accepted on trust.

The checks, in order: ``alg`` is exactly ES256 (``none``, HS256 and everything else refused, so an
HS256 token "signed" with the public key is refused too); a ``kid`` is given; ``iat`` is at most 5
minutes old and not in the future beyond a small skew; the body's SHA-256 equals
``request_body_sha256`` (constant-time compare); the key for ``kid`` is fetched from Plaid (cached)
and not expired; the ES256 signature is valid for it.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from fin_infra._sync import run_sync
from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.banking.webhooks._common import Payload, Verdict, body_candidates, header, refuse
from fin_infra.banking.webhooks._jws import CompactToken, MalformedToken, es256_signature_valid, parse_compact
from fin_infra.banking.webhooks.plaid_keys import KeyLookupError, PlaidKey, PlaidKeySource

log = logging.getLogger("fin_infra.banking.webhooks")

HEADER = "Plaid-Verification"
MAX_AGE_SECONDS = 300.0
DEFAULT_SKEW_SECONDS = 30.0
# How Plaid writes bodies (json.dumps(payload, indent=2)), then two other plausible spellings.
_PLAID_STYLES: tuple[dict[str, Any], ...] = ({"indent": 2}, {"indent": 2, "ensure_ascii": False}, {})


class PlaidWebhookVerifier:
    """Verify Plaid webhooks with keys from ``keys`` (a `PlaidKeySource`, built from the environment by default).

    >>> verifier = PlaidWebhookVerifier(PlaidKeySource(client_id="...", secret="..."))
    >>> # ok = await verifier.verify_async(request.headers, await request.body())
    """

    def __init__(
        self,
        keys: PlaidKeySource | None = None,
        *,
        max_age: float = MAX_AGE_SECONDS,
        skew: float = DEFAULT_SKEW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if importlib.util.find_spec("cryptography") is None:
            raise ProviderConfigurationError(
                "verifying Plaid webhooks needs the 'cryptography' package: pip install 'fin-infra[webhooks]'"
            )
        self.keys = keys if keys is not None else PlaidKeySource()
        self.max_age = max_age
        self.skew = skew
        self._clock = clock

    @property
    def replay_window(self) -> float:
        """Seconds a verified token stays acceptable: how long the replay store must remember it."""
        return self.max_age + self.skew

    # --- public checks ----------------------------------------------------------------------------

    async def check_async(self, headers: Mapping[str, str] | Any, payload: Payload) -> Verdict:
        """The verdict on one delivery (``.ok``, ``.reason``, ``.delivery_id``), fetching the key if needed."""
        first = self._precheck(headers, payload)
        if isinstance(first, Verdict):
            return first
        token, kid = first
        try:
            key = await self.keys.get(kid, token=token)
        except KeyLookupError as exc:
            return refuse(exc.reason, retryable=exc.retryable)
        return self._finish(token, key)

    def check(self, headers: Mapping[str, str] | Any, payload: Payload) -> Verdict:
        """Synchronous `check_async`; a key not yet cached is fetched on fin-infra's background loop."""
        first = self._precheck(headers, payload)
        if isinstance(first, Verdict):
            return first
        token, kid = first
        key = self.keys.cached(kid)
        if key is None:
            try:
                key = run_sync(self.keys.get(kid, token=token))
            except KeyLookupError as exc:
                return refuse(exc.reason, retryable=exc.retryable)
        return self._finish(token, key)

    async def verify_async(self, headers: Mapping[str, str] | Any, payload: Payload) -> bool:
        """True only for a genuine, fresh Plaid webhook; never raises on a bad one."""
        try:
            verdict = await self.check_async(headers, payload)
        except Exception:
            log.exception("plaid webhook verification failed unexpectedly")
            return False
        return _logged(verdict)

    def verify(self, headers: Mapping[str, str] | Any, payload: Payload) -> bool:
        """Synchronous `verify_async` (works inside an ``async def`` route too; prefer the async twin there)."""
        try:
            verdict = self.check(headers, payload)
        except Exception:
            log.exception("plaid webhook verification failed unexpectedly")
            return False
        return _logged(verdict)

    # --- the checks that need no key --------------------------------------------------------------

    def _precheck(self, headers: Mapping[str, str] | Any, payload: Payload) -> Verdict | tuple[CompactToken, str]:
        raw = header(headers, HEADER)
        if not raw:
            return refuse("missing_header")
        try:
            token = parse_compact(raw)
        except MalformedToken:
            return refuse("malformed_token")
        if token.header.get("alg") != "ES256":
            return refuse("bad_alg")
        if "crit" in token.header:
            return refuse("unsupported_crit")  # RFC 7515: unknown critical extensions must be refused
        kid = token.header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            return refuse("missing_kid")
        iat = token.claims.get("iat")
        if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not math.isfinite(iat):
            return refuse("missing_iat")
        now = self._clock()
        if now - iat > self.max_age:
            return refuse("stale")
        if iat - now > self.skew:
            return refuse("issued_in_future")
        claimed = token.claims.get("request_body_sha256")
        if not isinstance(claimed, str) or len(claimed) != 64:
            return refuse("missing_body_hash")
        claimed_bytes = claimed.lower().encode("ascii", "replace")
        candidates = body_candidates(payload, _PLAID_STYLES)
        matched = False
        for body in candidates:  # every candidate is compared, in constant time each
            digest = hashlib.sha256(body).hexdigest().encode("ascii")
            matched = hmac.compare_digest(digest, claimed_bytes) or matched
        if not matched:
            return refuse("body_hash_mismatch")
        return token, kid

    def _finish(self, token: CompactToken, key: PlaidKey) -> Verdict:
        if key.expired(self._clock()):
            return refuse("expired_key")
        if not es256_signature_valid(key.public_key, token):
            return refuse("bad_signature")
        # The signed bytes (header + claims: kid, iat, body hash) name the delivery. Not the token
        # text: an ECDSA signature can be re-spelt (s -> n - s) into a second valid token.
        return Verdict(True, "ok", delivery_id="plaid:" + hashlib.sha256(token.signing_input).hexdigest())


def _logged(verdict: Verdict) -> bool:
    if not verdict.ok:
        log.info("plaid webhook refused: %s", verdict.reason)
    return verdict.ok


_default: PlaidWebhookVerifier | None = None


def default_plaid_verifier() -> PlaidWebhookVerifier:
    """The process-wide verifier behind `verify_plaid_webhook` (credentials from the environment)."""
    global _default
    if _default is None:
        _default = PlaidWebhookVerifier()
    return _default


def verify_plaid_webhook(headers: Mapping[str, str] | Any, payload: Payload) -> bool:
    """True only for a genuine, fresh Plaid webhook; never raises on a bad one.

    ``payload`` should be the raw body (``await request.body()``); see the module docstring for why.
    Keys are fetched with ``PLAID_CLIENT_ID`` / ``PLAID_SECRET`` from ``PLAID_BASE_URL`` or the
    ``PLAID_ENVIRONMENT`` host. Callable from an ``async def`` route; `verify_plaid_webhook_async`
    doesn't block the event loop while a new key is fetched.

        >>> verify_plaid_webhook({}, b"{}")
        False
    """
    return default_plaid_verifier().verify(headers, payload)


async def verify_plaid_webhook_async(headers: Mapping[str, str] | Any, payload: Payload) -> bool:
    """The async twin of `verify_plaid_webhook`."""
    return await default_plaid_verifier().verify_async(headers, payload)


__all__ = [
    "PlaidWebhookVerifier",
    "default_plaid_verifier",
    "verify_plaid_webhook",
    "verify_plaid_webhook_async",
]
