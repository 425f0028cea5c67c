"""receiver.secrets.values: validate_secret takes what PyJWT's HMAC takes, refuses asymmetric keys
and unusable values, and never shows the secret."""

from __future__ import annotations

import datetime
import functools
import json

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import example, given, settings
from hypothesis import strategies as st

from receiver.errors import SecretConfigurationError
from receiver.secrets import validate_secret

from .conftest import SECRET, WEBHOOK

pytestmark = pytest.mark.anyio


# --- asymmetric keys (generated once) ----------------------------------------------------------


@functools.cache
def asymmetric_keys() -> dict[str, bytes]:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vendor.example")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ec_key.public_key())
        .serial_number(1234)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ec_key, hashes.SHA256())
    )
    enc, pub, priv = serialization.Encoding, serialization.PublicFormat, serialization.PrivateFormat
    no_encryption = serialization.NoEncryption()
    return {
        "pem-public": ec_key.public_key().public_bytes(enc.PEM, pub.SubjectPublicKeyInfo),
        "pem-rsa-public": rsa_key.public_key().public_bytes(enc.PEM, pub.PKCS1),
        "pem-private": ec_key.private_bytes(enc.PEM, priv.PKCS8, no_encryption),
        "pem-rsa-private": rsa_key.private_bytes(enc.PEM, priv.TraditionalOpenSSL, no_encryption),
        "openssh-private": ec_key.private_bytes(enc.PEM, priv.OpenSSH, no_encryption),
        "pem-certificate": cert.public_bytes(enc.PEM),
        "pem-in-text": b"note\n" + cert.public_bytes(enc.PEM) + b"trailer",
        "ssh-ecdsa": ec_key.public_key().public_bytes(enc.OpenSSH, pub.OpenSSH),
        "ssh-rsa": rsa_key.public_key().public_bytes(enc.OpenSSH, pub.OpenSSH),
        "ssh-ed25519": b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk vendor@host",
        "ssh2-public": b"---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3Nza\n---- END SSH2 PUBLIC KEY ----",
        "der-public": ec_key.public_key().public_bytes(enc.DER, pub.SubjectPublicKeyInfo),
        "der-certificate": cert.public_bytes(enc.DER),
        "jwk": json.dumps({"kty": "oct", "k": "c2VjcmV0"}).encode(),
        "jwk-set": json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}).encode(),
    }


ASYMMETRIC = [
    "pem-public",
    "pem-rsa-public",
    "pem-private",
    "pem-rsa-private",
    "openssh-private",
    "pem-certificate",
    "pem-in-text",
    "ssh-ecdsa",
    "ssh-rsa",
    "ssh-ed25519",
    "ssh2-public",
    "der-public",
    "der-certificate",
    "jwk",
    "jwk-set",
]


def pyjwt_accepts(key: bytes) -> bool:
    try:
        jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256).prepare_key(key)
    except jwt.InvalidKeyError:
        return False
    return True


# --- validate_secret ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("s3cret", b"s3cret"),
        ("päss", "päss".encode()),
        (b"\x00\xffraw", b"\x00\xffraw"),
        ("-----BEGIN PUBLIC KEY----- without an end", b"-----BEGIN PUBLIC KEY----- without an end"),
        ('{"not": "a jwk"}', b'{"not": "a jwk"}'),
        ("[1, 2]", b"[1, 2]"),
        (" ssh-rsa with a leading space", b" ssh-rsa with a leading space"),
    ],
)
async def test_validate_secret_accepts_text_and_bytes(secret: str | bytes, expected: bytes) -> None:
    assert validate_secret(secret) == expected
    assert pyjwt_accepts(expected)


@pytest.mark.parametrize(
    ("name", "as_text"),
    [(name, False) for name in ASYMMETRIC]
    + [(name, True) for name in ASYMMETRIC if not name.startswith("der")],  # DER is binary
)
async def test_validate_secret_refuses_asymmetric_keys(name: str, as_text: bool) -> None:
    key = asymmetric_keys()[name]
    assert not pyjwt_accepts(key)  # the same keys PyJWT's HMAC refuses
    value: str | bytes = key.decode() if as_text else key
    with pytest.raises(SecretConfigurationError) as caught:
        validate_secret(value, owner=f"webhook {WEBHOOK!r}")
    message = str(caught.value)
    assert WEBHOOK in message
    assert "asymmetric key cannot be an HMAC secret" in message or "JSON Web Key" in message
    assert key.decode("latin-1")[8:40] not in message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param("", "is empty", id="empty-str"),
        pytest.param(b"", "is empty", id="empty-bytes"),
        pytest.param(None, "is None", id="none"),
        pytest.param(12345, "is an int", id="int"),
        pytest.param(bytearray(b"x"), "is a bytearray", id="bytearray"),
        pytest.param({"k": "v"}, "is a dict", id="dict"),
        pytest.param("bad\ud800" + SECRET, "lone surrogate", id="surrogate"),
    ],
)
async def test_validate_secret_refuses_unusable_values(value: object, fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        validate_secret(value, owner="product 'PRD-1'")
    assert "product 'PRD-1'" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


@pytest.mark.parametrize(
    ("secret", "accepted"),
    [
        pytest.param(b"[" * 100_000, True, id="deep-array"),
        pytest.param(b'{"a":' * 100_000, False, id="deep-object"),
        pytest.param(b"[" * 100_000 + b'{"kty": 1}', False, id="deep-kty"),
    ],
)
async def test_validate_secret_json_too_deep_to_parse(secret: bytes, accepted: bool) -> None:
    assert pyjwt_accepts(secret) is accepted
    if accepted:
        assert validate_secret(secret) == secret
    else:
        with pytest.raises(SecretConfigurationError, match="JSON Web Key"):
            validate_secret(secret)


@settings(max_examples=300)
@given(st.one_of(st.binary(min_size=1, max_size=200), st.text(min_size=1).map(str.encode)))
@example(b"ssh-rsa AAAA")
@example(b'{"kty": "oct"}')
@example(b"-----BEGIN CERTIFICATE-----x-----END CERTIFICATE-----")
@example(b"-----END CERTIFICATE-----x-----BEGIN CERTIFICATE-----")
def test_validate_secret_agrees_with_pyjwt(data: bytes) -> None:
    try:
        validate_secret(data)
    except SecretConfigurationError:
        accepted = False
    else:
        accepted = True
    assert accepted == pyjwt_accepts(data)
