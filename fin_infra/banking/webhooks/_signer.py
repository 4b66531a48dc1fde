"""Who signed an ES256 token, without knowing the key: ECDSA public key recovery on P-256.

An ECDSA signature ``(r, s)`` over a message hash ``z`` was made by one of at most two public keys,
``Q = r^-1 (s R - z G)`` for each point ``R`` with x-coordinate ``r``. Used once per key id Plaid
calls unknown: the key that signed that forgery is remembered, and further tokens it signed (whatever
key ids they name) are recognised by an ordinary signature check, without asking Plaid. Nothing here
decides that a token is genuine: that is still the signature check with the key Plaid serves.

    >>> signer_keys(b"x", b"\\0" * 64)
    []
"""

from __future__ import annotations

import hashlib

# NIST P-256 (secp256r1)
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)

Jacobian = tuple[int, int, int]  # (X, Y, Z) stands for (X/Z^2, Y/Z^3); Z = 0 is the point at infinity
_INFINITY: Jacobian = (1, 1, 0)


def _double(p: Jacobian) -> Jacobian:
    x, y, z = p
    if z == 0 or y == 0:
        return _INFINITY
    ysq = y * y % _P
    s = 4 * x * ysq % _P
    zsq = z * z % _P
    m = 3 * (x - zsq) * (x + zsq) % _P  # a = -3
    x3 = (m * m - 2 * s) % _P
    return x3, (m * (s - x3) - 8 * ysq * ysq) % _P, 2 * y * z % _P


def _add(p: Jacobian, q: Jacobian) -> Jacobian:
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1sq, z2sq = z1 * z1 % _P, z2 * z2 % _P
    u1, u2 = x1 * z2sq % _P, x2 * z1sq % _P
    s1, s2 = y1 * z2sq * z2 % _P, y2 * z1sq * z1 % _P
    if u1 == u2:
        return _double(p) if s1 == s2 else _INFINITY
    h, r = (u2 - u1) % _P, (s2 - s1) % _P
    hsq = h * h % _P
    hcu = hsq * h % _P
    x3 = (r * r - hcu - 2 * u1 * hsq) % _P
    return x3, (r * (u1 * hsq - x3) - s1 * hcu) % _P, h * z1 * z2 % _P


def _mul2(k1: int, p1: Jacobian, k2: int, p2: Jacobian) -> tuple[int, int] | None:
    """``k1 p1 + k2 p2`` in affine coordinates (Shamir's trick: one pass over the bits), None at infinity."""
    both = _add(p1, p2)
    out = _INFINITY
    for bit in range(max(k1.bit_length(), k2.bit_length()) - 1, -1, -1):
        out = _double(out)
        b1, b2 = (k1 >> bit) & 1, (k2 >> bit) & 1
        if b1 and b2:
            out = _add(out, both)
        elif b1:
            out = _add(out, p1)
        elif b2:
            out = _add(out, p2)
    x, y, z = out
    if z == 0:
        return None
    z_inv = pow(z, -1, _P)
    z_inv2 = z_inv * z_inv % _P
    return x * z_inv2 % _P, y * z_inv2 * z_inv % _P


def _r_s(signature: bytes) -> tuple[int, int, int] | None:
    """(r, s, the y of the point with x = r) when ``signature`` could be an ES256 signature at all."""
    if len(signature) != 64:
        return None
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < _N and 0 < s < _N):
        return None
    alpha = (pow(r, 3, _P) + _A * r + _B) % _P
    beta = pow(alpha, (_P + 1) // 4, _P)  # P = 3 (mod 4): the square root, if alpha has one
    if beta * beta % _P != alpha:
        return None
    return r, s, beta


def could_be_signature(signature: bytes) -> bool:
    """False for bytes no P-256 key could have produced as a signature (cheap: one exponentiation)."""
    return _r_s(signature) is not None


def signer_keys(signing_input: bytes, signature: bytes) -> list[tuple[int, int]]:
    """The public points ``(x, y)`` of the (at most two) P-256 keys that could have made this ES256
    ``signature`` (JWS form: 32-byte r, 32-byte s) over ``signing_input``; empty when it is no valid
    ECDSA signature."""
    parts = _r_s(signature)
    if parts is None:
        return []
    r, s, beta = parts
    z = int.from_bytes(hashlib.sha256(signing_input).digest(), "big") % _N
    r_inv = pow(r, -1, _N)
    u1, u2 = (-z * r_inv) % _N, (s * r_inv) % _N
    out = []
    for y in (beta, _P - beta):  # (r + N, y) would need r + N < P: possible, but too rare to matter here
        point = _mul2(u1, (*_G, 1), u2, (r, y, 1))
        if point is not None:
            out.append(point)
    return out
