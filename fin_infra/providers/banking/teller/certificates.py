"""The Teller client certificate: loaded once, checked with messages that say what to do.

Teller authenticates the application by the TLS client certificate from ``teller.zip``. Problems
found here (missing file, unreadable or encrypted key, a key that isn't the certificate's, an
expired certificate) raise `ProviderConfigurationError` when the client is built, not on the first
request. `diagnose_handshake` tells a server refusing the certificate apart from a network fault.

    >>> ctx = build_ssl_context(TellerSettings())   # sandbox without a certificate
    >>> ctx.verify_mode.name
    'CERT_REQUIRED'
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.banking.teller.settings import TellerSettings


@dataclass(frozen=True)
class ClientIdentity:
    """The PEM bytes of the client certificate and its key (kept in memory, never logged)."""

    cert_pem: bytes
    key_pem: bytes
    cert_source: str
    key_source: str


def _read(path: str, what: str, variable: str) -> bytes:
    file = Path(path).expanduser()
    if not file.is_file():
        raise ProviderConfigurationError(
            f"the Teller {what} file {path!r} does not exist: set {variable} to the {what} from your Teller "
            "dashboard (teller.zip), outside your repository"
        )
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ProviderConfigurationError(
            f"the Teller {what} file {path!r} can't be read ({exc.strerror}): check its permissions for this user"
        ) from None


def _inline(text: str) -> bytes:
    # CI systems often store multi-line secrets with literal "\n" sequences.
    text = text.strip()
    if "\n" not in text and "\\n" in text:
        text = text.replace("\\n", "\n")
    return (text + "\n").encode()


def load_identity(settings: TellerSettings) -> ClientIdentity | None:
    """The configured client certificate and key (files or inline PEM), checked; None when none is set."""
    if not settings.has_certificate:
        return None
    if settings.certificate:
        cert_pem, cert_source = _inline(settings.certificate), "TELLER_CERTIFICATE"
    else:
        assert settings.cert_path is not None
        cert_pem, cert_source = _read(settings.cert_path, "certificate", "TELLER_CERTIFICATE_PATH"), settings.cert_path
    if settings.private_key:
        key_pem, key_source = _inline(settings.private_key), "TELLER_PRIVATE_KEY"
    else:
        assert settings.key_path is not None
        key_pem, key_source = _read(settings.key_path, "private key", "TELLER_PRIVATE_KEY_PATH"), settings.key_path
    identity = ClientIdentity(cert_pem, key_pem, cert_source, key_source)
    _check(identity)
    return identity


def _check(identity: ClientIdentity) -> None:
    cert_at, key_at = identity.cert_source, identity.key_source
    if b"PRIVATE KEY-----" in identity.cert_pem and b"CERTIFICATE-----" not in identity.cert_pem:
        raise ProviderConfigurationError(
            f"the Teller certificate ({cert_at}) holds a private key: the certificate and key look swapped"
        )
    if b"-----BEGIN CERTIFICATE-----" not in identity.cert_pem:
        raise ProviderConfigurationError(
            f"the Teller certificate ({cert_at}) is not a PEM certificate (-----BEGIN CERTIFICATE-----): use the "
            "certificate.pem from teller.zip"
        )
    if b"PRIVATE KEY-----" not in identity.key_pem:
        raise ProviderConfigurationError(
            f"the Teller private key ({key_at}) is not a PEM private key: use the private_key.pem from teller.zip"
        )
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
    except ImportError:  # pragma: no cover - without cryptography, ssl's own checks below still run
        return
    try:
        cert = x509.load_pem_x509_certificate(identity.cert_pem)
    except ValueError:
        raise ProviderConfigurationError(f"the Teller certificate ({cert_at}) can't be parsed: it is damaged") from None
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc <= now:
        raise ProviderConfigurationError(
            f"the Teller certificate ({cert_at}) expired on {cert.not_valid_after_utc:%Y-%m-%d}: create a new one in "
            "the Teller dashboard (Certificates) and point TELLER_CERTIFICATE_PATH at it"
        )
    if cert.not_valid_before_utc > now:
        raise ProviderConfigurationError(
            f"the Teller certificate ({cert_at}) is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC: "
            "check this machine's clock"
        )
    try:
        key = serialization.load_pem_private_key(identity.key_pem, password=None)
    except TypeError:
        raise ProviderConfigurationError(
            f"the Teller private key ({key_at}) is encrypted with a passphrase: use the unencrypted key Teller issued"
        ) from None
    except ValueError:
        raise ProviderConfigurationError(
            f"the Teller private key ({key_at}) can't be read as a PEM private key: it is damaged or not a key"
        ) from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != cert.public_key().public_bytes(der, spki):
        raise ProviderConfigurationError(
            f"the Teller private key ({key_at}) does not belong to the certificate ({cert_at}): use the key that was "
            "issued with this certificate"
        )


def _load_chain(context: ssl.SSLContext, identity: ClientIdentity) -> None:
    # ssl only loads certificates from files: write them to a private directory just long enough.
    directory = tempfile.mkdtemp(prefix="fin-infra-teller-")
    try:
        cert_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        for path, data in ((cert_file, identity.cert_pem), (key_file, identity.key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        try:
            context.load_cert_chain(cert_file, key_file)
        except ssl.SSLError as exc:
            if "KEY_VALUES_MISMATCH" in str(exc):
                raise ProviderConfigurationError(
                    f"the Teller private key ({identity.key_source}) does not belong to the certificate "
                    f"({identity.cert_source})"
                ) from None
            raise ProviderConfigurationError(
                f"the Teller certificate or key can't be loaded ({exc.reason or 'invalid PEM'}): check "
                "TELLER_CERTIFICATE_PATH and TELLER_PRIVATE_KEY_PATH"
            ) from None
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def build_ssl_context(
    settings: TellerSettings, identity: ClientIdentity | None = None, *, max_tls12: bool = False
) -> ssl.SSLContext:
    """The TLS context: trusted CAs (``ca_bundle`` or the usual bundle) plus our client certificate."""
    if settings.ca_bundle:
        if not os.path.isfile(settings.ca_bundle):
            raise ProviderConfigurationError(f"TELLER_CA_BUNDLE {settings.ca_bundle!r} does not name a file")
        try:
            context = ssl.create_default_context(cafile=settings.ca_bundle)
        except ssl.SSLError:
            raise ProviderConfigurationError(f"TELLER_CA_BUNDLE {settings.ca_bundle!r} holds no PEM CA") from None
    else:
        context = httpx.create_ssl_context()
    if max_tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    if identity is not None:
        _load_chain(context, identity)
    return context


def diagnose_handshake(context: ssl.SSLContext, host: str, port: int, timeout: float = 5.0) -> str | None:
    """Why the server refuses our TLS handshake, or None when the handshake succeeds (or can't tell).

    With TLS 1.3 a server checks the client certificate after the handshake, so a refusal reaches
    the client as a reset connection, like a network fault. TLS 1.2 checks it inside the handshake,
    so one TLS 1.2 handshake (``context`` capped at 1.2) tells the two apart.
    """
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return None  # can't reach the server at all: a network problem, not the certificate
    try:
        with context.wrap_socket(sock, server_hostname=host):
            return None
    except ssl.SSLCertVerificationError:
        return None  # our side refused the server; reported separately
    except ssl.SSLError as exc:
        reason = exc.reason or type(exc).__name__
        if "PROTOCOL_VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason:
            return None  # the server speaks only TLS 1.3: inconclusive
        if "ALERT" in reason:
            return f"TLS alert {reason.split('ALERT_', 1)[-1].lower()}"
        return "the server ended the TLS handshake"
    except OSError:
        return "the server reset the connection during the TLS handshake"
    finally:
        sock.close()
