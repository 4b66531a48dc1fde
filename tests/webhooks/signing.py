"""Test-side signing: P-256 keys, JWTs (genuine and forged), Teller signatures, and a Plaid key server.

Everything here is written from the specs (RFC 7515/7518, Plaid's and Teller's webhook docs) so the
tests don't trust the code under test to produce their inputs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
CLIENT_ID = "test-client-id"
SECRET = "test-secret-value"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(obj: Any) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def plaid_body(payload: dict[str, Any]) -> bytes:
    """A body as Plaid writes it: pretty-printed, two-space indent."""
    return json.dumps(payload, indent=2).encode()


def es256_sign(private: ec.EllipticCurvePrivateKey, signing_input: bytes) -> bytes:
    r, s = decode_dss_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def hs256_sign(secret: bytes, signing_input: bytes) -> bytes:
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def jwt(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    return f"{segment(header)}.{segment(claims)}.{b64(signature)}"


def claims_for(body: bytes, iat: float | None = None) -> dict[str, Any]:
    return {"iat": int(time.time()) if iat is None else iat, "request_body_sha256": hashlib.sha256(body).hexdigest()}


@dataclass
class SigningKey:
    kid: str
    private: ec.EllipticCurvePrivateKey
    created_at: int
    expired_at: int | None = None

    @property
    def public(self) -> ec.EllipticCurvePublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, Any]:
        numbers = self.public.public_numbers()
        return {
            "alg": "ES256", "crv": "P-256", "kid": self.kid, "kty": "EC", "use": "sig",
            "x": b64(numbers.x.to_bytes(32, "big")), "y": b64(numbers.y.to_bytes(32, "big")),
            "created_at": self.created_at, "expired_at": self.expired_at,
        }  # fmt: skip

    def public_pem(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def token(
        self,
        body: bytes,
        *,
        iat: float | None = None,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """A genuine ES256 token for ``body`` (header/claims overridable, still signed with this key)."""
        h = header if header is not None else {"alg": "ES256", "kid": self.kid, "typ": "JWT"}
        c = claims if claims is not None else claims_for(body, iat)
        signing_input = f"{segment(h)}.{segment(c)}".encode()
        return f"{segment(h)}.{segment(c)}.{b64(es256_sign(self.private, signing_input))}"


def new_key(kid: str | None = None) -> SigningKey:
    return SigningKey(kid or str(uuid.uuid4()), ec.generate_private_key(ec.SECP256R1()), int(time.time()) - 60)


@dataclass
class KeyServer:
    """A stand-in for Plaid's ``/webhook_verification_key/get``: checks credentials, counts fetches."""

    keys: dict[str, SigningKey] = field(default_factory=dict)
    fetches: list[str] = field(default_factory=list)
    down: bool = False

    def add(self, key: SigningKey) -> SigningKey:
        self.keys[key.kid] = key
        return key

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhook_verification_key/get")
        async def get_key(request: Request) -> JSONResponse:
            body = await request.json()
            self.fetches.append(body.get("key_id"))
            if self.down:
                return JSONResponse({"error_type": "API_ERROR", "error_code": "INTERNAL_SERVER_ERROR"}, 500)
            if body.get("client_id") != CLIENT_ID or body.get("secret") != SECRET:
                return JSONResponse({"error_type": "INVALID_INPUT", "error_code": "INVALID_API_KEYS"}, 400)
            key = self.keys.get(body.get("key_id"))
            if key is None:
                error = {"error_type": "INVALID_INPUT", "error_code": "INVALID_WEBHOOK_VERIFICATION_KEY_ID"}
                return JSONResponse(error, 400)
            return JSONResponse({"key": key.jwk(), "request_id": "req123"})

        return app


def teller_signature(body: bytes, secrets: list[str], t: int | None = None) -> str:
    ts = int(time.time()) if t is None else t
    message = f"{ts}.".encode() + body
    sigs = [hmac.new(s.encode(), message, hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([f"t={ts}", *(f"v1={s}" for s in sigs)])


def malleate(token: str) -> str:
    """The same ES256 token with s replaced by n - s: a second valid signature over the same bytes."""
    head, claims, sig = token.split(".")
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    return f"{head}.{claims}.{b64(r + (P256_ORDER - s).to_bytes(32, 'big'))}"
