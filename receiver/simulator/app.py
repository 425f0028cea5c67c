"""The simulator app: the platform's Webhook API, its ``/validate`` endpoints that fire
signed calls at vendors, and a dashboard, as one ASGI app.

    from receiver.simulator import create_simulator

    simulator = create_simulator(db="simulator.db", allow_http=True)
    print(simulator.token)          # the API's bearer token
    # uvicorn.run(simulator, port=8090)

Routes: ``/`` (the dashboard) and ``/healthz`` are open; everything else (``/public/v1/...``)
needs ``Authorization: Bearer <token>``. Every route answers loopback ``Host`` names only
(``allowed_hosts`` adds others; see :mod:`receiver.simulator.hosts`), and every answer carries
``X-Content-Type-Options: nosniff`` and a Content-Security-Policy that forbids scripts, so
nothing the simulator serves (a vendor's answer included) runs as a page of its origin.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, cast

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from receiver._checks import non_negative_number, positive_number
from receiver._http import header, route_path
from receiver.errors import ConfigurationError
from receiver.simulator.api import WebhookApi
from receiver.simulator.dashboard import Dashboard
from receiver.simulator.firing import Firer
from receiver.simulator.hosts import AllowedHosts
from receiver.simulator.problems import Problem
from receiver.simulator.records import SIMULATOR_ACCOUNT
from receiver.simulator.store import Store
from receiver.simulator.validate import Validator

# Everything but the dashboard and the health check needs the API token: an allow-list, so a
# route added later (or a path spelled oddly) is never open by mistake.
OPEN_PATHS: Final = frozenset({"/", "/healthz"})
# On every answer that does not set its own (the dashboard allows its inline style).
DEFAULT_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)


class Simulator:
    """The ASGI app; make one with :func:`create_simulator`.

    Attributes: ``token`` (the API's bearer token), ``store`` (its :class:`Store`),
    ``allow_http``, ``call_timeout``, ``retry_delay``, ``allowed_hosts`` (the Host names
    answered besides loopback ones), ``validator`` (to validate objects from Python:
    ``await simulator.validator.validate("Order", order)``).
    """

    def __init__(
        self,
        *,
        store: Store,
        token: str,
        allow_http: bool,
        call_timeout: float,
        retry_delay: float,
        http_client: httpx.AsyncClient | None,
        account: Mapping[str, str] = SIMULATOR_ACCOUNT,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.hosts = AllowedHosts(allowed_hosts)
        self.allowed_hosts = self.hosts.names
        self.store = store
        self.token = token
        self.allow_http = allow_http
        self.call_timeout = call_timeout
        self.retry_delay = retry_delay
        self.firer = Firer(
            store, call_timeout=call_timeout, retry_delay=retry_delay, http_client=http_client
        )
        self.validator = Validator(store, self.firer)
        self.webhook_api = WebhookApi(store, allow_http=allow_http, account=account)
        self.dashboard = Dashboard(store)
        self._token = token.encode()
        self._app = Starlette(
            routes=[
                Route("/", self.dashboard.page, methods=["GET"]),
                Route("/healthz", _healthz, methods=["GET"]),
                *self.webhook_api.routes(),
                *self.validator.routes(),
            ],
            exception_handlers={Problem: _problem, HTTPException: _http_problem},
            lifespan=self._lifespan,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        send = _with_default_headers(send)
        host = header(cast("dict[str, Any]", scope), b"host")
        host_text = host.decode("latin-1") if host is not None else None
        if not self.hosts.allows(host_text):
            await self.hosts.refusal(host_text).response(scope["path"])(scope, receive, send)
            return
        if route_path(cast("dict[str, Any]", scope)) not in OPEN_PATHS and not self._authorized(
            scope
        ):
            problem = Problem(
                401,
                "Send the simulator's API token: Authorization: Bearer <token> (printed by"
                " `receiver simulate`, or Simulator.token).",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await problem.response(scope["path"])(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, credentials = bytes(value).partition(b" ")
                # Constant time: the comparison must not tell how much of a guess was right.
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    credentials.strip(), self._token
                )
        return False

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.firer.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client the simulator made and the database."""
        await self.firer.aclose()
        self.store.close()

    def close(self) -> None:
        """Close the database (use :meth:`aclose` inside an event loop)."""
        self.store.close()


def create_simulator(
    *,
    db: str | Path | None = None,
    token: str | None = None,
    allow_http: bool = False,
    call_timeout: float = 10.0,
    retry_delay: float = 1.0,
    http_client: httpx.AsyncClient | None = None,
    allowed_hosts: Iterable[str] = (),
) -> Simulator:
    """A simulator of the platform's Webhook API.

    Args:
        db: a SQLite file (created with its schema on first use; everything survives a
            restart), or None to keep everything in memory.
        token: the API's bearer token. None generates one; with a ``db`` file the generated
            token is stored there, so a restarted simulator keeps it.
        allow_http: accept ``http://`` webhook URLs to loopback hosts (the platform accepts
            ``https://`` only).
        call_timeout: seconds to wait for a vendor's answer.
        retry_delay: seconds between the retries of an unparseable 2xx answer.
        http_client: the client that calls webhooks (e.g. one over ``httpx.ASGITransport`` to
            reach an app in-process); the simulator never closes it.
        allowed_hosts: ``Host`` names answered besides loopback ones (``localhost``,
            127.0.0.0/8, ``::1``): host names or IP addresses without a port, e.g. the name of
            its container; ``"*"`` answers any (only behind a proxy that checks the Host).

    >>> simulator = create_simulator(token="t0ken")
    >>> simulator.token, simulator.store.path
    ('t0ken', None)
    >>> simulator.close()
    """
    if token is not None and (not isinstance(token, str) or not token.strip()):
        raise ConfigurationError("token must be a non-empty string, or None to generate one.")
    call_timeout = positive_number("call_timeout", call_timeout)
    retry_delay = non_negative_number("retry_delay", retry_delay)
    hosts = AllowedHosts(allowed_hosts)  # checked before the database is opened
    try:
        store = Store(db)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigurationError(f"Cannot open the simulator database {db}: {exc}.") from None
    try:
        if token is None:
            token = (
                store.setting("api_token", generate_token)
                if store.path is not None
                else generate_token()
            )
        return Simulator(
            store=store,
            token=token,
            allow_http=allow_http,
            call_timeout=call_timeout,
            retry_delay=retry_delay,
            http_client=http_client,
            allowed_hosts=hosts.names,
        )
    except BaseException:
        store.close()  # the caller never gets the simulator that would close it
        raise


def generate_token() -> str:
    """A new API token (URL-safe, 256 random bits)."""
    return secrets.token_urlsafe(32)


def _with_default_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            present = {bytes(name).lower() for name, _ in headers}
            headers += [item for item in DEFAULT_HEADERS if item[0] not in present]
            message = {**message, "headers": headers}
        await send(message)

    return sending


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response(request.scope["path"])


async def _http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Not request.url: building it decodes the query string, which may not be UTF-8.
    path: str = request.scope["path"]
    shown = path if len(path) <= 200 else f"{path[:200]}..."
    detail = {
        404: f"Nothing at {shown}. The Webhook API is under /public/v1/notifications/"
        "webhooks; the dashboard is at /.",
        405: f"{request.method} is not allowed on {shown}.",
    }.get(exc.status_code, str(exc.detail))
    headers: dict[str, Any] = dict(exc.headers or {})
    return Problem(exc.status_code, detail, headers=headers).response(path)
