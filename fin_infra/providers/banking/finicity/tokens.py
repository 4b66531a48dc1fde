"""The access token fin-infra hands out for a Finicity connection, and how it is checked.

Finicity has no per-connection token: the partner's credentials plus a customer id reach every account
of that customer. So the "access token" is a value this library makes and signs:

    fcy1.<customerId>.<institutionLoginId or empty>.<signature>

- ``customerId``: the Finicity customer (fin-infra's user); ``institutionLoginId``: one bank login of
  that customer (like a Plaid Item), empty for "every login of the customer";
- ``signature``: 22 characters of base64url HMAC-SHA256 over ``fcy1.<customerId>.<institutionLoginId>``
  under the token key (``FINICITY_TOKEN_KEY``, else a key derived from the partner secret).

It names the customer and login, never carries the partner secret, and can't be made up: ids are
guessable numbers, the signature is not. A token whose signature doesn't check is refused
(`InvalidCredentialsError`) before any call to Finicity. Rotating the partner secret without
``FINICITY_TOKEN_KEY`` set invalidates issued tokens (set the key first to keep them).

    >>> token = make_access_token("k" * 32, "1005061234", "1022599285")
    >>> read_access_token("k" * 32, token)
    ('1005061234', '1022599285')
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from fin_infra.banking.exceptions import InvalidCredentialsError

PREFIX = "fcy1"
_SIGNATURE_CHARS = 22
_DERIVE = b"fin-infra finicity access token v1"


def token_key(partner_secret: str, explicit: str | None = None) -> str:
    """The key access tokens are signed with: ``explicit`` (FINICITY_TOKEN_KEY) or one derived from the secret."""
    if explicit:
        return explicit
    return hmac.new(partner_secret.encode(), _DERIVE, hashlib.sha256).hexdigest()


def _signature(key: str, body: str) -> str:
    digest = hmac.new(key.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:_SIGNATURE_CHARS]


def _check_id(value: str, what: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) > 30:
        raise ValueError(f"a Finicity {what} is a number, got {value[:40]!r}")
    return value


def make_access_token(key: str, customer_id: str, institution_login_id: str | None = None) -> str:
    """The signed access token for ``customer_id`` (and one ``institution_login_id``)."""
    customer = _check_id(str(customer_id), "customerId")
    login = _check_id(str(institution_login_id), "institutionLoginId") if institution_login_id else ""
    body = f"{PREFIX}.{customer}.{login}"
    return f"{body}.{_signature(key, body)}"


def read_access_token(key: str, token: str) -> tuple[str, str | None]:
    """``(customerId, institutionLoginId or None)`` from a token this client signed, else `InvalidCredentialsError`."""
    refused = InvalidCredentialsError(
        "not a Finicity access token issued by this application: connect the bank again (POST /link, "
        "then /exchange)",
        provider="finicity",
        code="invalid_access_token",
    )
    if not isinstance(token, str) or len(token) > 200:
        raise refused
    parts = token.strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise refused
    _, customer, login, signature = parts
    if not customer.isascii() or not customer.isdigit() or (login and not (login.isascii() and login.isdigit())):
        raise refused
    expected = _signature(key, f"{PREFIX}.{customer}.{login}")
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise refused
    return customer, login or None
