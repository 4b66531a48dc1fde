"""The access token fin-infra hands out for an MX member, and how it is read back.

MX has no access token: the app's HTTP Basic credentials plus a user GUID and a member GUID reach the
data. So fin-infra makes one. Its shape::

    mx1.<base64url("USR-...:MBR-...")>.<base64url(HMAC-SHA256(key, "mx1." + payload))[:32 bytes]>

It names the MX user and member (nothing else: never the API key), and is signed, because those
GUIDs are not secret (they reach the browser in the widget's ``memberConnected`` event and travel in
webhooks): a token naming another user's member can't be made without the key. The key is
``MX_TOKEN_SECRET`` when set, else derived from the API key (rotating the key then invalidates tokens).
Store it like any access token: encrypted, server side.

    >>> token = encode_token("USR-1", "MBR-2", b"k")
    >>> decode_token(token, b"k")
    MemberRef(user_guid='USR-1', member_guid='MBR-2')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import NamedTuple

from fin_infra.banking.exceptions import InvalidCredentialsError

PREFIX = "mx1."
# MX GUIDs: a prefix and letters, digits, dashes; also what keeps each one a single URL path segment.
USER_GUID = re.compile(r"USR-[A-Za-z0-9-]{1,100}")
MEMBER_GUID = re.compile(r"MBR-[A-Za-z0-9-]{1,100}")
ACCOUNT_GUID = re.compile(r"ACT-[A-Za-z0-9-]{1,100}")


class MemberRef(NamedTuple):
    """The MX user and member an access token stands for."""

    user_guid: str
    member_guid: str


def signing_key(api_key: str, client_id: str, token_secret: str | None = None) -> bytes:
    """The key tokens are signed with: ``token_secret``, else one derived from the API key (never the key)."""
    if token_secret:
        return hashlib.sha256(b"fin-infra mx token secret\x00" + token_secret.encode()).digest()
    return hmac.new(api_key.encode(), b"fin-infra mx access token v1\x00" + client_id.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, (PREFIX + payload).encode("ascii"), hashlib.sha256).digest())


def encode_token(user_guid: str, member_guid: str, key: bytes) -> str:
    """The access token for ``member_guid`` of ``user_guid``."""
    if not USER_GUID.fullmatch(user_guid) or not MEMBER_GUID.fullmatch(member_guid):
        raise ValueError("user_guid must look like USR-... and member_guid like MBR-...")
    payload = _b64(f"{user_guid}:{member_guid}".encode("ascii"))
    return f"{PREFIX}{payload}.{_sign(key, payload)}"


def _refused() -> InvalidCredentialsError:
    return InvalidCredentialsError(
        "not an MX access token issued by this app: send the access_token /exchange returned for the member",
        provider="mx",
    )


def decode_token(token: str, key: bytes) -> MemberRef:
    """The member ``token`` names; `InvalidCredentialsError` (never echoing it) when it isn't ours."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 512:
        raise _refused()
    payload, _, signature = token[len(PREFIX) :].partition(".")
    if not hmac.compare_digest(_sign(key, payload).encode(), signature.encode("ascii", "replace")):
        raise _refused()
    try:
        text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise _refused() from None
    user_guid, _, member_guid = text.partition(":")
    if not USER_GUID.fullmatch(user_guid) or not MEMBER_GUID.fullmatch(member_guid):
        raise _refused()
    return MemberRef(user_guid, member_guid)


__all__ = ["ACCOUNT_GUID", "MEMBER_GUID", "PREFIX", "USER_GUID", "MemberRef", "decode_token", "encode_token",
           "signing_key"]  # fmt: skip
