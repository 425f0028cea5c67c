"""HS256 tokens, the way the platform makes them: sign, parse once, verify.

Why not PyJWT on the hot path: vendors today decode every token twice (once unverified to find
``webhook_id``, once to verify), about 80 us a call. Here the token is parsed once, the signature
is checked with ``cryptography``'s HMAC (constant time), then the claims. The acceptance rules
are those of PyJWT 2.15.1 with ``algorithms=["HS256"]``: tests/test_tokens.py proves it
differentially against the PyJWT of the dev extra. Other 2.x releases differ at the edges (those
tests, run against 2.12.1, 2.13.0, 2.14.0 and 2.15.0): up to 2.13 (the release the platform's
extension SDK v5 pins) PyJWT also accepts a payload or signature whose last base64url character
is not the canonical one and stray ``==`` after the signature, which we refuse as malformed; up to
2.14 it fails with TypeError or OverflowError, not a PyJWTError, on a non-integer ``nbf`` or
``iat`` and an infinite ``exp``, which we refuse as invalid claims; 2.14.0 and 2.15.0 refuse
``=``-padded segments, which we and 2.15.1 accept. On top of these rules we add two of our own: a
maximum token length and a maximum token age (``iat``).

    >>> secret = b"s3cret-s3cret-s3cret-s3cret-0001"
    >>> token = sign(secret, {"webhook_id": "WBH-1", "exp": 4102444800})
    >>> parsed = parse(token)
    >>> parsed.webhook_id
    'WBH-1'
    >>> verify_signature(parsed, [secret])
    True
"""

from __future__ import annotations

import binascii
import functools
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from receiver._deadline import run_with_deadline
from receiver.errors import TokenError
from receiver.tracing import SpanFactory, no_span
from receiver.wire import ErrorId, Message, is_plausible_webhook_id

if TYPE_CHECKING:
    from receiver.secrets import SecretSource

logger = logging.getLogger("receiver")

ALGORITHM: Final = "HS256"
PLATFORM_ISSUER: Final = "mpt"
PLATFORM_TOKEN_TTL: Final = 300
# Seconds a secret lookup may take before the call is refused (Receiver(secret_lookup_timeout=)).
DEFAULT_LOOKUP_TIMEOUT: Final = 5.0
# A platform token is about 250 bytes; anything far larger is refused before any decoding.
MAX_TOKEN_LENGTH: Final = 4096

_BASE64URL: Final = re.compile(rb"[A-Za-z0-9_-]*")
_SUPPORTED_CRIT: Final = frozenset({"b64"})
_TO_STANDARD: Final = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")

# Stable reason codes (the ``id`` of a 401 body), defined in receiver.wire; these names stay for
# the code and tests that read them here. Messages never quote the token.
MISSING: Final = ErrorId.MISSING_TOKEN
MALFORMED: Final = ErrorId.MALFORMED_TOKEN
ALGORITHM_NOT_ALLOWED: Final = ErrorId.ALGORITHM_NOT_ALLOWED
BAD_SIGNATURE: Final = ErrorId.BAD_SIGNATURE
MISSING_CLAIM: Final = ErrorId.MISSING_CLAIM
INVALID_CLAIM: Final = ErrorId.INVALID_CLAIM
EXPIRED: Final = ErrorId.EXPIRED
NOT_YET_VALID: Final = ErrorId.NOT_YET_VALID
TOO_OLD: Final = ErrorId.TOO_OLD
WRONG_ISSUER: Final = ErrorId.WRONG_ISSUER
WRONG_AUDIENCE: Final = ErrorId.WRONG_AUDIENCE
UNKNOWN_WEBHOOK: Final = ErrorId.UNKNOWN_WEBHOOK


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """How claims are checked. ``issuer``/``audience`` are checked only when set (the platform's
    real ``aud`` is unknown, platform.md §1.3); ``max_age`` bounds ``now - iat``."""

    leeway: float = 30.0
    max_age: float | None = 330.0
    issuer: str | None = None
    audience: str | Sequence[str] | None = None
    required: tuple[str, ...] = ("exp", "webhook_id")


