"""Secret values: what can be an HMAC secret, and a rotation list of them.

Text is sent to HMAC as UTF-8; empty values, non-text values and asymmetric keys (PEM blocks,
certificates, SSH and DER public keys, JWKs) are refused, as PyJWT's HMAC refuses them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_public_key

from receiver._text import type_phrase
from receiver.errors import SecretConfigurationError

Secret: TypeAlias = str | bytes
"""One secret: text (sent to HMAC as UTF-8) or raw bytes."""

SecretSpec: TypeAlias = str | bytes | Sequence[str | bytes]
"""One secret, or a list of them while a secret is being rotated."""


# The labels and the marker pattern follow PyJWT's HMAC key check (jwt/utils.py is_pem_format),
# so a secret we accept is one PyJWT would accept too.
_PEM_LABELS = (
    b"CERTIFICATE",
    b"TRUSTED CERTIFICATE",
    b"PRIVATE KEY",
    b"PUBLIC KEY",
    b"ENCRYPTED PRIVATE KEY",
    b"OPENSSH PRIVATE KEY",
    b"DSA PRIVATE KEY",
    b"RSA PRIVATE KEY",
    b"RSA PUBLIC KEY",
    b"EC PRIVATE KEY",
    b"DH PARAMETERS",
    b"NEW CERTIFICATE REQUEST",
    b"CERTIFICATE REQUEST",
    b"SSH2 PUBLIC KEY",
    b"SSH2 ENCRYPTED PRIVATE KEY",
    b"X509 CRL",
)
_PEM_MARKER_RE = re.compile(
    rb"(?=(----[- ](BEGIN|END) (" + b"|".join(_PEM_LABELS) + rb")[- ]----))"
)
_SSH_KEY_PREFIXES = (
    b"ssh-ed25519",
    b"ssh-rsa",
    b"ssh-dss",
    b"ecdsa-sha2-nistp256",
    b"ecdsa-sha2-nistp384",
    b"ecdsa-sha2-nistp521",
)


def _is_pem(data: bytes) -> bool:
    begins: dict[bytes, int] = {}
    for marker in _PEM_MARKER_RE.finditer(data):
        kind, label = marker.group(2), marker.group(3)
        if kind == b"BEGIN":
            begins[label] = marker.start(1) + len(marker.group(1))
        elif label in begins and begins[label] < marker.start(1):
            return True
    return False


def _is_der(data: bytes) -> bool:
    try:
        load_der_public_key(data)
    except (TypeError, ValueError, UnsupportedAlgorithm):
        pass
    else:
        return True
    try:
        x509.load_der_x509_certificate(data)
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
    return True


def _is_jwk(data: bytes) -> bool:
    try:
        document: object = json.loads(data, parse_int=lambda _: 0)  # no huge-int parsing
    except RecursionError:
        # Too deep to parse; refuse what PyJWT refuses: an object, or anything naming "kty".
        return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") or b'"kty"' in data
    except ValueError:
        return False
    todo = [document]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            if "kty" in item:
                return True
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return False


def validate_secret(secret: object, *, owner: str = "this webhook") -> bytes:
    """Check one HMAC secret and return its bytes; ``owner`` names it in error messages.

    Text is encoded as UTF-8. Empty secrets, non-text values and asymmetric keys (PEM blocks,
    x509 certificates, SSH and DER public keys, JWKs) raise SecretConfigurationError.

    >>> validate_secret("s3cret")
    b's3cret'
    >>> validate_secret("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    receiver.errors.SecretConfigurationError: The secret for this webhook looks like a PEM block...
    """
    if isinstance(secret, str):
        try:
            data = secret.encode("utf-8")
        except UnicodeEncodeError:
            # from None: the encode error carries the secret text
            raise SecretConfigurationError(
                f"The secret for {owner} is not valid text (it contains a lone surrogate);"
                " use exactly the secret the webhook was created with."
            ) from None
    elif isinstance(secret, bytes):
        data = bytes(secret)
    else:
        raise SecretConfigurationError(
            f"The secret for {owner} is {type_phrase(secret)}; give a str or bytes,"
            " or a list of them while rotating."
        )
    if not data:
        raise SecretConfigurationError(
            f"The secret for {owner} is empty; set it to the secret the webhook was created with."
        )
    if _is_pem(data) or data.startswith(_SSH_KEY_PREFIXES) or _is_der(data):
        raise SecretConfigurationError(
            f"The secret for {owner} looks like a PEM block, certificate or SSH/DER key: an"
            " asymmetric key cannot be an HMAC secret. The platform signs with HS256 and the"
            " webhook's shared secret; use that secret."
        )
    if _is_jwk(data):
        raise SecretConfigurationError(
            f"The secret for {owner} looks like a JSON Web Key; give the raw shared secret the"
            " webhook was created with, not a JWK."
        )
    return data


def secret_tuple(value: object, owner: str) -> tuple[bytes, ...]:
    """One secret or a rotation list -> deduplicated bytes, first-given first."""
    if isinstance(value, str | bytes):
        return (validate_secret(value, owner=owner),)
    if isinstance(value, Sequence) and not isinstance(value, bytearray | memoryview):
        if not value:
            raise SecretConfigurationError(
                f"The list of secrets for {owner} is empty; give at least one secret"
                " (two while rotating), or remove the entry."
            )
        return tuple(dict.fromkeys(validate_secret(item, owner=owner) for item in value))
    return (validate_secret(value, owner=owner),)  # raises, naming the type
