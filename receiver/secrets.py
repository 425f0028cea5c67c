"""Secret sources: where the receiver finds the HMAC secret(s) of the webhook that called.

The platform signs every call with the webhook's shared secret (HS256) and names the webhook in
the token's ``webhook_id`` claim. That claim is read *before* the signature can be checked, so
every source here treats it as hostile: implausible ids never reach a lookup, and lookups that
leave the process (the platform API, your function) go through :class:`CachedSecrets`, which
bounds their number, rate, concurrency and memory.

    StaticSecrets     a fixed mapping {webhook_id: secret | [old, new]}; from_env() reads one
    CallableSecrets   your function, sync or async: webhook_id -> secret(s) | None
    ProductSecrets    webhook -> product (a mapping or the platform API) -> secret(s)
    CachedSecrets     TTL + LRU cache, coalescing, concurrency and rate limits around a source

:func:`as_secret_source` turns whatever a user passes as ``secrets=`` into a source. Several
secrets for one webhook form a rotation window: a token signed with any of them is accepted.
Error messages name webhook and product ids, never a secret or a token.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import math
import os
import re
import ssl
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol, TypeAlias, cast, runtime_checkable
from urllib.parse import quote

import anyio
import anyio.to_thread
import httpx
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_public_key

from receiver._json import json_kind
from receiver._text import type_phrase, with_article
from receiver.errors import SecretConfigurationError, SecretLookupError

__all__ = [
    "WEBHOOK_ID_MAX_LENGTH",
    "CachedSecrets",
    "CallableSecrets",
    "ProductSecrets",
    "Secret",
    "SecretCallable",
    "SecretSource",
    "SecretSpec",
    "StaticSecrets",
    "as_secret_source",
    "from_env",
    "is_plausible_webhook_id",
    "validate_secret",
]

logger = logging.getLogger("receiver.secrets")

Secret: TypeAlias = str | bytes
"""One secret: text (sent to HMAC as UTF-8) or raw bytes."""

SecretSpec: TypeAlias = str | bytes | Sequence[str | bytes]
"""One secret, or a list of them while a secret is being rotated."""

SecretCallable: TypeAlias = Callable[[str], "SecretSpec | Awaitable[SecretSpec | None] | None"]
"""``f(webhook_id)`` returning the secret(s) of that webhook, or None when it is not yours."""

WEBHOOK_ID_MAX_LENGTH = 64
_WEBHOOK_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_ID_RULE = "1-64 characters: letters, digits, '_', '.', ':' or '-', starting with a letter or digit"

# How often CachedSecrets may log that its rate limit refused lookups.
_RATE_WARNING_INTERVAL = 60.0


def is_plausible_webhook_id(value: object) -> bool:
    """Whether ``value`` could be a webhook id; anything else is answered as unknown, unlooked-up.

    >>> is_plausible_webhook_id("WBH-5433-8787")
    True
    >>> is_plausible_webhook_id("../../admin"), is_plausible_webhook_id("W" * 65)
    (False, False)
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= WEBHOOK_ID_MAX_LENGTH
        and _WEBHOOK_ID_RE.fullmatch(value) is not None
    )


# --- secret validation -------------------------------------------------------------------------

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


def _secret_tuple(value: object, owner: str) -> tuple[bytes, ...]:
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


def _describe(value: object) -> str:
    """What a wrong value is, without showing it (it may be a secret)."""
    if isinstance(value, type):
        return f"the class {value.__name__} (pass an instance)"
    return type_phrase(value)


def _check_key(key: object, position: int, where: str, what: str, example: str) -> str:
    if is_plausible_webhook_id(key):
        return cast(str, key)
    # The key itself is not shown: a mapping written the wrong way round would print a secret.
    problem = f"is not a {what}" if isinstance(key, str) else f"is {type_phrase(key)}"
    raise SecretConfigurationError(
        f"Key number {position} of {where} {problem}: expected text like {example!r},"
        f" {_ID_RULE}. (The key is not shown in case it is a secret.)"
    )


# --- the protocol ------------------------------------------------------------------------------


@runtime_checkable
class SecretSource(Protocol):
    """Where the receiver gets the secret(s) for a webhook id.

    ``secrets_for`` answers ``()`` for a webhook that is not yours and raises SecretLookupError
    when it cannot tell. ``known_webhook_ids`` lists the ids configured up front (the receiver
    checks them at startup), or is None when the source is open-ended.
    """

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]: ...

    def known_webhook_ids(self) -> frozenset[str] | None: ...


