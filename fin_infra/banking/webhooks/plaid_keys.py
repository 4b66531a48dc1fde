"""Plaid's webhook verification keys: fetched from ``/webhook_verification_key/get``, cached by key id.

A webhook names its signing key by ``kid``. The first time a ``kid`` is seen, its key is fetched
with the app's Plaid credentials (one request, shared by concurrent webhooks); later webhooks use
the cache. Cached keys are re-checked with Plaid every ``recheck_after`` seconds (5 minutes), and
at once when a new ``kid`` shows Plaid has rotated: that is how a rotated-out key's ``expired_at``
is learnt, and honoured, without waiting for the new key's first webhook. If a re-check can't reach
Plaid, the cached key keeps working until its own ``expired_at``.

Forged webhooks with made-up key ids must neither flood Plaid nor starve a genuine new key. Key ids
Plaid calls invalid are remembered for a while; so is the key that signed them (recovered from the
ECDSA signature, see `_signer`): further forgeries it signs are recognised by a signature check and
refused without a fetch, whatever ids they name; bytes no key could have signed cost no fetch either.
New ids are fetched one at a time (a burst of forgeries waits behind the first, then is recognised),
at most ``fetches_per_minute``. A genuine Plaid key is a different signer, so forgeries from a few keys
can't use up the fetches it needs. (An attacker minting a fresh key per forgery still can, past
``fetches_per_minute`` a minute: the genuine webhook is then answered a retryable 503, and Plaid retries.)

    >>> keys = PlaidKeySource(client_id="...", secret="...", environment="sandbox")
    >>> # key = await keys.get("6c5516e1-92dc-479e-a8ff-5a51992e0001")
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.banking.webhooks._jws import CompactToken, ec_public_key_from_jwk, es256_signature_valid
from fin_infra.banking.webhooks._signer import could_be_signature, signer_keys

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger("fin_infra.banking.webhooks")

KEY_PATH = "/webhook_verification_key/get"
PLAID_VERSION = "2020-09-14"
_MAX_TRACKED = 4096
_MAX_FORGERS = 32  # forging keys remembered (each costs one signature check per token naming an unknown id)


class KeyLookupError(Exception):
    """No usable key for a ``kid``; ``reason`` is a short word for logs, ``retryable`` if not the sender's fault."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class PlaidKey:
    """One verification key as Plaid served it."""

    kid: str
    public_key: ec.EllipticCurvePublicKey
    created_at: int | None
    expired_at: int | None
    fetched_at: float

    def expired(self, now: float) -> bool:
        """A key with ``expired_at`` in the past was rotated out and signs nothing valid any more."""
        return self.expired_at is not None and self.expired_at <= now


