"""Certificates for the Teller emulator, made fresh at start with `cryptography` (never committed).

One throwaway CA signs the server certificate (for ``127.0.0.1`` and ``localhost``) and the client
certificate a `TellerClient` presents, the way Teller signs the certificate in your ``teller.zip``.
Tests also get a client certificate from a foreign CA and an expired one signed by the right CA.

    >>> import tempfile
    >>> bundle = generate_certificates(tempfile.mkdtemp())
    >>> bundle.client_cert.name
    'client.pem'
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CertificateBundle:
    """Paths of the PEM files one emulator run uses."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    # EC keys: generated in milliseconds, so every emulator start can afford fresh ones.
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fin-infra Teller emulator"),
         x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 30 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    common_name: str,
    *,
    server: bool,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_cert, ca_key = ca
    key = _key()
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - _DAY)
        .not_valid_after(not_after or now + 30 * _DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def _load_ca(bundle: CertificateBundle) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(bundle.ca_cert.read_bytes())
    key = serialization.load_pem_private_key(bundle.ca_key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return cert, key


def generate_certificates(directory: str | os.PathLike[str]) -> CertificateBundle:
    """Write a fresh CA, server certificate and client certificate (with keys) into ``directory``."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    bundle = CertificateBundle(
        directory=root,
        ca_cert=root / "ca.pem",
        ca_key=root / "ca-key.pem",
        server_cert=root / "server.pem",
        server_key=root / "server-key.pem",
        client_cert=root / "client.pem",
        client_key=root / "client-key.pem",
    )
    ca = _ca("fin-infra Teller emulator CA")
    _write_cert(bundle.ca_cert, ca[0])
    _write_key(bundle.ca_key, ca[1])
    server = _leaf(ca, "localhost", server=True)
    _write_cert(bundle.server_cert, server[0])
    _write_key(bundle.server_key, server[1])
    client = _leaf(ca, "app_emulator", server=False)
    _write_cert(bundle.client_cert, client[0])
    _write_key(bundle.client_key, client[1])
    return bundle


def foreign_client_certificate(bundle: CertificateBundle, name: str = "foreign") -> tuple[Path, Path]:
    """A client certificate and key signed by a CA the emulator does not trust (another app's certificate)."""
    cert, key = _leaf(_ca("some other CA"), "app_foreign", server=False)
    cert_path, key_path = bundle.directory / f"{name}.pem", bundle.directory / f"{name}-key.pem"
    _write_cert(cert_path, cert)
    _write_key(key_path, key)
    return cert_path, key_path


def expired_client_certificate(bundle: CertificateBundle, name: str = "expired") -> tuple[Path, Path]:
    """A client certificate signed by the emulator's CA that expired yesterday."""
    now = dt.datetime.now(dt.UTC)
    cert, key = _leaf(
        _load_ca(bundle), "app_expired", server=False, not_before=now - 60 * _DAY, not_after=now - _DAY
    )
    cert_path, key_path = bundle.directory / f"{name}.pem", bundle.directory / f"{name}-key.pem"
    _write_cert(cert_path, cert)
    _write_key(key_path, key)
    return cert_path, key_path
