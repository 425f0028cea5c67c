"""receiver._tls: the cached self-signed development certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from receiver import _tls
from receiver._tls import default_dir, ensure_dev_certificate

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture
def tls_dir(tmp_path: Path) -> Path:
    return tmp_path / "tls"


def test_certificate_names_and_validity(tls_dir: Path) -> None:
    made = ensure_dev_certificate(tls_dir, now=NOW)
    cert = load(made.cert_path)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sans.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert cert.not_valid_before_utc == NOW - dt.timedelta(minutes=5)
    assert cert.not_valid_after_utc == NOW + dt.timedelta(days=365)
    assert made.not_after == cert.not_valid_after_utc
    assert cert.issuer == cert.subject
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert made.names == ("localhost", "127.0.0.1", "::1")
    assert made.created is True
    assert made.cert_path == tls_dir / "cert.pem"
    assert made.key_path == tls_dir / "key.pem"


def test_key_is_ec_and_matches(tls_dir: Path) -> None:
    made = ensure_dev_certificate(tls_dir, now=NOW)
    key = serialization.load_pem_private_key(made.key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key() == load(made.cert_path).public_key()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_key_permissions(tls_dir: Path) -> None:
    made = ensure_dev_certificate(tls_dir, now=NOW)
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(tls_dir.stat().st_mode) & 0o077 == 0


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_loose_key_permissions_are_tightened_on_reuse(tls_dir: Path) -> None:
    made = ensure_dev_certificate(tls_dir, now=NOW)
    made.key_path.chmod(0o644)
    again = ensure_dev_certificate(tls_dir, now=NOW)
    assert again.created is False
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600


def handshake(cert: Path, key: Path, server_hostname: str, cafile: Path | None) -> None:
    """A TLS handshake in memory between a server with ``cert`` and a client trusting
    ``cafile`` (the system's trust store when None)."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=None if cafile is None else str(cafile))
    client_context.verify_flags |= ssl.VERIFY_X509_STRICT
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(to_client, to_server, server_hostname=server_hostname)
    server = server_context.wrap_bio(to_server, to_client, server_side=True)
    for _ in range(10):
        done = 0
        for side in (client, server):
            try:
                side.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
        if done == 2:
            return
    raise AssertionError("handshake did not finish")  # pragma: no cover


@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1", "::1"])
def test_clients_trusting_the_certificate_accept_it(tls_dir: Path, hostname: str) -> None:
    made = ensure_dev_certificate(tls_dir)
    handshake(made.cert_path, made.key_path, hostname, made.cert_path)


@pytest.mark.parametrize(
    ("hostname", "cafile", "error"),
    [
        pytest.param("example.com", True, "Hostname mismatch", id="other-name"),
        pytest.param("localhost", False, "self-signed certificate", id="not-trusted"),
    ],
)
def test_clients_refuse_it_otherwise(
    tls_dir: Path, hostname: str, cafile: bool, error: str
) -> None:
    made = ensure_dev_certificate(tls_dir)
    with pytest.raises(ssl.SSLCertVerificationError, match=error):
        handshake(made.cert_path, made.key_path, hostname, made.cert_path if cafile else None)


@pytest.mark.parametrize(
    ("later", "reused"),
    [
        pytest.param(dt.timedelta(0), True, id="same-moment"),
        pytest.param(dt.timedelta(days=300), True, id="months-later"),
        pytest.param(dt.timedelta(days=357, hours=23), True, id="just-over-7-days-left"),
        pytest.param(dt.timedelta(days=358, seconds=1), False, id="under-7-days-left"),
        pytest.param(dt.timedelta(days=400), False, id="expired"),
        pytest.param(dt.timedelta(minutes=-10), False, id="not-yet-valid"),
    ],
)
def test_reuse_while_valid(tls_dir: Path, later: dt.timedelta, reused: bool) -> None:
    first = ensure_dev_certificate(tls_dir, now=NOW)
    first_serial = load(first.cert_path).serial_number
    second = ensure_dev_certificate(tls_dir, now=NOW + later)
    assert second.created is not reused
    assert (second.fingerprint == first.fingerprint) is reused
    assert (load(second.cert_path).serial_number == first_serial) is reused
    if not reused:
        assert second.not_after == NOW + later + dt.timedelta(days=365)


def test_fingerprint_format(tls_dir: Path) -> None:
    made = ensure_dev_certificate(tls_dir, now=NOW)
    parts = made.fingerprint.split(":")
    assert len(parts) == 32
    assert all(len(part) == 2 and part == part.upper() for part in parts)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: (d / "cert.pem").write_text("garbage"), id="corrupt-cert"),
        pytest.param(lambda d: (d / "key.pem").write_text("garbage"), id="corrupt-key"),
        pytest.param(lambda d: (d / "cert.pem").unlink(), id="missing-cert"),
        pytest.param(lambda d: (d / "key.pem").unlink(), id="missing-key"),
        pytest.param(lambda d: (d / "cert.pem").write_bytes(b""), id="empty-cert"),
        pytest.param(
            lambda d: (d / "key.pem").write_bytes(
                ec.generate_private_key(ec.SECP256R1()).private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            id="key-does-not-match",
        ),
    ],
)
def test_regenerated_when_unusable(tls_dir: Path, damage: object) -> None:
    first = ensure_dev_certificate(tls_dir, now=NOW)
    damage(tls_dir)  # type: ignore[operator]
    second = ensure_dev_certificate(tls_dir, now=NOW)
    assert second.created is True
    assert second.fingerprint != first.fingerprint
    key = serialization.load_pem_private_key(second.key_path.read_bytes(), password=None)
    assert key.public_key() == load(second.cert_path).public_key()