class PlaidKeySource:
    """Fetch and cache Plaid's webhook verification keys.

    Credentials default to ``PLAID_CLIENT_ID`` / ``PLAID_SECRET`` and the host to ``PLAID_BASE_URL``
    or ``PLAID_ENVIRONMENT``, read (as the Plaid provider reads them) when the first key is fetched.
    ``transport`` (any httpx async transport, e.g. ``httpx.ASGITransport(emulator_app)``) replaces
    the network, as in httpx itself.
    """

    def __init__(
        self,
        *,
        client_id: str | None = None,
        secret: str | None = None,
        environment: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        recheck_after: float = 300.0,
        invalid_kid_ttl: float = 600.0,
        fetches_per_minute: int = 120,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client_id = client_id
        self._secret = secret
        self._environment = environment
        self._base_url = base_url
        self._transport = transport
        self._timeout = timeout
        self._recheck_after = recheck_after
        self._invalid_kid_ttl = invalid_kid_ttl
        self._fetches_per_minute = fetches_per_minute
        # keys that signed tokens naming ids Plaid doesn't know -> until when their tokens are refused
        self._forgers: OrderedDict[tuple[int, int], tuple[ec.EllipticCurvePublicKey, float]] = OrderedDict()
        self._gates: dict[int, asyncio.Lock] = {}  # per event loop: one new-id fetch at a time
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, PlaidKey] = {}
        self._recheck: set[str] = set()  # cached kids that must be re-fetched before their next use
        self._invalid: dict[str, float] = {}  # kid -> until when Plaid's "invalid key id" is remembered
        self._fetch_times: deque[float] = deque()
        self._inflight: dict[tuple[int, str], asyncio.Task[PlaidKey]] = {}
        self.fetch_count = 0
        """How many times a key was requested from Plaid (for tests and metrics)."""

    # --- cache ------------------------------------------------------------------------------------

    def cached(self, kid: str) -> PlaidKey | None:
        """The cached key for ``kid`` if it can be used without asking Plaid, else None."""
        with self._lock:
            key = self._keys.get(kid)
            if key is None or kid in self._recheck or self._clock() - key.fetched_at > self._recheck_after:
                return None
            return key

    def known_invalid(self, kid: str) -> bool:
        """True if Plaid said recently that ``kid`` is not one of its keys."""
        with self._lock:
            until = self._invalid.get(kid)
            return until is not None and until > self._clock()

    def clear(self) -> None:
        """Forget every cached key (the next webhook fetches again)."""
        with self._lock:
            self._keys.clear()
            self._recheck.clear()
            self._invalid.clear()
            self._fetch_times.clear()

    # --- fetching ---------------------------------------------------------------------------------

    async def get(self, kid: str, *, token: CompactToken | None = None) -> PlaidKey:
        """The key for ``kid``, from the cache or from Plaid; raises `KeyLookupError`.

        ``token``: the webhook's token (the verifier passes it); if a key id it names turns out unknown
        to Plaid, its signer is remembered and its further forgeries cost no fetch.
        """
        key = self.cached(kid)
        if key is not None:
            return key
        with self._lock:
            stale = self._keys.get(kid)
        if stale is not None:
            return await self._refetch(kid, stale)
        self._refuse_known_forgery(kid, token)
        loop = asyncio.get_running_loop()
        gate = self._gates.setdefault(id(loop), asyncio.Lock())
        async with gate:  # a burst of new ids waits here; each is looked at again once it is its turn
            key = self.cached(kid)
            if key is not None:
                return key
            self._refuse_known_forgery(kid, token)
            return await self._fetch(kid, token)

    def _refuse_known_forgery(self, kid: str, token: CompactToken | None) -> None:
        if self.known_invalid(kid):
            raise KeyLookupError("unknown_kid", retryable=False)
        if token is None:
            return
        if not could_be_signature(token.signature):
            raise KeyLookupError("bad_signature", retryable=False)  # no key made it: not worth a fetch
        now = self._clock()
        with self._lock:
            forgers = [public for public, until in self._forgers.values() if until > now]
        if any(es256_signature_valid(public, token) for public in forgers):
            raise KeyLookupError("unknown_kid", retryable=False)

    async def _refetch(self, kid: str, stale: PlaidKey) -> PlaidKey:
        loop = asyncio.get_running_loop()
        slot = (id(loop), kid)
        task = self._inflight.get(slot)
        if task is None:  # one re-check per kid at a time
            task = loop.create_task(self._fetch(kid, None, known=True))
            self._inflight[slot] = task
            task.add_done_callback(lambda _t: self._inflight.pop(slot, None))
        try:
            return await asyncio.shield(task)
        except KeyLookupError as exc:
            if exc.retryable and not stale.expired(self._clock()):
                log.warning("plaid webhook key re-check failed (%s); using the cached key", exc.reason)
                return stale
            raise

    def _take_fetch_budget(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._fetch_times and now - self._fetch_times[0] > 60.0:
                self._fetch_times.popleft()
            if len(self._fetch_times) >= self._fetches_per_minute:
                return False
            self._fetch_times.append(now)
            return True

    def _remember_forger(self, token: CompactToken, until: float) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        for x, y in signer_keys(token.signing_input, token.signature):
            public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
            with self._lock:
                self._forgers[(x, y)] = (public, until)
                self._forgers.move_to_end((x, y))
                while len(self._forgers) > _MAX_FORGERS:
                    self._forgers.popitem(last=False)

    def _credentials(self) -> tuple[str, str, str]:
        # The Plaid provider's own settings: the same PLAID_* variables, checks and messages.
        from fin_infra.providers.banking.plaid.settings import PlaidSettings

        settings = PlaidSettings.build(
            client_id=self._client_id, secret=self._secret, environment=self._environment, base_url=self._base_url
        )
        return settings.client_id, settings.secret.get_secret_value(), settings.host

    async def _fetch(self, kid: str, token: CompactToken | None, *, known: bool = False) -> PlaidKey:
        if not known and not self._take_fetch_budget():
            log.warning("plaid webhook key fetch throttled: too many new key ids in the last minute")
            raise KeyLookupError("key_fetch_throttled", retryable=True)
        try:
            client_id, secret, base_url = self._credentials()
        except ProviderConfigurationError as exc:
            log.error("%s", exc)
            raise KeyLookupError("not_configured", retryable=True) from exc
        self.fetch_count += 1
        try:
            # A fresh client per fetch: fetches are rare (once per key per day), and a pooled client
            # would be bound to one event loop while this runs on the app's loop and the sync portal's.
            async with httpx.AsyncClient(transport=self._transport, timeout=self._timeout) as client:
                response = await client.post(
                    base_url + KEY_PATH,
                    json={"client_id": client_id, "secret": secret, "key_id": kid},
                    headers={"Plaid-Version": PLAID_VERSION},
                )
        except httpx.HTTPError as exc:
            log.warning("plaid webhook key fetch failed: %s", type(exc).__name__)
            raise KeyLookupError("key_unavailable", retryable=True) from exc
        return self._store(kid, response, token)

    def _store(self, kid: str, response: httpx.Response, token: CompactToken | None = None) -> PlaidKey:
        data = _json(response)
        if response.status_code != 200:
            error_code = data.get("error_code") if isinstance(data, dict) else None
            request_id = data.get("request_id") if isinstance(data, dict) else None
            if error_code == "INVALID_WEBHOOK_VERIFICATION_KEY_ID":
                until = self._clock() + self._invalid_kid_ttl
                with self._lock:
                    self._invalid[kid] = until
                    self._keys.pop(kid, None)
                    if len(self._invalid) > _MAX_TRACKED:
                        now = self._clock()
                        self._invalid = {k: t for k, t in self._invalid.items() if t > now}
                if token is not None:
                    # Whoever signed a token naming an id Plaid doesn't know is no Plaid key.
                    self._remember_forger(token, until)
                raise KeyLookupError("unknown_kid", retryable=False)
            log.error(
                "plaid webhook key fetch refused: status=%s error_code=%s request_id=%s",
                response.status_code,
                error_code,
                request_id,
            )
            raise KeyLookupError("key_unavailable", retryable=True)
        jwk = data.get("key") if isinstance(data, dict) else None
        try:
            if not isinstance(jwk, dict) or jwk.get("kid", kid) != kid:
                raise ValueError("the answer holds no key for this id")
            key = PlaidKey(
                kid=kid,
                public_key=ec_public_key_from_jwk(jwk),
                created_at=_int_or_none(jwk.get("created_at")),
                expired_at=_int_or_none(jwk.get("expired_at")),
                fetched_at=self._clock(),
            )
        except ValueError as exc:
            log.error("plaid webhook key unusable: %s", exc)
            raise KeyLookupError("key_unavailable", retryable=True) from exc
        with self._lock:
            if kid not in self._keys:
                # A key id never seen before: Plaid rotated. The keys cached so far may have been
                # rotated out since, so each is re-fetched (learning its expired_at) before next use.
                self._recheck.update(k for k in self._keys if k != kid)
            self._keys[kid] = key
            self._recheck.discard(kid)
        return key


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("created_at / expired_at must be unix seconds")
    return int(value)
