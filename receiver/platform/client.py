"""Clients of the platform's Webhook API: :class:`AsyncWebhooksClient` and
:class:`WebhooksClient`, over httpx.

Both drive the same operations (:mod:`receiver.platform._operations`: the requests, pagination,
parsing and errors) and the same retry policy (:mod:`receiver.platform.retry`); each only sends
requests, with ``httpx.AsyncClient`` or ``httpx.Client``. So the sync client needs no event loop
and no thread, and the async one runs on the caller's loop (a handler's, through
``ctx.platform``).

    from receiver.platform import WebhooksClient, rql

    with WebhooksClient() as api:      # MPT_API_BASE_URL, MPT_API_TOKEN
        for webhook in api.list(rql.eq("object.id", "PRD-1111-1111")):
            print(webhook.id, webhook.type, webhook.status)
        created = api.create("ValidatePurchaseOrderDraft", "https://acme.example/",
                             {"product.id": "PRD-1111-1111"})
        store_somewhere_safe(created.id, created.secret)   # shown this once

Every request has a timeout; transient failures of idempotent requests are retried
(``retry=``); an error answer raises :class:`receiver.errors.PlatformError`, no answer
:class:`receiver.errors.PlatformUnreachableError`. Neither the token nor a secret is ever in a
message or a log line.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Self, TypeVar, cast

import anyio
import anyio.to_thread
import httpx
from tenacity import AsyncRetrying, Retrying

from receiver.errors import ConfigurationError, PlatformError, PlatformUnreachableError
from receiver.models.webhook import Webhook
from receiver.platform import _operations as ops
from receiver.platform.connection import Connection, connection, is_configured
from receiver.platform.retry import (
    RetryPolicy,
    _TransientAnswer,
    raise_if_transient,
    retry_options,
)

T = TypeVar("T")

logger = logging.getLogger("receiver.platform")

DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
Params = Mapping[str, str | int | None]


def _timeout(value: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if not (isinstance(value, int | float) and value > 0):
        raise ValueError(f"timeout must be a number of seconds > 0, not {value!r}.")
    return httpx.Timeout(float(value))


class _Base:
    """What both clients share: where the API is, the timeout, the retry policy."""

    def __init__(
        self,
        api_url: str | Connection | None,
        token: str | None,
        *,
        timeout: float | httpx.Timeout,
        retry: RetryPolicy,
        environ: Mapping[str, str] | None,
    ) -> None:
        self.connection: Connection = (
            api_url
            if isinstance(api_url, Connection)
            else connection(api_url, token, environ=environ)
        )
        self.timeout = _timeout(timeout)
        self.retry = retry

    def _step(
        self, op: ops.Operation[T], request: ops.ApiRequest, response: httpx.Response
    ) -> ops.ApiRequest:
        """Hand the answer to the operation; a non-2xx answer is thrown in as its error."""
        if response.is_success:
            return op.send(response)
        error = ops.problem_error(request, response, hidden=(self.connection.token,))
        return op.throw(error)

    def _unreachable(
        self, request: ops.ApiRequest, exc: httpx.HTTPError, attempts: int
    ) -> PlatformError:
        return PlatformUnreachableError(
            request.label,
            host=self.connection.host,
            reason=type(exc).__name__,
            timed_out=isinstance(exc, httpx.TimeoutException),
            attempts=attempts,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.connection.base_url!r})"


class AsyncWebhooksClient(_Base):
    """The Webhook API from async code. ``api_url`` (without ``/public/v1``) and ``token``
    default to MPT_API_BASE_URL and MPT_API_TOKEN; ``http://`` only to loopback.

    ``api_url`` may be a checked :class:`~receiver.platform.Connection` instead. ``http_client``
    reuses your ``httpx.AsyncClient`` (it is not closed here); otherwise one pooled client is
    made at the first request and closed by :meth:`aclose` (or ``async with``).
    """

    def __init__(
        self,
        api_url: str | Connection | None = None,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_url, token, timeout=timeout, retry=retry or RetryPolicy(), environ=environ
        )
        self._http = http_client
        self._owned = http_client is None
        self._opening = anyio.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AsyncWebhooksClient | None:
        """A client when MPT_API_BASE_URL and MPT_API_TOKEN are set and usable, else None (a
        warning says why they are not usable): what the receiver offers handlers as
        ``ctx.platform``. A receiver that does not use it must not fail to start over it."""
        if not is_configured(environ):
            return None
        try:
            return cls(environ=environ)
        except ConfigurationError as exc:
            logger.warning("ctx.platform is off: %s", exc)
            return None

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            async with self._opening:
                if self._http is None:
                    # Loading the CA bundle takes tens of milliseconds: off the event loop.
                    ssl_context = await anyio.to_thread.run_sync(httpx.create_ssl_context)
                    self._http = httpx.AsyncClient(verify=ssl_context, timeout=self.timeout)
        return self._http

    async def _send(self, request: ops.ApiRequest) -> httpx.Response:
        client = await self._client()
        built = client.build_request(
            **request.http_args(self.connection.base_url, self.connection.token),
            timeout=self.timeout,
        )
        options = retry_options(self.retry, idempotent=request.idempotent, label=request.label)
        attempts = 0
        try:
            async for attempt in AsyncRetrying(**options):
                attempts += 1
                with attempt:
                    response = await client.send(built)
                    raise_if_transient(response)
        except _TransientAnswer as last:
            return last.response
        except httpx.HTTPError as exc:
            raise self._unreachable(request, exc, attempts) from exc
        return response

    async def _run(self, op: ops.Operation[T]) -> T:
        try:
            request = next(op)
            while True:
                request = self._step(op, request, await self._send(request))
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            op.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        filters: Sequence[str] = (),
        json: Any = None,
    ) -> Any:
        """Any request to the platform API, e.g. ``await api.request("GET",
        "/public/v1/catalog/items", filters=[rql.eq("externalIds.vendor", sku)])``: the
        answer's JSON (None for 204). Only GET, PUT and DELETE are retried."""
        return await self._run(ops.call(method, path, params=params, filters=filters, body=json))

    async def list(
        self, *filters: str, select: str | None = None, page_size: int = ops.DEFAULT_PAGE_SIZE
    ) -> builtins.list[Webhook]:
        """Every webhook that all ``filters`` (RQL, :mod:`receiver.platform.rql`) match, every
        page read. ``select`` adds fields: ``"+statistics,+lastFailure"``."""
        return await self._run(ops.list_webhooks(filters, select=select, page_size=page_size))

    async def get(self, webhook_id: str, *, select: str | None = ops.DETAIL_SELECT) -> Webhook:
        """One webhook, with its statistics and its last call, success and failure."""
        return await self._run(ops.get_webhook(webhook_id, select=select))

    async def create(
        self,
        webhook_type: str,
        url: str,
        criteria: Mapping[str, str],
        *,
        description: str | None = None,
        secret: str | None = None,
    ) -> Webhook:
        """Create a webhook; ``secret`` is generated (``secrets.token_urlsafe``) unless given.
        The result's ``secret`` is the only time it is shown: store it."""
        return await self._run(
            ops.create_webhook(webhook_type, url, criteria, description=description, secret=secret)
        )

    async def update(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        description: str | None = None,
        criteria: Mapping[str, str] | None = None,
        secret: str | None = None,
    ) -> Webhook:
        """Change the given fields of a webhook; the others stay."""
        return await self._run(
            ops.update_webhook(
                webhook_id, url=url, description=description, criteria=criteria, secret=secret
            )
        )

    async def delete(self, webhook_id: str) -> None:
        """Delete a webhook, for good."""
        await self._run(ops.delete_webhook(webhook_id))

    async def enable(self, webhook_id: str) -> None:
        """Enable a webhook: the platform calls it again."""
        await self._run(ops.set_status(webhook_id, enabled=True))

    async def disable(self, webhook_id: str) -> None:
        """Disable a webhook: the platform stops calling it (and queues nothing meanwhile)."""
        await self._run(ops.set_status(webhook_id, enabled=False))

    async def aclose(self) -> None:
        """Close the pooled HTTP client, if this client made it."""
        if self._owned and self._http is not None:
            client, self._http = self._http, None
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class WebhooksClient(_Base):
    """The Webhook API from sync code (the ``receiver webhooks`` commands): the same methods
    as :class:`AsyncWebhooksClient`, blocking. ``http_client`` reuses your ``httpx.Client``."""

    def __init__(
        self,
        api_url: str | Connection | None = None,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_url, token, timeout=timeout, retry=retry or RetryPolicy(), environ=environ
        )
        self._http = http_client
        self._owned = http_client is None

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout)
        return self._http

    def _send(self, request: ops.ApiRequest) -> httpx.Response:
        client = self._client()
        built = client.build_request(
            **request.http_args(self.connection.base_url, self.connection.token),
            timeout=self.timeout,
        )
        options = retry_options(self.retry, idempotent=request.idempotent, label=request.label)
        attempts = 0
        try:
            for attempt in Retrying(**options):
                attempts += 1
                with attempt:
                    response = client.send(built)
                    raise_if_transient(response)
        except _TransientAnswer as last:
            return last.response
        except httpx.HTTPError as exc:
            raise self._unreachable(request, exc, attempts) from exc
        return response

    def _run(self, op: ops.Operation[T]) -> T:
        try:
            request = next(op)
            while True:
                request = self._step(op, request, self._send(request))
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            op.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        filters: Sequence[str] = (),
        json: Any = None,
    ) -> Any:
        """See :meth:`AsyncWebhooksClient.request`."""
        return self._run(ops.call(method, path, params=params, filters=filters, body=json))

    def list(
        self, *filters: str, select: str | None = None, page_size: int = ops.DEFAULT_PAGE_SIZE
    ) -> builtins.list[Webhook]:
        """See :meth:`AsyncWebhooksClient.list`."""
        return self._run(ops.list_webhooks(filters, select=select, page_size=page_size))

    def get(self, webhook_id: str, *, select: str | None = ops.DETAIL_SELECT) -> Webhook:
        """See :meth:`AsyncWebhooksClient.get`."""
        return self._run(ops.get_webhook(webhook_id, select=select))

    def create(
        self,
        webhook_type: str,
        url: str,
        criteria: Mapping[str, str],
        *,
        description: str | None = None,
        secret: str | None = None,
    ) -> Webhook:
        """See :meth:`AsyncWebhooksClient.create`: store the result's ``secret``."""
        return self._run(
            ops.create_webhook(webhook_type, url, criteria, description=description, secret=secret)
        )

    def update(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        description: str | None = None,
        criteria: Mapping[str, str] | None = None,
        secret: str | None = None,
    ) -> Webhook:
        """See :meth:`AsyncWebhooksClient.update`."""
        return self._run(
            ops.update_webhook(
                webhook_id, url=url, description=description, criteria=criteria, secret=secret
            )
        )

    def delete(self, webhook_id: str) -> None:
        """See :meth:`AsyncWebhooksClient.delete`."""
        self._run(ops.delete_webhook(webhook_id))

    def enable(self, webhook_id: str) -> None:
        """See :meth:`AsyncWebhooksClient.enable`."""
        self._run(ops.set_status(webhook_id, enabled=True))

    def disable(self, webhook_id: str) -> None:
        """See :meth:`AsyncWebhooksClient.disable`."""
        self._run(ops.set_status(webhook_id, enabled=False))

    def close(self) -> None:
        """Close the pooled HTTP client, if this client made it."""
        if self._owned and self._http is not None:
            client, self._http = self._http, None
            client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