def test_regenerated_when_names_are_missing(tls_dir: Path) -> None:
    # A certificate someone else put there, for other names: not ours to reuse.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "example.test")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=100))
    )
    tls_dir.mkdir()
    (tls_dir / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    for extension in (None, x509.SubjectAlternativeName([x509.DNSName("example.test")])):
        signed = builder if extension is None else builder.add_extension(extension, False)
        cert = signed.sign(key, _tls.hashes.SHA256())
        (tls_dir / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        assert ensure_dev_certificate(tls_dir, now=NOW).created is True
        (tls_dir / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def test_no_temporary_files_are_left(tls_dir: Path) -> None:
    ensure_dev_certificate(tls_dir, now=NOW)
    ensure_dev_certificate(tls_dir, now=NOW + dt.timedelta(days=400))
    assert sorted(p.name for p in tls_dir.iterdir()) == ["cert.pem", "key.pem"]


def test_a_failed_write_leaves_no_temporary_file(
    tls_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls_dir.mkdir()

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_tls.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        ensure_dev_certificate(tls_dir, now=NOW)
    assert list(tls_dir.iterdir()) == []


def test_unwritable_directory_raises_oserror(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(NotADirectoryError):
        ensure_dev_certificate(blocker / "tls", now=NOW)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            {"RECEIVER_TLS_DIR": "/srv/certs", "XDG_CACHE_HOME": "/xdg"},
            "/srv/certs",
            id="override",
        ),
        pytest.param({"XDG_CACHE_HOME": "/xdg"}, "/xdg/mpt-receiver/tls", id="xdg"),
        pytest.param({}, "{home}/.cache/mpt-receiver/tls", id="home"),
        pytest.param({"RECEIVER_TLS_DIR": "", "XDG_CACHE_HOME": ""},
                     "{home}/.cache/mpt-receiver/tls", id="empty-values-ignored"),
        pytest.param({"RECEIVER_TLS_DIR": "~/tls"}, "{home}/tls", id="tilde"),
    ],
)  # fmt: skip
def test_default_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("RECEIVER_TLS_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert default_dir() == Path(expected.format(home=tmp_path))


def test_default_directory_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RECEIVER_TLS_DIR", str(tmp_path / "env-dir"))
    made = ensure_dev_certificate()
    assert made.cert_path == tmp_path / "env-dir" / "cert.pem"
