"""Tokens for tests: the one the platform sends, and the broken ones a receiver must refuse.

Every token is made by :mod:`receiver.tokens` (``sign`` over ``platform_claims``), so a test signs
exactly what the receiver verifies: HS256, ``iss="mpt"``, ``aud`` when given, ``iat`` = ``nbf`` =
now, ``exp`` = now + ttl and ``webhook_id`` (platform.md §1.3).

    >>> from receiver import tokens
    >>> secret = "a-test-secret-a-test-secret-000001"
    >>> claims = tokens.verify(sign_token(secret, "WBH-5433-8787"), [secret.encode()])
    >>> claims["iss"], claims["webhook_id"], claims["exp"] - claims["iat"]
    ('mpt', 'WBH-5433-8787', 300)

The variants share ``sign_token``'s signature (``token_without`` takes the claim names first) and
each fails one check, so a receiver answers 401 with one reason:

=========================  =====================================================
``expired_token``          ``expired``
``not_yet_valid_token``    ``not_yet_valid``
``wrong_secret_token``     ``bad_signature``
``tampered_token``         ``bad_signature``
``token_without("exp")``   ``missing_claim``
=========================  =====================================================
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any, Final

from receiver import tokens

__all__ = [
    "DEFAULT_TTL",
    "expired_token",
    "not_yet_valid_token",
    "sign_token",
    "tampered_token",
    "token_without",
    "wrong_secret_token",
]

DEFAULT_TTL: Final = tokens.PLATFORM_TOKEN_TTL
"""The lifetime of a platform token, in seconds (platform.md §1.3: 300)."""

# How far outside its validity window a broken token is: far beyond any sane clock leeway, so
# the token fails whatever ``leeway`` the receiver under test is configured with.
_OFF_BY: Final = 3600


def sign_token(
    secret: str | bytes,
    webhook_id: str,
    *,
    ttl: float = DEFAULT_TTL,
    now: float | None = None,
    audience: str | None = None,
    **claims: Any,
) -> str:
    """The token the platform would send for ``webhook_id`` at ``now`` (default: the clock).

    ``claims`` add or override claims; a value of None removes one.

    >>> token = sign_token("a-test-secret-a-test-secret-000001", "WBH-5433-8787", now=1767225600,
    ...                    audience="vendor-ext.example.com", jti="call-1")
    >>> from receiver import tokens
    >>> claims = tokens.parse(token).claims
    >>> claims["aud"], claims["nbf"], claims["exp"], claims["jti"]
    ('vendor-ext.example.com', 1767225600, 1767225900, 'call-1')
    """
    return tokens.sign(
        secret, tokens.platform_claims(webhook_id, ttl=ttl, now=now, audience=audience, **claims)
    )


def _now(now: float | None) -> int:
    return int(time.time() if now is None else now)


def expired_token(
    secret: str | bytes,
    webhook_id: str,
    *,
    ttl: float = DEFAULT_TTL,
    now: float | None = None,
    audience: str | None = None,
    **claims: Any,
) -> str:
    """A correctly signed token whose ``exp`` passed an hour ago.

    ``iat`` and ``nbf`` stay at ``now``: a receiver checks a token's age (``iat``) before its
    expiry, so an old ``iat`` would be refused as ``too_old``, not ``expired``. ``ttl`` is
    accepted for a uniform signature and does not matter here.

    >>> from receiver import tokens
    >>> claims = tokens.parse(expired_token("s3cret", "WBH-1", now=10_000)).claims
    >>> claims["iat"], claims["exp"]
    (10000, 6400)
    """
    issued = _now(now)
    return sign_token(
        secret,
        webhook_id,
        ttl=ttl,
        now=issued,
        audience=audience,
        **{"exp": issued - _OFF_BY, **claims},
    )


def not_yet_valid_token(
    secret: str | bytes,
    webhook_id: str,
    *,
    ttl: float = DEFAULT_TTL,
    now: float | None = None,
    audience: str | None = None,
    **claims: Any,
) -> str:
    """A correctly signed token issued an hour in the future (``iat`` = ``nbf`` = now + 1 h):
    what a platform with a fast clock would send.

    >>> from receiver import tokens
    >>> claims = tokens.parse(not_yet_valid_token("s3cret", "WBH-1", now=10_000)).claims
    >>> claims["nbf"], claims["exp"]
    (13600, 13900)
    """
    return sign_token(
        secret, webhook_id, ttl=ttl, now=_now(now) + _OFF_BY, audience=audience, **claims
    )


def _other_secret(secret: str | bytes) -> bytes:
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    # Derived rather than fixed, so it can never equal the real secret by accident.
    return hashlib.sha256(b"receiver.testing: not the secret\0" + raw).hexdigest().encode()


def wrong_secret_token(
    secret: str | bytes,
    webhook_id: str,
    *,
    ttl: float = DEFAULT_TTL,
    now: float | None = None,
    audience: str | None = None,
    **claims: Any,
) -> str:
    """A valid-looking token for ``webhook_id`` signed with a secret other than ``secret``.

    >>> from receiver import tokens
    >>> parsed = tokens.parse(wrong_secret_token("s3cret", "WBH-1"))
    >>> parsed.webhook_id, tokens.verify_signature(parsed, [b"s3cret"])
    ('WBH-1', False)
    """
    return sign_token(
        _other_secret(secret), webhook_id, ttl=ttl, now=now, audience=audience, **claims
    )


def tampered_token(
    secret: str | bytes,
    webhook_id: str,
    *,
    ttl: float = DEFAULT_TTL,
    now: float | None = None,
    audience: str | None = None,
    **claims: Any,
) -> str:
    """A genuine signature over other claims: the token ``sign_token`` makes, with its payload
    swapped for the same claims and an ``exp`` one day later (the classic forgery).

    >>> from receiver import tokens
    >>> parsed = tokens.parse(tampered_token("s3cret", "WBH-1", now=10_000))
    >>> parsed.claims["exp"], tokens.verify_signature(parsed, [b"s3cret"])
    (96700, False)
    """
    genuine = sign_token(secret, webhook_id, ttl=ttl, now=now, audience=audience, **claims)
    header, payload, signature = genuine.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["exp"] = int(forged.get("exp", _now(now))) + 24 * 3600
    forged_payload = tokens.sign(secret, forged).split(".")[1]
    return f"{header}.{forged_payload}.{signature}"


def token_without(
    claim: str | Iterable[str],
    secret: str | bytes,
    webhook_id: str,
    *,
    ttl: float = DEFAULT_TTL,
    now: float | None = None,
    audience: str | None = None,
    **claims: Any,
) -> str:
    """The platform's token without ``claim`` (a name, or several): correctly signed, so the
    receiver gets as far as checking the claims. Without ``webhook_id`` it cannot even pick a
    secret; both answer ``missing_claim``.

    >>> from receiver import tokens
    >>> sorted(tokens.parse(token_without(["exp", "nbf"], "s3cret", "WBH-1")).claims)
    ['iat', 'iss', 'webhook_id']
    """
    names = [claim] if isinstance(claim, str) else list(claim)
    signed = tokens.platform_claims(webhook_id, ttl=ttl, now=now, audience=audience, **claims)
    for name in names:  # after platform_claims: ``webhook_id`` cannot be one of its keywords
        signed.pop(name, None)
    return tokens.sign(secret, signed)
