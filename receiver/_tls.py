"""A self-signed TLS certificate for local development (``receiver serve --tls-dev``).

The platform only calls ``https://`` URLs, so trying a receiver the way the platform calls it needs
TLS. :func:`ensure_dev_certificate` makes an EC P-256 key and a self-signed certificate for
``localhost``, ``127.0.0.1`` and ``::1`` valid for one year, caches both in :func:`default_dir`,
and reuses them while they are valid. They are regenerated when the certificate expires within
:data:`RENEW_BEFORE`, is not yet valid, cannot be read, or does not match the key.

    >>> cert = ensure_dev_certificate()            # doctest: +SKIP
    >>> cert.cert_path                             # doctest: +SKIP
    PosixPath('/home/me/.cache/mpt-receiver/tls/cert.pem')

Trust it for one call with ``curl --cacert <cert_path> https://localhost:8080/healthz``. It is a
development certificate: never use it for a receiver the platform calls.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_FILE: Final = "cert.pem"
KEY_FILE: Final = "key.pem"
VALIDITY: Final = dt.timedelta(days=365)
RENEW_BEFORE: Final = dt.timedelta(days=7)
# Backdated so that a client whose clock is slightly behind still accepts a fresh certificate.
BACKDATE: Final = dt.timedelta(minutes=5)
DNS_NAMES: Final = ("localhost",)
IP_ADDRESSES: Final = ("127.0.0.1", "::1")
ORGANIZATION: Final = "mpt-receiver development certificate"


@dataclass(frozen=True, slots=True)
class DevCertificate:
    """Where the certificate and key are, until when the certificate is valid, and whether this
    call made them (``created``) or reused cached ones."""

    cert_path: Path
    key_path: Path
    not_after: dt.datetime
    fingerprint: str  # SHA-256, colon-separated hex
    created: bool

    @property
    def names(self) -> tuple[str, ...]:
        """The names the certificate is valid for."""
        return DNS_NAMES + IP_ADDRESSES


def default_dir() -> Path:
    """``$RECEIVER_TLS_DIR``, else ``$XDG_CACHE_HOME/mpt-receiver/tls``, else
    ``~/.cache/mpt-receiver/tls``."""
    override = os.environ.get("RECEIVER_TLS_DIR")
    if override:
        return Path(override).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "mpt-receiver" / "tls"


def ensure_dev_certificate(
    directory: str | os.PathLike[str] | None = None, *, now: dt.datetime | None = None
) -> DevCertificate:
    """The cached development certificate in ``directory`` (default :func:`default_dir`), made
    anew when missing, unreadable, mismatched, not yet valid or expiring within
    :data:`RENEW_BEFORE`. The key file is written with mode 0600. Raises :class:`OSError` when the
    directory cannot be written."""
    folder = Path(directory) if directory is not None else default_dir()
    current = now or dt.datetime.now(dt.UTC)
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    cached = _load_valid(cert_path, key_path, current)
    if cached is not None:
        if os.name == "posix" and key_path.stat().st_mode & 0o077:
            key_path.chmod(0o600)
        return cached
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _self_signed(key, current)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Key first: a reader that sees the new certificate always finds its key beside it.
    _write_atomic(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return _describe(cert, cert_path, key_path, created=True)


def _load_valid(cert_path: Path, key_path: Path, now: dt.datetime) -> DevCertificate | None:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if key.public_key() != cert.public_key():
        return None
    if cert.not_valid_before_utc > now or cert.not_valid_after_utc - now < RENEW_BEFORE:
        return None
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    names = {*sans.get_values_for_type(x509.DNSName)}
    names |= {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    if not names >= {*DNS_NAMES, *IP_ADDRESSES}:
        return None
    return _describe(cert, cert_path, key_path, created=False)


def _self_signed(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    public_key = key.public_key()
    sans: list[x509.GeneralName] = [x509.DNSName(dns) for dns in DNS_NAMES]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in IP_ADDRESSES]
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def _describe(
    cert: x509.Certificate, cert_path: Path, key_path: Path, *, created: bool
) -> DevCertificate:
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return DevCertificate(
        cert_path=cert_path,
        key_path=key_path,
        not_after=cert.not_valid_after_utc,
        fingerprint=":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
        created=created,
    )


def _write_atomic(path: Path, data: bytes) -> None:
    # mkstemp creates the file with mode 0600; os.replace keeps a reader from a half-written file.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = ["DevCertificate", "default_dir", "ensure_dev_certificate"]