# --- static mappings ---------------------------------------------------------------------------


class StaticSecrets:
    """A fixed mapping of webhook ids to their secret(s), checked when built.

    >>> import anyio
    >>> source = StaticSecrets({"WBH-5433-8787": ["old-secret", "new-secret"]})
    >>> anyio.run(source.secrets_for, "WBH-5433-8787")
    (b'old-secret', b'new-secret')
    >>> anyio.run(source.secrets_for, "WBH-0000-0000")
    ()
    """

    def __init__(self, secrets: Mapping[str, SecretSpec]) -> None:
        if not isinstance(secrets, Mapping):
            raise SecretConfigurationError(
                "StaticSecrets takes a mapping {webhook_id: secret or [secrets]}, not"
                f" {_describe(secrets)}."
            )
        table: dict[str, tuple[bytes, ...]] = {}
        for position, (key, value) in enumerate(secrets.items(), start=1):
            webhook_id = _check_key(
                key, position, "the secrets mapping", "webhook id", "WBH-5433-8787"
            )
            table[webhook_id] = _secret_tuple(value, f"webhook {webhook_id!r}")
        self._secrets = table
        self._ids = frozenset(table)

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        """The secrets of ``webhook_id``, or ``()`` if it is not in the mapping."""
        return self._secrets.get(webhook_id, ()) if is_plausible_webhook_id(webhook_id) else ()

    def known_webhook_ids(self) -> frozenset[str]:
        """Every webhook id in the mapping."""
        return self._ids

    def __repr__(self) -> str:
        return f"StaticSecrets(<{len(self._ids)} webhook(s)>)"


def _load_json_env(
    var: str, environ: Mapping[str, str], keys: str, example: str
) -> dict[str, object]:
    shape = f'{var}=\'{{"{example}": "<secret>"}}\''
    raw = environ.get(var)
    if raw is None or not raw.strip():
        raise SecretConfigurationError(
            f"{var} is not set. Set it to a JSON object mapping {keys} to secrets, for example"
            f' {shape}; while rotating a secret give a list, ["<old>", "<new>"].'
        )
    try:
        data: object = json.loads(raw)
    except json.JSONDecodeError as exc:
        # from None, and exc.msg only: the decode error carries the whole value, secrets included.
        raise SecretConfigurationError(
            f"{var} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); the"
            f" value is not shown because it holds secrets. It must look like {shape}."
        ) from None
    except RecursionError:
        raise SecretConfigurationError(
            f"{var} is nested too deeply to be read; it must look like {shape}."
        ) from None
    if not isinstance(data, dict):
        raise SecretConfigurationError(
            f"{var} holds a JSON {json_kind(data)}; it must be a JSON object like {shape}."
        )
    if not data:
        raise SecretConfigurationError(
            f"{var} is an empty JSON object; add the {keys} and their secrets, like {shape}."
        )
    return data


def from_env(
    var: str = "RECEIVER_SECRETS", environ: Mapping[str, str] | None = None
) -> StaticSecrets:
    """Read ``{webhook_id: secret or [old, new]}`` from the JSON in environment variable ``var``.

    >>> import anyio
    >>> source = from_env(environ={"RECEIVER_SECRETS": '{"WBH-5433-8787": "s3cret"}'})
    >>> anyio.run(source.secrets_for, "WBH-5433-8787")
    (b's3cret',)
    """
    env = os.environ if environ is None else environ
    data = _load_json_env(var, env, "webhook ids", "WBH-5433-8787")
    try:
        return StaticSecrets(cast("dict[str, SecretSpec]", data))
    except SecretConfigurationError as exc:
        raise SecretConfigurationError(f"{var}: {exc}") from None


# --- your function -----------------------------------------------------------------------------


def _is_async_callable(fn: object) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


