"""Call a receiver the way the platform does, and read the answer the way a test wants to.

:class:`PlatformClient` signs each call with a fresh platform token (:mod:`.signing`) and POSTs
the object, in-process to an ASGI app (a :class:`receiver.Receiver`, or a Starlette/FastAPI app
it is mounted in) or over HTTP to a URL. Each call returns a :class:`CallResult`:

    >>> from receiver import Order, Receiver
    >>> from receiver.testing import PlatformClient, samples
    >>> app = Receiver(secrets={"WBH-5433-8787": "a-test-secret-a-test-secret-000001"})
    >>> @app.validate_purchase_order_draft
    ... def check(order: Order) -> Order:
    ...     company = order.find_parameter("companyName")
    ...     if company is not None and not company.value:
    ...         company.set_error("ACME001", "Company name is required.")
    ...     return order
    >>> platform = PlatformClient(
    ...     app, secret="a-test-secret-a-test-secret-000001", webhook_id="WBH-5433-8787")
    >>> result = platform.call("ValidatePurchaseOrderDraft",
    ...                        samples.purchase_order(parameters={"companyName": ""}))
    >>> result.status, result.accepted, result.refused
    (200, False, True)
    >>> result.parameter_error("companyName")["id"]
    'ACME001'
    >>> print(result.changes)
    parameter companyName: error set ACME001 'Company name is required.'

No secret and no token is ever part of a result, its ``repr`` or a client's ``repr``.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import json
import re
import secrets
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import Any, Final

import anyio
import anyio.from_thread
import httpx

from receiver import _wire_errors as wire_errors
from receiver._checks import positive_number
from receiver._text import type_phrase
from receiver.app import Receiver, find_receiver
from receiver.errors import ParameterNotFoundError
from receiver.models import MODEL_BY_OBJECT_TYPE
from receiver.models._object import ObjectModel
from receiver.secrets import SecretSource, validate_secret
from receiver.testing import samples
from receiver.testing.changes import Changes, diff_answer
from receiver.testing.signing import sign_token
from receiver.types import WebhookType, parse_known_webhook_type

__all__ = ["CallResult", "PlatformClient", "bind_platform", "find_receiver", "new_webhook_id"]

ASGI_BASE_URL: Final = "https://testserver"
"""The origin in-process calls are made to (the platform only calls https URLs)."""

USER_AGENT: Final = "mpt-receiver-testing"

# Anything shaped like a JWT is masked in what a result prints, should an app echo a token.
_JWT_RE: Final = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_ANSWER_LIMIT: Final = 1500


def _redact(text: str) -> str:
    return _JWT_RE.sub("<token>", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _error_text(error: Mapping[str, Any]) -> str:
    code = error.get("id")
    message = repr(error.get("message"))
    return f"{code} {message}" if code is not None else message


def _short_value(value: Any, limit: int = 40) -> str:
    text = _compact(value) if isinstance(value, Mapping | list) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _request_summary(request: Mapping[str, Any]) -> list[str]:
    """The request for people: what a handler usually reads (ids, type, status, product, lines,
    parameter values), one group per line; the whole object is ``result.request``."""
    head = [str(request.get("id", "(no id)"))]
    head.extend(
        f"{key}={_short_value(request[key])}" for key in ("type", "status") if key in request
    )
    product = request.get("product")
    if isinstance(product, Mapping) and "id" in product:
        head.append(f"product={_short_value(product['id'])}")
    out = ["request: " + " ".join(head)]
    lines = request.get("lines")
    if isinstance(lines, list):
        described = []
        for line in lines:
            if not isinstance(line, Mapping):
                described.append(_short_value(line))
                continue
            item = line.get("item")
            item_id = item.get("id") if isinstance(item, Mapping) else None
            text = f"{line.get('id') or '(no id)'} {item_id or '?'}"
            text += f" {line.get('oldQuantity', '?')} -> {line.get('quantity', '?')}"
            price = line.get("price")
            if isinstance(price, Mapping) and "unitPP" in price:
                text += f" unitPP={price['unitPP']}"
            described.append(text)
        out.append(f"  lines: {'; '.join(described) or 'none'}")
    for group, parameters in _namedparameter_groups(request):
        values = [
            f"{p.get('externalId') or p.get('id') or '?'}={_short_value(p.get('value'))}"
            for p in parameters
            if isinstance(p, Mapping)
        ]
        out.append(f"  {group}: {', '.join(values) or 'none'}")
    if len(out) == 1:
        rest = {key: value for key, value in request.items() if key != "id"}
        if rest:
            out.append(f"  {_cut(_compact(rest), 300)}")
    return out


def _namedparameter_groups(request: Mapping[str, Any]) -> list[tuple[str, list[Any]]]:
    bag = request.get("parameters")
    if isinstance(bag, list):
        return [("parameters", bag)]
    if isinstance(bag, Mapping):
        return [
            (f"parameters.{name}", group) for name, group in bag.items() if isinstance(group, list)
        ]
    return []


class CallResult:
    """One call and its answer.

    Attributes: ``status`` (HTTP status), ``body`` (bytes), ``headers`` (response headers,
    lowercase names), ``request`` (the object sent, a dict), ``webhook_type``, ``path`` (the path,
    or URL, called), ``duration`` (seconds). Derived: ``text``, ``json`` (None when the body is
    not JSON), ``object`` (the answer as the type's model on a 200), ``changes``, and the
    verdicts below.

    A refusal is a 200 with an error (platform.md §3.1): ``accepted`` and ``refused`` are both False
    for any other status; ``reason`` is then the ``id`` of the error body (``"expired"``).
    """

    def __init__(
        self,
        *,
        webhook_type: WebhookType,
        path: str,
        request: dict[str, Any],
        status: int,
        body: bytes,
        headers: Mapping[str, str],
        duration: float,
        method: str = "POST",
    ) -> None:
        self.webhook_type = webhook_type
        self.path = path
        self.method = method
        self.request = request
        self.status = status
        self.body = body
        self.headers = dict(headers)
        self.duration = duration

    # -- the answer -----------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    @property
    def _answer(self) -> dict[str, Any] | None:
        data = self.json
        return data if self.status == 200 and isinstance(data, dict) else None

    @cached_property
    def object(self) -> ObjectModel | None:
        """On a 200, the answer parsed into the model of the type's object (``Order`` for an
        Order type, ...); None otherwise or when it does not parse."""
        answer = self._answer
        kind = self.webhook_type.object_type
        if answer is None or kind is None:
            return None
        try:
            return MODEL_BY_OBJECT_TYPE[kind].from_dict(answer)
        except ValueError:
            return None

    @cached_property
    def changes(self) -> Changes:
        """What the answer changed, compared with the request (empty unless a 200 object)."""
        answer = self._answer
        if answer is None:
            return Changes()
        subject = (self.webhook_type.object_type or "object").lower()
        return diff_answer(self.request, answer, subject=subject)

    # -- verdicts -------------------------------------------------------------------------------

    @property
    def error(self) -> dict[str, Any] | None:
        """The object-level ``error`` of a 200 answer (``{"id", "message"}``), else None."""
        answer = self._answer
        return None if answer is None else wire_errors.error_of(answer.get("error"))

    @property
    def refused(self) -> bool:
        """A 200 with an error on the object or on a parameter."""
        answer = self._answer
        return answer is not None and wire_errors.has_errors(answer)

    @property
    def accepted(self) -> bool:
        """A 200 object answer with no error anywhere."""
        return self._answer is not None and not self.refused

    @property
    def reason(self) -> str | None:
        """For a non-200 answer, the ``id`` of its error body (``"expired"``,
        ``"handler_failed"``, ``"no_handler"``, ...); None on a 200."""
        data = self.json
        if self.status == 200 or not isinstance(data, dict):
            return None
        reason = data.get("id")
        return reason if isinstance(reason, str) else None

    def parameter(self, external_id: str) -> dict[str, Any]:
        """The parameter of the answer with this ``externalId`` (ordering first).

        Raises :class:`receiver.errors.ParameterNotFoundError` listing the ids there are, and
        ValueError when the answer is not an object (a non-200)."""
        answer = self._answer
        if answer is None:
            raise ValueError(
                f"The call was answered HTTP {self.status}, not with an object; it has no"
                f" parameters. {self._verdict()}."
            )
        known = []
        for group in wire_errors.parameter_groups(answer):
            for parameter in group:
                if isinstance(parameter, Mapping):
                    if parameter.get("externalId") == external_id:
                        return dict(parameter)
                    if isinstance(parameter.get("externalId"), str):
                        known.append(parameter["externalId"])
        raise ParameterNotFoundError(external_id, known)

    def parameter_error(self, external_id: str) -> dict[str, Any] | None:
        """The ``error`` of that parameter in the answer, or None.

        >>> result = CallResult(webhook_type=WebhookType("ValidateEnrollmentDraft"), path="/",
        ...     request={"id": "ENR-1"}, status=200, headers={}, duration=0.0,
        ...     body=b'{"id": "ENR-1", "parameters": {"ordering": [{"externalId": "partner_id",'
        ...          b' "error": {"id": "P1", "message": "Unknown partner."}}]}}')
        >>> result.parameter_error("partner_id")
        {'id': 'P1', 'message': 'Unknown partner.'}
        """
        return wire_errors.parameter_error(self.parameter(external_id))

    # -- printing -------------------------------------------------------------------------------

    @property
    def object_id(self) -> str | None:
        """The ``id`` of the object sent."""
        value = self.request.get("id")
        return value if isinstance(value, str) else None

    def _verdict(self) -> str:
        if self.status == 200:
            if self._answer is None:
                return "200, not a JSON object"
            return "200 refused" if self.refused else "200 accepted"
        return f"{self.status} {self.reason}" if self.reason else str(self.status)

    def _call_line(self) -> str:
        return f"{self.webhook_type} {self.method} {self.path} {self.object_id or '(no id)'}"

    def _answer_summary(self) -> str:
        answer = self._answer
        if answer is None:
            if not self.body:
                return "(empty body)"
            return _cut(_compact(self.json) if self.json is not None else self.text, 300)
        errors = []
        if self.error is not None:
            errors.append(f"error {_error_text(self.error)}")
        errors.extend(
            f"parameter {name} error {_error_text(error)}"
            for name, error in wire_errors.parameter_errors(answer)
        )
        return ", ".join(errors) if errors else "no error"

    def _changes_summary(self) -> str:
        made = self.changes.made
        cleared = len(self.changes.cleared)
        text = "; ".join(str(change) for change in made) if made else "none"
        return f"{text} (+{cleared} previous error(s) cleared)" if cleared else text

    def __repr__(self) -> str:
        # One short line, most important first: pytest prints it escaped and cut to 240
        # characters by default (-vv prints it whole); the plugin's report section has the rest.
        # The type is named once when the path already says it (/ValidateAccount).
        where = self.path
        if not self.path.endswith(f"/{self.webhook_type}"):
            where = f"{self.webhook_type} at {self.path}"
        return _redact(
            f"<CallResult {where} {self.object_id or '(no id)'}: {self._verdict()}; answer: "
            f"{self._answer_summary()}; changes: {self._changes_summary()}>"
        )

    def describe(self) -> str:
        """The call in full, for people: request, answer, changes (several lines)."""
        lines = [
            f"{self._call_line()} -> {self._verdict()} in {self.duration * 1000:.1f} ms",
            *_request_summary(self.request),
        ]
        if self._answer is None:
            lines.append(f"answer: HTTP {self.status} {_cut(self.text, _ANSWER_LIMIT)}")
        else:
            lines.append(f"answer: {self._answer_summary()}")
            lines.append("changes:" if self.changes else "changes: none")
            lines.extend(f"  {line}" for line in str(self.changes).splitlines() if self.changes)
        return _redact("\n".join(lines))

    __str__ = describe


_Token = Callable[..., str]


class PlatformClient:
    """Sends the platform's calls to ``target``: an ASGI app (in-process) or an ``http(s)://``
    URL (the webhook's URL; real HTTP).

    Args:
        target: a :class:`receiver.Receiver`, any ASGI app, or a URL.
        secret: the webhook's secret; every call is signed with it.
        webhook_id: the ``webhook_id`` claim (``WBH-5433-8787``).
        audience: the ``aud`` claim, when the receiver checks one.
        timeout: seconds a call may take (in-process calls too).
        verify: check the server's TLS certificate (``False`` for a self-signed dev cert).
        base_path: for ASGI targets, where the receiver is mounted (``/mpt``).

    ``call`` is synchronous (it works in a plain test function); ``acall`` is its async twin.
    Both accept the type in either casing. For an ASGI target the default path is
    ``/<WebhookType>``, so the call cannot be routed to another handler; ``path="/"`` exercises
    the shared URL. For a URL target the default is the URL itself, and ``path`` is appended.
    """

    def __init__(
        self,
        target: Any,
        *,
        secret: str | bytes,
        webhook_id: str,
        audience: str | None = None,
        timeout: float = 10.0,
        verify: bool = True,
        base_path: str = "",
    ) -> None:
        if isinstance(target, httpx.URL):
            target = str(target)
        if isinstance(target, str):
            url = httpx.URL(target)
            if url.scheme not in ("http", "https") or not url.host:
                raise ValueError(
                    f"target must be an ASGI app or an http(s):// URL, not {target!r}."
                )
            self._url: httpx.URL | None = url
        elif callable(target):
            self._url = None
        else:
            raise TypeError(
                "target must be an ASGI app (e.g. your Receiver) or an http(s):// URL, not"
                f" {type_phrase(target)}."
            )
        if not isinstance(webhook_id, str) or not webhook_id:
            raise ValueError("webhook_id must be the webhook's id, e.g. 'WBH-5433-8787'.")
        validate_secret(secret, owner=f"webhook {webhook_id!r}")
        # InvalidNumberError is a ValueError, as the other argument errors here.
        timeout = positive_number("timeout", timeout)
        self._target = target
        self._secret = secret
        self._webhook_id = webhook_id
        self._audience = audience
        self._timeout = timeout
        self._verify = verify
        self._base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self._ssl_context: ssl.SSLContext | None = None
        self.calls: collections.deque[CallResult] = collections.deque(maxlen=100)
        """The last 100 results, oldest first (``platform.calls[-1]`` is the latest)."""

    # -- configuration --------------------------------------------------------------------------

    @property
    def target(self) -> Any:
        """The ASGI app or the URL calls go to."""
        return self._target

    @property
    def webhook_id(self) -> str:
        """The ``webhook_id`` of the tokens."""
        return self._webhook_id

    @property
    def secret(self) -> str | bytes:
        """The secret the calls are signed with (for your own tokens; never printed)."""
        return self._secret

    @property
    def audience(self) -> str | None:
        """The ``aud`` claim of the tokens, if any."""
        return self._audience

    @property
    def is_http(self) -> bool:
        """True when calls go over the network to a URL."""
        return self._url is not None

    def token(self, make: _Token = sign_token, /, *args: Any, **claims: Any) -> str:
        """A token for this client's webhook: a fresh valid one, or one made by a variant of
        :mod:`receiver.testing.signing` (``args`` come before the secret, for
        ``token_without``).

        >>> from receiver.testing import expired_token, token_without
        >>> platform = PlatformClient("https://vendor.example/", secret="s3cret",
        ...                           webhook_id="WBH-5433-8787")
        >>> tokens = [platform.token(), platform.token(expired_token),
        ...           platform.token(token_without, "exp"), platform.token(jti="x")]
        >>> [token.count(".") for token in tokens]
        [2, 2, 2, 2]
        """
        claims.setdefault("audience", self._audience)
        return make(*args, self._secret, self._webhook_id, **claims)

    def path_for(self, webhook_type: str, path: str | None = None) -> str:
        """Where a call of ``webhook_type`` goes: a path (ASGI target) or a URL.

        >>> PlatformClient("https://vendor.example/mpt", secret="s3cret",
        ...     webhook_id="WBH-1").path_for("validateAccount", "/ValidateAccount")
        'https://vendor.example/mpt/ValidateAccount'
        """
        kind = parse_known_webhook_type(webhook_type)
        if self._url is not None:
            if path is None:
                return str(self._url)
            joined = self._url.path.rstrip("/") + "/" + path.lstrip("/")
            return str(self._url.copy_with(path=joined))
        if path is None:
            return f"{self._base_path}/{kind}"
        return self._base_path + "/" + path.lstrip("/")

    # -- calls ----------------------------------------------------------------------------------

    def _before_call(self, webhook_type: WebhookType) -> None:
        """Called before each call is sent (bind_platform routes its webhook here)."""

    def _prepare(
        self,
        webhook_type: str,
        payload: Any,
        path: str | None,
        token: str | None,
        headers: Mapping[str, str | None] | None,
    ) -> tuple[WebhookType, str, dict[str, Any], bytes, dict[str, str]]:
        kind = parse_known_webhook_type(webhook_type)
        where = self.path_for(kind, path)
        if payload is None:
            request = samples.for_type(kind)
        elif isinstance(payload, Mapping):
            request = copy.deepcopy(dict(payload))
        elif callable(getattr(payload, "to_dict", None)):
            request = payload.to_dict()
        else:
            raise TypeError(
                "payload must be a dict or a model (Order, Account, ...), not"
                f" {type_phrase(payload)}."
            )
        try:
            body = json.dumps(request, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"The payload cannot be sent as JSON: {exc}.") from None
        sent = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "authorization": f"Bearer {token if token is not None else self.token()}",
        }
        for name, value in (headers or {}).items():
            if value is None:
                sent.pop(name.lower(), None)  # None: do not send this header at all
            else:
                sent[name.lower()] = value
        self._before_call(kind)
        return kind, where, request, body, sent

    def _result(
        self,
        kind: WebhookType,
        where: str,
        request: dict[str, Any],
        response: httpx.Response,
        duration: float,
    ) -> CallResult:
        result = CallResult(
            webhook_type=kind,
            path=where,
            request=request,
            status=response.status_code,
            body=response.content,
            headers=response.headers,
            duration=duration,
        )
        self.calls.append(result)
        return result

    def _verify_option(self) -> ssl.SSLContext | bool:
        if not self._verify:
            return False
        if self._ssl_context is None:
            # Loading the CA bundle takes tens of milliseconds: once per client, not per call.
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    def call(
        self,
        webhook_type: str,
        payload: Any = None,
        *,
        path: str | None = None,
        token: str | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> CallResult:
        """Send one call and wait for the answer.

        ``payload`` is a dict or a model (None: the type's sample); ``token`` replaces the
        fresh valid token (e.g. ``platform.token(expired_token)``); ``headers`` add headers (a
        value of None removes one of ours, e.g. ``{"Authorization": None}``). Raises
        :class:`receiver.errors.UnknownWebhookTypeError` for a type the platform does not
        have, TimeoutError when ``timeout`` passes without an answer.
        """
        kind, where, request, body, sent = self._prepare(
            webhook_type, payload, path, token, headers
        )
        if self._url is None:
            # A fresh event loop in a worker thread: works from plain sync tests, and from
            # inside a running loop too.
            with anyio.from_thread.start_blocking_portal() as portal:
                response, duration = portal.call(
                    functools.partial(self._send_asgi, where, body, sent)
                )
        else:
            started = time.perf_counter()
            try:
                with httpx.Client(verify=self._verify_option(), timeout=self._timeout) as client:
                    response = client.post(where, content=body, headers=sent)
            except httpx.TimeoutException as exc:
                raise TimeoutError(self._timeout_message(kind, where)) from exc
            duration = time.perf_counter() - started
        return self._result(kind, where, request, response, duration)

    async def acall(
        self,
        webhook_type: str,
        payload: Any = None,
        *,
        path: str | None = None,
        token: str | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> CallResult:
        """:meth:`call`, awaited (for async tests and for concurrent calls)."""
        kind, where, request, body, sent = self._prepare(
            webhook_type, payload, path, token, headers
        )
        if self._url is None:
            response, duration = await self._send_asgi(where, body, sent)
        else:
            started = time.perf_counter()
            try:
                async with httpx.AsyncClient(
                    verify=self._verify_option(), timeout=self._timeout
                ) as client:
                    response = await client.post(where, content=body, headers=sent)
            except httpx.TimeoutException as exc:
                raise TimeoutError(self._timeout_message(kind, where)) from exc
            duration = time.perf_counter() - started
        return self._result(kind, where, request, response, duration)

    async def _send_asgi(
        self, where: str, body: bytes, headers: dict[str, str]
    ) -> tuple[httpx.Response, float]:
        transport = httpx.ASGITransport(app=self._target)
        started = time.perf_counter()
        try:
            with anyio.fail_after(self._timeout):
                async with httpx.AsyncClient(transport=transport, base_url=ASGI_BASE_URL) as client:
                    response = await client.post(where, content=body, headers=headers)
        except TimeoutError:
            raise TimeoutError(
                f"The app did not answer {where} within {self._timeout:g} s"
                " (PlatformClient timeout=)."
            ) from None
        return response, time.perf_counter() - started

    def _timeout_message(self, kind: WebhookType, where: str) -> str:
        return (
            f"No answer to {kind} from {where} within {self._timeout:g} s"
            " (PlatformClient timeout=)."
        )

    def __repr__(self) -> str:
        target = str(self._url) if self._url is not None else type(self._target).__name__
        return f"PlatformClient({target}, webhook_id={self._webhook_id!r})"


# --- wiring a test webhook into an app ---------------------------------------------------------


def new_webhook_id(taken: frozenset[str] | None = None) -> str:
    """A fresh webhook id, ``WBH-NNNN-NNNN``, not in ``taken``.

    >>> new_webhook_id().startswith("WBH-")
    True
    """
    while True:
        webhook_id = f"WBH-{secrets.randbelow(9000) + 1000}-{secrets.randbelow(9000) + 1000}"
        if not taken or webhook_id not in taken:
            return webhook_id


class _TestWebhookSecrets:
    """The test webhook's secret first, then the app's own source (if it had one)."""

    def __init__(self, webhook_id: str, secret: str | bytes, fallback: SecretSource | None):
        self._webhook_id = webhook_id
        self._secrets = (validate_secret(secret),)
        self.fallback = fallback

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        if webhook_id == self._webhook_id:
            return self._secrets
        if self.fallback is None:
            return ()
        return await self.fallback.secrets_for(webhook_id)

    def known_webhook_ids(self) -> frozenset[str] | None:
        if self.fallback is None:
            return frozenset({self._webhook_id})
        known = self.fallback.known_webhook_ids()
        return None if known is None else known | {self._webhook_id}

    def __repr__(self) -> str:
        return f"TestWebhookSecrets({self._webhook_id!r}, then {self.fallback!r})"


class _BoundPlatformClient(PlatformClient):
    def __init__(self, app: Any, receiver: Receiver, route: bool, **options: Any) -> None:
        super().__init__(app, **options)
        self._receiver = receiver
        self._route = route

    def _before_call(self, webhook_type: WebhookType) -> None:
        # The app routes POST / by its webhooks= map: the test webhook is, like a real one,
        # the webhook of the type it calls.
        if self._route:
            self._receiver.webhooks[self.webhook_id] = webhook_type


@contextlib.contextmanager
def bind_platform(
    app: Any,
    *,
    secret: str | None = None,
    webhook_id: str | None = None,
    audience: str | None = None,
    timeout: float = 10.0,
) -> Iterator[PlatformClient]:
    """A :class:`PlatformClient` for ``app`` with a test webhook the app trusts, for the block.

    The :class:`receiver.Receiver` in ``app`` (found through mounts) gets a secret source that
    answers the test webhook (a fresh ``WBH-NNNN-NNNN`` and ``secrets.token_urlsafe()``
    secret unless given) and asks the app's own source for any other id (nothing else when it
    had none: ``RECEIVER_SECRETS`` is not read). When the app routes ``POST /`` with a
    ``webhooks=`` map, the test webhook is mapped to the type of each call. All of it is undone
    when the block ends. The pytest fixture ``platform`` is this.

    >>> from receiver import Receiver
    >>> app = Receiver(secrets={"WBH-5433-8787": "the-real-secret-the-real-secret-01"})
    >>> _ = app.on("ValidateAccount")(lambda account: account)
    >>> with bind_platform(app) as platform:
    ...     platform.call("ValidateAccount").accepted
    True
    >>> app.secret_source  # as it was
    StaticSecrets(<1 webhook(s)>)
    """
    found = find_receiver(app)
    if found is None:
        raise LookupError(
            f"No receiver.Receiver found in {type(app).__name__}: the test webhook's secret is"
            " wired into a Receiver (the app itself, or mounted in a Starlette/FastAPI app). For"
            " another app, build PlatformClient(app, secret=..., webhook_id=...) with a secret it"
            " trusts."
        )
    receiver, base_path = found
    original = receiver.secret_source
    known = original.known_webhook_ids() if original is not None else None
    webhook_id = webhook_id or new_webhook_id(known)
    secret = secret or secrets.token_urlsafe(32)
    receiver.secret_source = _TestWebhookSecrets(webhook_id, secret, original)
    had_mapping = webhook_id in receiver.webhooks
    previous_type = receiver.webhooks.get(webhook_id)
    client = _BoundPlatformClient(
        app,
        receiver,
        bool(receiver.webhooks),
        secret=secret,
        webhook_id=webhook_id,
        audience=audience,
        timeout=timeout,
        base_path=base_path,
    )
    try:
        yield client
    finally:
        receiver.secret_source = original  # None: RECEIVER_SECRETS is read again, as before
        if had_mapping and previous_type is not None:
            receiver.webhooks[webhook_id] = previous_type
        else:
            receiver.webhooks.pop(webhook_id, None)
