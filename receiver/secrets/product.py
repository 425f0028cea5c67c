"""ProductSecrets: secrets held per product; a webhook's product from a mapping, or from one GET
of the platform's Webhook API (through :mod:`receiver.platform`'s client)."""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

import anyio
import anyio.to_thread
import httpx

from receiver._json import json_kind
from receiver._text import type_phrase, with_article
from receiver.errors import (
    ConfigurationError,
    PlatformAnswerError,
    PlatformError,
    PlatformUnreachableError,
    SecretConfigurationError,
    SecretLookupError,
)
from receiver.platform import AsyncWebhooksClient, Connection, RetryPolicy, connection, webhook_path
from receiver.secrets._config import check_key, load_json_env
from receiver.secrets.ids import is_plausible_webhook_id
from receiver.secrets.values import SecretSpec, secret_tuple

# The package's one logger, the name users configure (not this module's __name__).
logger = logging.getLogger("receiver.secrets")

# A lookup runs inside a call: a transient failure is retried, within the lookup's timeout.
LOOKUP_ATTEMPTS: Final = 3
_SELECT: Final = {"select": "criteria"}


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
            product_id = check_key(key, position, "product_secrets", "product id", "PRD-1111-1111")
            products[product_id] = secret_tuple(value, f"product {product_id!r}")
        self._products = products
        if not (isinstance(timeout, int | float) and timeout > 0):
            raise SecretConfigurationError(
                "ProductSecrets timeout must be a number of seconds > 0."
            )
        self._timeout = float(timeout)
        self._http = http_client
        self._ssl_context: ssl.SSLContext | None = None
        self._webhook_products: dict[str, str] | None = None
        self._api: Connection | None = None
        if webhook_products is not None:
            table: dict[str, str] = {}
            for position, (key, product) in enumerate(webhook_products.items(), start=1):
                webhook_id = check_key(
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
            # The platform client's rules (with or without /public/v1), but http:// to any host,
            # as ProductSecrets always accepted (an API gateway inside a cluster).
            self._api = connection(base_url, token, remote_http=True)
        except ConfigurationError as exc:
            raise SecretConfigurationError(str(exc)) from None

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
        data = load_json_env(var, env, "product ids", "PRD-1111-1111")
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

    def vouched_secrets(self) -> frozenset[bytes]:
        """Every product's secrets: a token signed with one of them comes from a webhook of ours,
        before its product is looked up (see CachedSecrets)."""
        return frozenset(secret for secrets in self._products.values() for secret in secrets)

    def known_webhook_ids(self) -> frozenset[str] | None:
        """The ids in ``webhook_products``, or None when products come from the platform API."""
        return None if self._webhook_products is None else frozenset(self._webhook_products)

    def _client(self, http_client: httpx.AsyncClient) -> AsyncWebhooksClient:
        assert self._api is not None  # set whenever products come from the platform API
        return AsyncWebhooksClient(
            self._api,
            None,
            timeout=self._timeout,
            retry=RetryPolicy(attempts=LOOKUP_ATTEMPTS, total=self._timeout, backoff=0.1),
            http_client=http_client,
        )

    async def _get(self, webhook_id: str) -> Any:
        path = webhook_path(webhook_id)
        if self._http is not None:
            return await self._client(self._http).request("GET", path, params=_SELECT)
        if self._ssl_context is None:
            # Loading the CA bundle takes tens of milliseconds: once, and off the event loop.
            self._ssl_context = await anyio.to_thread.run_sync(httpx.create_ssl_context)
        async with httpx.AsyncClient(verify=self._ssl_context, timeout=self._timeout) as client:
            return await self._client(client).request("GET", path, params=_SELECT)

    async def _product_of(self, webhook_id: str) -> str | None:
        host = self._api.host if self._api is not None else "?"
        try:
            with anyio.fail_after(self._timeout):  # httpx times each phase; bound the whole call
                body = await self._get(webhook_id)
        except (TimeoutError, PlatformUnreachableError) as exc:
            if isinstance(exc, PlatformUnreachableError) and not exc.timed_out:
                raise SecretLookupError(
                    f"Could not reach the platform API at {host} to look up webhook"
                    f" {webhook_id!r} ({exc.reason}); check MPT_API_BASE_URL and the network."
                ) from exc
            raise SecretLookupError(
                f"The platform API did not answer the lookup of webhook {webhook_id!r} within"
                f" {self._timeout:g} s; the call is refused. Retry later, or raise timeout=."
            ) from exc
        except PlatformAnswerError as exc:
            raise SecretLookupError(
                f"The platform API did not answer JSON to the lookup of webhook {webhook_id!r};"
                f" check MPT_API_BASE_URL (host {host})."
            ) from exc
        except PlatformError as exc:
            status = exc.status
            if status == 404:
                return None
            if status in (401, 403):
                raise SecretLookupError(
                    f"The platform API refused the lookup of webhook {webhook_id!r} (HTTP"
                    f" {status}); check that MPT_API_TOKEN is valid and may read your product's"
                    " webhooks."
                ) from exc
            raise SecretLookupError(
                f"The platform API answered HTTP {status} to the lookup of webhook"
                f" {webhook_id!r}; the call is refused. Retry later."
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