class CallableSecrets:
    """Ask a function for the secret(s): ``fn(webhook_id) -> secret | [secrets] | None``.

    Sync functions run in a worker thread, async ones are awaited. None or ``[]`` means the
    webhook is not yours. Wrap it in CachedSecrets (as_secret_source does) before serving
    untrusted calls.

    >>> import anyio
    >>> source = CallableSecrets(lambda webhook_id: "s3cret" if webhook_id == "WBH-1" else None)
    >>> anyio.run(source.secrets_for, "WBH-1"), anyio.run(source.secrets_for, "WBH-2")
    ((b's3cret',), ())
    """

    def __init__(self, fn: SecretCallable) -> None:
        if not callable(fn) or isinstance(fn, type):
            raise SecretConfigurationError(
                "CallableSecrets takes a function webhook_id -> secret(s) or None, not"
                f" {_describe(fn)}."
            )
        self._fn = fn
        self._is_async = _is_async_callable(fn)
        self._name = getattr(fn, "__qualname__", None) or type(fn).__qualname__

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        """Call the function for a plausible id; its failures raise SecretLookupError."""
        if not is_plausible_webhook_id(webhook_id):
            return ()
        try:
            if self._is_async:
                result: object = self._fn(webhook_id)
            else:
                result = await anyio.to_thread.run_sync(self._fn, webhook_id)
            if inspect.isawaitable(result):
                result = await result
        except SecretLookupError:
            raise
        except Exception as exc:
            # The text of exc is left out: it may quote the secret. It stays chained for the logs.
            raise SecretLookupError(
                f"The secret function {self._name} raised {type(exc).__name__} while looking up"
                f" webhook {webhook_id!r}; the call is refused. Fix the function or what it reads."
            ) from exc
        if result is None or (isinstance(result, list | tuple) and not result):
            return ()
        try:
            return _secret_tuple(result, f"webhook {webhook_id!r}")
        except SecretConfigurationError as exc:
            raise SecretLookupError(
                f"The secret function {self._name} returned an unusable secret: {exc}"
            ) from exc

    def known_webhook_ids(self) -> frozenset[str] | None:
        """None: a function can answer for any id."""
        return None

    def __repr__(self) -> str:
        return f"CallableSecrets({self._name})"


# --- per-product secrets -----------------------------------------------------------------------


def _missing_api_settings(missing: Sequence[str]) -> SecretConfigurationError:
    return SecretConfigurationError(
        "ProductSecrets must learn which product each webhook belongs to: pass"
        " webhook_products={'WBH-5433-8787': 'PRD-1111-1111', ...}, or let it ask the platform"
        " API by setting MPT_API_BASE_URL and MPT_API_TOKEN (or passing api_base_url= and"
        f" api_token=). Missing: {', '.join(missing)}."
    )


def _criteria_value(criteria: object, key: str, webhook_id: str) -> object:
    if criteria is None:
        return None
    if isinstance(criteria, dict):  # the flat form the platform sends
        return criteria.get(key)
    if isinstance(criteria, list):  # the [{key, value}] form of the OpenAPI schema
        for item in criteria:
            if isinstance(item, dict) and item.get("key") == key:
                return item.get("value")
        return None
    raise SecretLookupError(
        f"The platform API sent the criteria of webhook {webhook_id!r} as a JSON"
        f" {json_kind(criteria)}, not an object; cannot tell its product."
    )


class ProductSecrets:
    """Secrets held per product, as the platform's extension SDK does (``EXT_WEBHOOKS_SECRETS``).

    A webhook's product comes from ``webhook_products`` when given; otherwise from the platform
    API, ``GET {api_base_url}/public/v1/notifications/webhooks/{id}?select=criteria``, reading
    ``criteria["product.id"]``. ``api_base_url`` and ``api_token`` default to the environment
    variables MPT_API_BASE_URL and MPT_API_TOKEN. API lookups are not cached here:
    as_secret_source wraps this source in CachedSecrets. Pass ``http_client`` to reuse one
    connection pool (it is not closed here).

    >>> import anyio
    >>> source = ProductSecrets(
    ...     {"PRD-1111-1111": "s3cret"}, webhook_products={"WBH-5433-8787": "PRD-1111-1111"}
    ... )
    >>> anyio.run(source.secrets_for, "WBH-5433-8787")
    (b's3cret',)
    """

    def __init__(
        self,
        product_secrets: Mapping[str, SecretSpec],
        *,
        webhook_products: Mapping[str, str] | None = None,
        api_base_url: str | None = None,
        api_token: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
    ) -> None:
        if not isinstance(product_secrets, Mapping) or not product_secrets:
            raise SecretConfigurationError(
                "ProductSecrets needs a non-empty mapping {product_id: secret or [secrets]},"
                " for example {'PRD-1111-1111': '<secret>'}."
            )
        products: dict[str, tuple[bytes, ...]] = {}
        for position, (key, value) in enumerate(product_secrets.items(), start=1):
            product_id = _check_key(key, position, "product_secrets", "product id", "PRD-1111-1111")
            products[product_id] = _secret_tuple(value, f"product {product_id!r}")
        self._products = products
        if not (isinstance(timeout, int | float) and timeout > 0):
            raise SecretConfigurationError(
                "ProductSecrets timeout must be a number of seconds > 0."
            )
        self._timeout = float(timeout)
        self._client = http_client
        self._ssl_context: ssl.SSLContext | None = None
        self._webhook_products: dict[str, str] | None = None
        self._base_url = self._api_host = self._token = ""
        if webhook_products is not None:
            table: dict[str, str] = {}
            for position, (key, product) in enumerate(webhook_products.items(), start=1):
                webhook_id = _check_key(
                    key, position, "webhook_products", "webhook id", "WBH-5433-8787"
                )
                if not isinstance(product, str) or not product:
                    raise SecretConfigurationError(
                        f"webhook_products[{webhook_id!r}] must be a product id like"
                        f" 'PRD-1111-1111', not {type_phrase(product)}."
                    )
                table[webhook_id] = product
            self._webhook_products = table
            return
        base_url = api_base_url or os.environ.get("MPT_API_BASE_URL", "")
        token = api_token or os.environ.get("MPT_API_TOKEN", "")
        missing = [
            name for name, v in (("MPT_API_BASE_URL", base_url), ("MPT_API_TOKEN", token)) if not v
        ]
        if missing:
            raise _missing_api_settings(missing)
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL:
            url = httpx.URL()
        if url.scheme not in ("http", "https") or not url.host:
            raise SecretConfigurationError(
                "MPT_API_BASE_URL (api_base_url=) must be an absolute URL of the platform API,"
                " like https://api.platform.softwareone.com."
            )
        # Accept a base URL given with or without the API's /public/v1 prefix.
        self._base_url = base_url.rstrip("/").removesuffix("/public/v1")
        # Messages name the host only: a URL may carry credentials.
        self._api_host = url.host
        self._token = token

    @classmethod
    def from_env(
        cls,
        var: str = "EXT_WEBHOOKS_SECRETS",
        environ: Mapping[str, str] | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
    ) -> ProductSecrets:
        """Product secrets from ``var`` (JSON ``{"PRD-...": secret or [old, new]}``), webhook
        products from the platform API at MPT_API_BASE_URL with MPT_API_TOKEN.

        >>> source = ProductSecrets.from_env(environ={
        ...     "EXT_WEBHOOKS_SECRETS": '{"PRD-1111-1111": "s3cret"}',
        ...     "MPT_API_BASE_URL": "https://api.example.com", "MPT_API_TOKEN": "idt:TKN-1",
        ... })
        >>> source.uses_platform_api
        True
        """
        env = os.environ if environ is None else environ
        data = _load_json_env(var, env, "product ids", "PRD-1111-1111")
        base_url, token = env.get("MPT_API_BASE_URL", ""), env.get("MPT_API_TOKEN", "")
        missing = [
            name for name, v in (("MPT_API_BASE_URL", base_url), ("MPT_API_TOKEN", token)) if not v
        ]
        if missing:
            raise _missing_api_settings(missing)
        try:
            products = cast("dict[str, SecretSpec]", data)
            return cls(
                products,
                api_base_url=base_url,
                api_token=token,
                http_client=http_client,
                timeout=timeout,
            )
        except SecretConfigurationError as exc:
            raise SecretConfigurationError(f"{var}: {exc}") from None

    @property
    def uses_platform_api(self) -> bool:
        """Whether webhook products are looked up on the platform API (then cache this source)."""
        return self._webhook_products is None

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        """The secrets of the product ``webhook_id`` belongs to, or ``()`` if not ours."""
        if not is_plausible_webhook_id(webhook_id):
            return ()
        if self._webhook_products is not None:
            product_id = self._webhook_products.get(webhook_id)
        else:
            product_id = await self._product_of(webhook_id)
        if product_id is None:
            return ()
        secrets = self._products.get(product_id, ())
        if not secrets and self._webhook_products is None:
            logger.warning(
                "Webhook %s belongs to product %s, which has no secret configured; its calls are"
                " refused. Add the product to the product secrets (EXT_WEBHOOKS_SECRETS).",
                webhook_id,
                product_id,
            )
        return secrets

    def known_webhook_ids(self) -> frozenset[str] | None:
        """The ids in ``webhook_products``, or None when products come from the platform API."""
        return None if self._webhook_products is None else frozenset(self._webhook_products)

    async def _get(self, url: str) -> httpx.Response:
        params = {"select": "criteria"}
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if self._client is not None:
            return await self._client.get(
                url, params=params, headers=headers, timeout=self._timeout
            )
        if self._ssl_context is None:
            # Loading the CA bundle takes tens of milliseconds: once, and off the event loop.
            self._ssl_context = await anyio.to_thread.run_sync(httpx.create_ssl_context)
        async with httpx.AsyncClient(verify=self._ssl_context, timeout=self._timeout) as client:
            return await client.get(url, params=params, headers=headers)

    async def _product_of(self, webhook_id: str) -> str | None:
        url = f"{self._base_url}/public/v1/notifications/webhooks/{quote(webhook_id, safe='')}"
        try:
            with anyio.fail_after(self._timeout):  # httpx times each phase; bound the whole call
                response = await self._get(url)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise SecretLookupError(
                f"The platform API did not answer the lookup of webhook {webhook_id!r} within"
                f" {self._timeout:g} s; the call is refused. Retry later, or raise timeout=."
            ) from exc
        except httpx.HTTPError as exc:
            raise SecretLookupError(
                f"Could not reach the platform API at {self._api_host} to look up webhook"
                f" {webhook_id!r} ({type(exc).__name__}); check MPT_API_BASE_URL and the network."
            ) from exc
        status = response.status_code
        if status == 404:
            return None
        if status in (401, 403):
            raise SecretLookupError(
                f"The platform API refused the lookup of webhook {webhook_id!r} (HTTP {status});"
                " check that MPT_API_TOKEN is valid and may read your product's webhooks."
            )
        if not response.is_success:
            raise SecretLookupError(
                f"The platform API answered HTTP {status} to the lookup of webhook"
                f" {webhook_id!r}; the call is refused. Retry later."
            )
        try:
            body: object = response.json()
        except (ValueError, RecursionError) as exc:
            raise SecretLookupError(
                f"The platform API did not answer JSON to the lookup of webhook {webhook_id!r};"
                f" check MPT_API_BASE_URL (host {self._api_host})."
            ) from exc
        if not isinstance(body, dict):
            raise SecretLookupError(
                f"The platform API answered a JSON {json_kind(body)} to the lookup of webhook"
                f" {webhook_id!r}, not a webhook object; check MPT_API_BASE_URL."
            )
        product_id = _criteria_value(body.get("criteria"), "product.id", webhook_id)
        if product_id is None:
            logger.warning(
                "Webhook %s has no product.id in its criteria; its calls are refused.", webhook_id
            )
            return None
        if not isinstance(product_id, str):
            raise SecretLookupError(
                f"The platform API sent {with_article(json_kind(product_id))} as the product.id of"
                f" webhook {webhook_id!r}, not a product id."
            )
        return product_id

    def __repr__(self) -> str:
        where = "platform API" if self._webhook_products is None else "webhook_products"
        return f"ProductSecrets(<{len(self._products)} product(s)>, products from {where})"


# --- the cache ---------------------------------------------------------------------------------


class _Pending:
    """One lookup in flight; callers asking for the same id wait on it."""

    __slots__ = ("cancelled", "done", "error", "secrets")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.secrets: tuple[bytes, ...] = ()
        self.error: SecretLookupError | None = None
        self.cancelled = False


class CachedSecrets:
    """Cache and bound the lookups of another source; what stands between forged ids and an API.

    - hits are kept for ``ttl`` seconds, misses (unknown webhooks) for ``miss_ttl``;
    - concurrent lookups of one id make one call;
    - at most ``max_entries`` ids are kept; unknown ids are evicted before known ones, each
      least recently used first;
    - at most ``max_concurrent_lookups`` calls run at once;
    - new lookups (failed ones included) are limited to ``max_lookups_per_second`` (bursts of
      as many). Past that, an id with no cached answer is answered as unknown, without a call,
      and an expired secret is served until a lookup is allowed again;
    - failed lookups are not cached: the next call tries again.

    >>> import anyio
    >>> calls = []
    >>> def lookup(webhook_id):
    ...     calls.append(webhook_id)
    ...     return "s3cret"
    >>> source = CachedSecrets(CallableSecrets(lookup), ttl=60)
    >>> async def twice():
    ...     return [await source.secrets_for("WBH-5433-8787") for _ in range(2)]
    >>> anyio.run(twice), calls
    ([(b's3cret',), (b's3cret',)], ['WBH-5433-8787'])
    """

    def __init__(
        self,
        source: SecretSource,
        *,
        ttl: float = 300.0,
        miss_ttl: float = 30.0,
        max_entries: int = 10_000,
        max_concurrent_lookups: int = 8,
        max_lookups_per_second: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(source, type) or not isinstance(source, SecretSource):
            raise SecretConfigurationError(
                "CachedSecrets wraps a secret source (an object with async secrets_for() and"
                f" known_webhook_ids()), not {_describe(source)}."
            )
        _check_number("ttl", ttl, minimum=0)
        _check_number("miss_ttl", miss_ttl, minimum=0)
        _check_number("max_lookups_per_second", max_lookups_per_second, minimum=0, inclusive=False)
        for name, count in (
            ("max_entries", max_entries),
            ("max_concurrent_lookups", max_concurrent_lookups),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise SecretConfigurationError(f"CachedSecrets {name} must be an integer >= 1.")
        self._source = source
        self._ttl = float(ttl)
        self._miss_ttl = float(miss_ttl)
        self._max_entries = max_entries
        self._max_concurrent_lookups = max_concurrent_lookups
        self._rate = float(max_lookups_per_second)
        self._clock = clock
        self._hits: OrderedDict[str, tuple[tuple[bytes, ...], float]] = OrderedDict()
        self._misses: OrderedDict[str, float] = OrderedDict()
        self._pending: dict[str, _Pending] = {}
        self._slots = anyio.Semaphore(max_concurrent_lookups)
        self._capacity = max(1.0, self._rate)
        self._tokens = self._capacity
        self._refilled_at = clock()
        self._refused = 0
        self._next_warning_at = -math.inf

    @property
    def source(self) -> SecretSource:
        """The wrapped source."""
        return self._source

    def known_webhook_ids(self) -> frozenset[str] | None:
        """Those of the wrapped source."""
        return self._source.known_webhook_ids()

    @property
    def size(self) -> int:
        """How many webhook ids have a cached answer, secrets or unknown (at most max_entries)."""
        return len(self._hits) + len(self._misses)

    def invalidate(self, webhook_id: str | None = None) -> None:
        """Forget the cached answer for ``webhook_id`` (every answer if None), e.g. after a
        rotation, so the next call looks it up again."""
        if webhook_id is None:
            self._hits.clear()
            self._misses.clear()
        else:
            self._hits.pop(webhook_id, None)
            self._misses.pop(webhook_id, None)

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        """The cached secrets of ``webhook_id``, looked up when needed and allowed."""
        if not is_plausible_webhook_id(webhook_id):
            return ()
        while True:
            now = self._clock()
            hit = self._hits.get(webhook_id)
            if hit is not None and now < hit[1]:
                self._hits.move_to_end(webhook_id)
                return hit[0]
            expires_at = self._misses.get(webhook_id)
            if expires_at is not None:
                if now < expires_at:
                    self._misses.move_to_end(webhook_id)
                    return ()
                del self._misses[webhook_id]
            pending = self._pending.get(webhook_id)
            if pending is None:
                break
            await pending.done.wait()
            if pending.cancelled:
                continue  # whoever was looking it up gave up; look again
            if pending.error is not None:
                raise pending.error
            return pending.secrets
        # Lookups queued behind max_concurrent_lookups are bounded too, should the source hang.
        if len(self._pending) >= self._max_entries or not self._take_token(now):
            self._note_refused(now)
            # A known webhook keeps working through a flood of forged ids.
            return hit[0] if hit is not None else ()
        return await self._lookup(webhook_id)

    async def _lookup(self, webhook_id: str) -> tuple[bytes, ...]:
        pending = self._pending[webhook_id] = _Pending()
        try:
            async with self._slots:
                secrets = await self._source.secrets_for(webhook_id)
            if not isinstance(secrets, tuple) or not all(
                isinstance(s, bytes) and s for s in secrets
            ):
                raise SecretLookupError(
                    f"The secret source {type(self._source).__name__} answered webhook"
                    f" {webhook_id!r} with {type_phrase(secrets)}; secrets_for() must return"
                    " a tuple of non-empty bytes (empty for an unknown webhook)."
                )
        except SecretLookupError as exc:
            pending.error = exc
            raise
        except Exception as exc:
            pending.error = SecretLookupError(
                f"The secret source {type(self._source).__name__} raised {type(exc).__name__}"
                f" while looking up webhook {webhook_id!r}; the call is refused."
            )
            raise pending.error from exc
        except BaseException:
            pending.cancelled = True
            raise
        else:
            self._store(webhook_id, secrets, self._clock())
            pending.secrets = secrets
        finally:
            del self._pending[webhook_id]
            pending.done.set()
        return secrets

    def _store(self, webhook_id: str, secrets: tuple[bytes, ...], now: float) -> None:
        self._hits.pop(webhook_id, None)
        self._misses.pop(webhook_id, None)
        if secrets:
            if self._ttl > 0:
                self._hits[webhook_id] = (secrets, now + self._ttl)
        elif self._miss_ttl > 0:
            self._misses[webhook_id] = now + self._miss_ttl
        while len(self._hits) + len(self._misses) > self._max_entries:
            (self._misses or self._hits).popitem(last=False)

    def _take_token(self, now: float) -> bool:
        if self._rate == math.inf:
            return True
        if now > self._refilled_at:
            self._tokens = min(
                self._capacity, self._tokens + (now - self._refilled_at) * self._rate
            )
            self._refilled_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def _note_refused(self, now: float) -> None:
        self._refused += 1
        if now < self._next_warning_at:
            return
        logger.warning(
            "Secret lookups exceed max_lookups_per_second=%g: %d call(s) for webhook ids without a"
            " cached answer were refused as unknown, without a lookup. A flood of unknown ids"
            " usually means forged tokens; if these are your webhooks, raise"
            " max_lookups_per_second or list their secrets statically.",
            self._rate,
            self._refused,
        )
        self._refused = 0
        self._next_warning_at = now + _RATE_WARNING_INTERVAL

    def __repr__(self) -> str:
        return (
            f"CachedSecrets({self._source!r}, ttl={self._ttl:g}, miss_ttl={self._miss_ttl:g},"
            f" max_entries={self._max_entries}, max_concurrent_lookups="
            f"{self._max_concurrent_lookups}, max_lookups_per_second={self._rate:g})"
        )


def _check_number(name: str, value: object, *, minimum: float, inclusive: bool = True) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not math.isnan(value)
        and (value >= minimum if inclusive else value > minimum)
    )
    if not ok:
        bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
        raise SecretConfigurationError(f"CachedSecrets {name} must be a number {bound}.")


# --- what users pass ---------------------------------------------------------------------------

_ACCEPTED_FORMS = (
    "secrets= takes a mapping {webhook_id: secret or [secrets]} such as"
    " {'WBH-5433-8787': '<secret>'}; a secret source (StaticSecrets, ProductSecrets,"
    " CachedSecrets, from_env(), or any object with async secrets_for(webhook_id) and"
    " known_webhook_ids()); or a function, sync or async, webhook_id -> secret, list of secrets"
    " or None."
)


def as_secret_source(secrets: object) -> SecretSource:
    """Turn what was passed as ``secrets=`` into a SecretSource.

    Mappings become StaticSecrets; functions become CallableSecrets and, like a ProductSecrets
    that asks the platform API, are wrapped in CachedSecrets with its defaults. Other sources
    are returned as they are.

    >>> as_secret_source({"WBH-5433-8787": "s3cret"})
    StaticSecrets(<1 webhook(s)>)
    >>> as_secret_source(lambda webhook_id: None)  # doctest: +ELLIPSIS
    CachedSecrets(CallableSecrets(<lambda>), ttl=300, ...)
    """
    if isinstance(secrets, CallableSecrets) or (
        isinstance(secrets, ProductSecrets) and secrets.uses_platform_api
    ):
        return CachedSecrets(secrets)
    if isinstance(secrets, SecretSource) and not isinstance(secrets, type):
        return secrets
    if isinstance(secrets, Mapping):
        return StaticSecrets(secrets)
    if callable(secrets) and not isinstance(secrets, type):
        return CachedSecrets(CallableSecrets(cast(SecretCallable, secrets)))
    hint = ""
    if isinstance(secrets, str | bytes):
        hint = " A single secret needs its webhook id: {'WBH-5433-8787': secret}."
    raise SecretConfigurationError(f"{_ACCEPTED_FORMS} Got {_describe(secrets)}.{hint}")
