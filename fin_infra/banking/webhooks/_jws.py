"""Compact JWS (JWT) parsing and ES256 verification, written against `cryptography` directly.

Why not a JWT library: the verification Plaid asks for is one algorithm (ES256) against one key
from Plaid's own endpoint. A general library decides the algorithm from the token's header, and the
classic forgeries (``alg: none``, HS256 keyed with the public key) live in that decision. Here the
algorithm is fixed by the code: the header's ``alg`` must be exactly ``"ES256"`` and the only
verification ever run is ECDSA P-256 / SHA-256, so there is nothing to confuse.

    >>> token = parse_compact("e30.e30.AAAA")     # header {} , claims {}
    >>> token.header, token.claims
    ({}, {})
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `cryptography` is imported when a key is first used: Teller-only apps don't need it
    from cryptography.hazmat.primitives.asymmetric import ec

MAX_TOKEN_LENGTH = 8192  # Plaid's tokens are ~400 characters; anything huge is refused before decoding
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class MalformedToken(ValueError):
    """The token is not a well-formed compact JWS with JSON-object header and claims."""


@dataclass(frozen=True)
class CompactToken:
    """A parsed, not yet verified, compact JWS."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes  # b"<header b64>.<claims b64>": exactly the bytes the signature covers
    signature: bytes


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded base64url, refusing any character outside the alphabet."""
    if not set(segment) <= _B64_ALPHABET:
        raise MalformedToken("a token segment is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken("a token segment is not base64url") from exc


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url text of ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedToken(f"the token {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedToken(f"the token {what} is not a JSON object")
    return value


def parse_compact(token: str) -> CompactToken:
    """Split and decode ``header.claims.signature`` without verifying anything."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken("the token is empty or too long")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise MalformedToken("a compact JWS has exactly three dot-separated parts")
    header_b64, claims_b64, signature_b64 = parts
    return CompactToken(
        header=_json_object(header_b64, "header"),
        claims=_json_object(claims_b64, "claims"),
        signing_input=f"{header_b64}.{claims_b64}".encode("ascii"),
        signature=b64url_decode(signature_b64),
    )


def ec_public_key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of an EC JWK (``kty: EC``, ``crv: P-256``, ``x``, ``y``)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("the key is not an EC P-256 key")
    if jwk.get("alg") not in (None, "ES256"):
        raise ValueError("the key is not meant for ES256")
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError("the key has no x/y coordinates")
    xb, yb = b64url_decode(x), b64url_decode(y)
    if len(xb) != 32 or len(yb) != 32:
        raise ValueError("P-256 coordinates are 32 bytes each")
    numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), ec.SECP256R1())
    return numbers.public_key()  # raises ValueError when the point is not on the curve


def es256_signature_valid(public_key: ec.EllipticCurvePublicKey, token: CompactToken) -> bool:
    """True when ``token.signature`` (JWS form: 32-byte r then 32-byte s) is valid ES256 over the signing input."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if len(token.signature) != 64:
        return False
    r = int.from_bytes(token.signature[:32], "big")
    s = int.from_bytes(token.signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), token.signing_input, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