@dataclass(frozen=True, slots=True)
class UnverifiedToken:
    """A token split and decoded once. Nothing in it is trusted until verified. ``header`` is
    shared between tokens with the same header bytes: read it, do not change it."""

    header: Mapping[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes = field(repr=False)

    @property
    def webhook_id(self) -> str | None:
        """The ``webhook_id`` claim when it is a non-empty string, else None."""
        value = self.claims.get("webhook_id")
        return value if isinstance(value, str) and value else None


def _b64url_decode(segment: bytes, name: str) -> bytes:
    # PyJWT's rule: optional '=' padding (at most 2, whole quantum), alphabet only, canonical.
    stripped = segment.rstrip(b"=")
    padding = len(segment) - len(stripped)
    if padding > 2 or (padding and len(segment) % 4):
        raise TokenError(MALFORMED, f"Malformed token: bad padding in the {name} segment.")
    if len(stripped) % 4 == 1 or not _BASE64URL.fullmatch(stripped):
        raise TokenError(MALFORMED, f"Malformed token: the {name} segment is not base64url.")
    try:
        decoded = binascii.a2b_base64(
            stripped.translate(_TO_STANDARD) + b"=" * (-len(stripped) % 4)
        )
    except binascii.Error:  # pragma: no cover - excluded by the checks above
        raise TokenError(MALFORMED, f"Malformed token: bad {name} segment.") from None
    if _b64url_encode(decoded) != stripped:
        raise TokenError(MALFORMED, f"Malformed token: non-canonical {name} segment.")
    return decoded


def _b64url_encode(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URLSAFE)


def _json_object(data: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise TokenError(MALFORMED, f"Malformed token: the {name} is not JSON.") from None
    if not isinstance(value, dict):
        raise TokenError(MALFORMED, f"Malformed token: the {name} is not a JSON object.")
    return value


def _check_header(header: dict[str, Any]) -> None:
    if "kid" in header and not isinstance(header["kid"], str):
        raise TokenError(MALFORMED, "Malformed token: 'kid' must be a string.")
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit:
            raise TokenError(MALFORMED, "Malformed token: 'crit' must be a non-empty list.")
        for extension in crit:
            if not isinstance(extension, str) or extension not in _SUPPORTED_CRIT:
                raise TokenError(MALFORMED, "Malformed token: unsupported critical extension.")
            if extension not in header:
                raise TokenError(MALFORMED, "Malformed token: a critical extension is missing.")
    if header.get("b64", True) is False:
        # A detached payload: the platform never sends one, so there is nothing to verify.
        raise TokenError(MALFORMED, "Malformed token: detached payloads are not accepted.")
    if header.get("alg") != ALGORITHM:
        raise TokenError(
            ALGORITHM_NOT_ALLOWED, f"Token algorithm not allowed: only {ALGORITHM} is accepted."
        )


@functools.lru_cache(maxsize=64)
def _checked_header(segment: bytes) -> dict[str, Any]:
    # Every platform token carries the same header bytes: decode and check them once.
    header = _json_object(_b64url_decode(segment, "header"), "header")
    _check_header(header)
    return header


def parse(token: str | bytes) -> UnverifiedToken:
    """Split and decode ``token`` once; raise :class:`TokenError` unless it is a usable HS256
    JWT."""
    raw = token.encode("utf-8", "replace") if isinstance(token, str) else token
    if not raw:
        raise TokenError(MISSING, "Missing bearer token.")
    if len(raw) > MAX_TOKEN_LENGTH:
        raise TokenError(MALFORMED, f"Malformed token: longer than {MAX_TOKEN_LENGTH} bytes.")
    segments = raw.split(b".")
    if len(segments) != 3:
        raise TokenError(MALFORMED, "Malformed token: a JWT has three dot-separated segments.")
    header_segment, payload_segment, signature_segment = segments
    header = _checked_header(header_segment)
    claims = _json_object(_b64url_decode(payload_segment, "payload"), "payload")
    signature = _b64url_decode(signature_segment, "signature")
    signing_input = raw[: len(header_segment) + 1 + len(payload_segment)]
    return UnverifiedToken(header, claims, signing_input, signature)


@functools.lru_cache(maxsize=1024)
def _hmac_for(secret: bytes) -> hmac.HMAC:
    # Keyed once per secret; each check works on a copy. Only configured secrets reach here.
    return hmac.HMAC(secret, hashes.SHA256())


def verify_signature(token: UnverifiedToken, secrets: Iterable[bytes]) -> bool:
    """True when one of ``secrets`` made the signature. Every secret is tried (constant time each),
    so the time taken does not tell which one matched."""
    matched = False
    for secret in secrets:
        mac = _hmac_for(secret).copy()
        mac.update(token.signing_input)
        try:
            mac.verify(token.signature)
        except InvalidSignature:
            continue
        matched = True
    return matched


def _int_claim(claims: Mapping[str, Any], name: str) -> int:
    # int() like PyJWT: floats are truncated, numeric strings accepted.
    try:
        return int(claims[name])
    except (ValueError, TypeError, OverflowError):
        raise TokenError(INVALID_CLAIM, f"Invalid token: '{name}' must be an integer.") from None


def check_claims(
    claims: Mapping[str, Any], options: VerifyOptions, *, now: float | None = None
) -> None:
    """Check the verified claims; raise :class:`TokenError` naming the first problem."""
    current = time.time() if now is None else now
    leeway = options.leeway
    for name in options.required:
        if claims.get(name) is None:
            raise TokenError(MISSING_CLAIM, f"Invalid token: the '{name}' claim is required.")
    if "iat" in claims:
        iat = _int_claim(claims, "iat")
        if iat > current + leeway:
            raise TokenError(NOT_YET_VALID, "Token not yet valid: 'iat' is in the future.")
        if options.max_age is not None and iat < current - options.max_age - leeway:
            raise TokenError(TOO_OLD, f"Token too old: issued more than {options.max_age:g} s ago.")
    if "nbf" in claims and _int_claim(claims, "nbf") > current + leeway:
        raise TokenError(NOT_YET_VALID, "Token not yet valid: 'nbf' is in the future.")
    if "exp" in claims and _int_claim(claims, "exp") <= current - leeway:
        raise TokenError(EXPIRED, "Token expired.")
    if options.issuer is not None:
        _check_issuer(claims, options.issuer)
    if options.audience is not None:
        _check_audience(claims, options.audience)
    if "sub" in claims and not isinstance(claims["sub"], str):
        raise TokenError(INVALID_CLAIM, "Invalid token: 'sub' must be a string.")
    if "jti" in claims and not isinstance(claims["jti"], str):
        raise TokenError(INVALID_CLAIM, "Invalid token: 'jti' must be a string.")


def _check_issuer(claims: Mapping[str, Any], issuer: str) -> None:
    if "iss" not in claims:
        raise TokenError(MISSING_CLAIM, "Invalid token: the 'iss' claim is required.")
    if claims["iss"] != issuer:
        raise TokenError(WRONG_ISSUER, "Invalid token: wrong issuer.")


def _check_audience(claims: Mapping[str, Any], audience: str | Sequence[str]) -> None:
    value = claims.get("aud")
    if not value:
        raise TokenError(MISSING_CLAIM, "Invalid token: the 'aud' claim is required.")
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TokenError(WRONG_AUDIENCE, "Invalid token: malformed audience.")
    accepted = [audience] if isinstance(audience, str) else list(audience)
    if not any(a in values for a in accepted):
        raise TokenError(WRONG_AUDIENCE, "Invalid token: wrong audience.")


def verify(
    token: str | bytes,
    secrets: Iterable[bytes],
    options: VerifyOptions | None = None,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Parse, check the signature against ``secrets``, check the claims; return the claims.

    >>> secret = b"s3cret-s3cret-s3cret-s3cret-0001"
    >>> verify(sign(secret, platform_claims("WBH-1", now=1000)), [secret], now=1010)["iss"]
    'mpt'
    """
    parsed = parse(token)
    if not verify_signature(parsed, secrets):
        raise TokenError(BAD_SIGNATURE, Message.BAD_SIGNATURE)
    check_claims(parsed.claims, options or VerifyOptions(), now=now)
    return parsed.claims


@dataclass(frozen=True, slots=True)
class VerifiedCall:
    """What a verified call's token says: whose it is, its claims, and its signature (the replay
    guard's key)."""

    webhook_id: str
    claims: dict[str, Any]
    signature: bytes = field(repr=False)


async def verify_call(
    authorization: bytes | None,
    secrets: SecretSource,
    options: VerifyOptions,
    *,
    lookup_timeout: float = DEFAULT_LOOKUP_TIMEOUT,
    span: SpanFactory = no_span,
    now: float | None = None,
) -> VerifiedCall:
    """Verify a call's ``Authorization`` header: the Bearer token, its ``webhook_id``, that
    webhook's secret(s) from ``secrets``, the signature, then the claims.

    Raises :class:`TokenError` naming the reason; from the secret lookup on, the error carries
    the ``webhook_id`` whose secret was found. A lookup that fails, or takes longer than
    ``lookup_timeout`` seconds (it is cancelled), is refused as ``secret_unavailable`` and logged
    with the id and the exception's type only (a source's message may hold a URL or a secret).

    >>> import asyncio
    >>> from receiver.secrets import StaticSecrets
    >>> secret = "s3cret-s3cret-s3cret-s3cret-0001"
    >>> header = b"Bearer " + sign(secret, platform_claims("WBH-1", now=1000)).encode()
    >>> source = StaticSecrets({"WBH-1": secret})
    >>> asyncio.run(verify_call(header, source, VerifyOptions(), now=1010)).webhook_id
    'WBH-1'
    """
    token = bearer_token(authorization)
    parsed = parse(token)
    webhook_id = parsed.webhook_id
    if webhook_id is None:
        raise TokenError(MISSING_CLAIM, Message.MISSING_WEBHOOK_ID)
    if not is_plausible_webhook_id(webhook_id):
        raise TokenError(UNKNOWN_WEBHOOK, Message.UNKNOWN_WEBHOOK)
    # A source that knows what a call's token proves (CachedSecrets) is given the token.
    for_token = getattr(secrets, "secrets_for_token", None)
    try:
        with span("receiver.secret_lookup"):
            # Made in here: a source that is not async (against the protocol) may raise at once.
            lookup = for_token(webhook_id, parsed) if for_token else secrets.secrets_for(webhook_id)
            keys = await run_with_deadline(lookup, lookup_timeout)
    except TimeoutError:
        logger.error("Secret lookup for %s took longer than %gs", webhook_id, lookup_timeout)
        raise TokenError(ErrorId.SECRET_UNAVAILABLE, Message.SECRET_UNAVAILABLE) from None
    except Exception as exc:  # a vendor's own SecretSource may raise anything
        logger.error("Secret lookup for %s failed: %s", webhook_id, type(exc).__name__)
        raise TokenError(ErrorId.SECRET_UNAVAILABLE, Message.SECRET_UNAVAILABLE) from None
    if not keys:
        raise TokenError(UNKNOWN_WEBHOOK, Message.UNKNOWN_WEBHOOK)
    if not verify_signature(parsed, keys):
        raise TokenError(BAD_SIGNATURE, Message.BAD_SIGNATURE, webhook_id=webhook_id)
    try:
        check_claims(parsed.claims, options, now=now)
    except TokenError as exc:
        exc.webhook_id = webhook_id
        raise
    return VerifiedCall(webhook_id, dict(parsed.claims), parsed.signature)


def bearer_token(authorization: bytes | None) -> bytes:
    """The token of an ``Authorization: Bearer <token>`` header; :class:`TokenError` otherwise."""
    if authorization is None:
        raise TokenError(MISSING, Message.MISSING_AUTHORIZATION)
    scheme, _, token = authorization.partition(b" ")
    token = token.strip()
    if scheme.lower() != b"bearer" or not token:
        raise TokenError(MISSING, Message.NOT_BEARER)
    return token


def sign(
    secret: str | bytes, claims: Mapping[str, Any], *, headers: Mapping[str, Any] | None = None
) -> str:
    """An HS256 JWT over ``claims``, byte-for-byte what ``jwt.encode(claims, secret, "HS256")``
    makes. ``headers`` adds or overrides header fields (for negative tests)."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    header: dict[str, Any] = {"alg": ALGORITHM, "typ": "JWT"}
    if headers:
        header.update(headers)
    header_json = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    payload_json = json.dumps(dict(claims), separators=(",", ":")).encode()
    signing_input = _b64url_encode(header_json) + b"." + _b64url_encode(payload_json)
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(signing_input)
    return (signing_input + b"." + _b64url_encode(mac.finalize())).decode("ascii")


def platform_claims(
    webhook_id: str,
    *,
    ttl: float = PLATFORM_TOKEN_TTL,
    now: float | None = None,
    issuer: str | None = PLATFORM_ISSUER,
    audience: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The claims the platform puts in a webhook token (platform.md §1.3): ``iss``, ``aud`` (when
    given), ``iat`` = ``nbf`` = now, ``exp`` = now + ttl, ``webhook_id``; ``extra`` adds or
    overrides claims (a value of None removes one)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {}
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    claims.update(iat=issued, nbf=issued, exp=issued + int(ttl), webhook_id=webhook_id)
    for name, value in extra.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims
