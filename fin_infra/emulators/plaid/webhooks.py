"""Webhook signing as Plaid does it: an ES256 JWT in the ``Plaid-Verification`` header.

The JWT header is ``{"alg": "ES256", "kid": <key id>, "typ": "JWT"}``; its claims are ``iat`` (unix
seconds) and ``request_body_sha256``, the hex SHA-256 of the body bytes exactly as sent (Plaid sends
JSON pretty-printed with two-space indents, so receivers must hash the raw bytes, never a re-dump).
The public half of each key is served as a JWK by ``/webhook_verification_key/get``; rotating a key
marks the old one expired (``expired_at`` set) and signs with a new one from then on.

    >>> keys = WebhookKeys()
    >>> body, headers = keys.sign_payload({"webhook_type": "ITEM", "webhook_code": "LOGIN_REPAIRED"})
    >>> headers["Plaid-Verification"].count(".")
    2
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class SigningKey:
    """One P-256 key pair with its JWK bookkeeping."""

    kid: str
    private: ec.EllipticCurvePrivateKey
    created_at: int
    expired_at: int | None = None

    def jwk(self) -> dict[str, Any]:
        """The public key as Plaid's ``JWKPublicKey`` (all keys required, ``expired_at`` nullable)."""
        numbers = self.private.public_key().public_numbers()
        return {
            "alg": "ES256",
            "created_at": self.created_at,
            "crv": "P-256",
            "expired_at": self.expired_at,
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }


@dataclass
class WebhookKeys:
    """The emulator's webhook signing keys: one current key, older ones kept (expired) for lookups."""

    clock: Callable[[], float] = time.time
    _keys: dict[str, SigningKey] = field(default_factory=dict)
    _current: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rotate()

    @property
    def current(self) -> SigningKey:
        return self._keys[self._current]

    def rotate(self) -> SigningKey:
        """Expire the current key (if any) and start signing with a fresh one. Returns the new key."""
        with self._lock:
            now = int(self.clock())
            if self._current:
                self._keys[self._current].expired_at = now
            key = SigningKey(kid=str(uuid.uuid4()), private=ec.generate_private_key(ec.SECP256R1()), created_at=now)
            self._keys[key.kid] = key
            self._current = key.kid
            return key

    def get(self, kid: str) -> SigningKey | None:
        """The key with id ``kid`` (current or expired), or None."""
        return self._keys.get(kid)

    def sign(self, body: bytes, *, iat: int | None = None, key: SigningKey | None = None) -> str:
        """The compact JWT for ``body`` (header, claims, raw r||s signature, all base64url)."""
        key = key or self.current
        header = {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
        claims = {
            "iat": int(self.clock()) if iat is None else iat,
            "request_body_sha256": hashlib.sha256(body).hexdigest(),
        }
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        der = key.private.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def sign_payload(self, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """The body bytes Plaid would send for ``payload`` and the headers that go with them."""
        body = json.dumps(payload, indent=2).encode()
        return body, {"Content-Type": "application/json", "Plaid-Verification": self.sign(body)}


@dataclass(frozen=True)
class SentWebhook:
    """One webhook the emulator sent (or tried to): what a receiver got, and how it answered."""

    url: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None  # None: the receiver could not be reached
    error: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed
