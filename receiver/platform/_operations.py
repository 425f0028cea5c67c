"""The Webhook API's rules, without I/O: how each request is written and each answer read.

Each operation is a generator: it yields the :class:`ApiRequest` s it needs, is sent each 2xx
``httpx.Response`` (a non-2xx answer is thrown into it as a :class:`PlatformError`), and returns
its result. The sync and the async client drive the same generators (:mod:`.client`), so the
rules (paths, ``select``, pagination, the secret, parsing, errors) exist once:

    >>> op = get_webhook("WBH-1111-2222", select=DETAIL_SELECT)
    >>> request = next(op)
    >>> request.method, request.path, request.query
    ('GET', '/public/v1/notifications/webhooks/WBH-1111-2222', 'select=%2Bstatistics,%2BlastCall,%2BlastSuccess,%2BlastFailure')
"""  # noqa: E501

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx

from receiver._json import json_kind
from receiver.errors import ModelError, PlatformAnswerError, PlatformError
from receiver.models.webhook import Webhook
from receiver.platform import rql
from receiver.types import WebhookType, anchor_key

T = TypeVar("T")

WEBHOOKS_PATH: Final = "/public/v1/notifications/webhooks"
DETAIL_SELECT: Final = "+statistics,+lastCall,+lastSuccess,+lastFailure"
"""What ``get`` asks for: the statistics and the three last calls (platform.md §4.3)."""
DEFAULT_PAGE_SIZE: Final = 100
MAX_ITEMS: Final = 100_000  # a guard against an API that pages forever
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_DETAIL: Final = 1000
# Kept as they are in a query: RQL's syntax, and what ids and URLs are made of.
_QUERY_SAFE: Final = "(),.-_~*:@!$'"
_WEBHOOK_ID: Final = re.compile(r"\bWBH-\d{4}-\d{4}\b")


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One request to the platform API. ``query`` is already encoded; ``idempotent`` says
    whether a transient failure may be retried; ``sensitive`` are values (a secret being set)
    that no error message may show."""

    method: str
    path: str
    query: str = ""
    body: Any = field(default=None, repr=False)  # may hold a secret
    idempotent: bool = True
    sensitive: tuple[str, ...] = field(default=(), repr=False)

    @property
    def label(self) -> str:
        """``GET /public/v1/...``: how messages and logs name the request (no host, no query:
        a URL may hold credentials, a query is long)."""
        return f"{self.method} {self.path}"

    def http_args(self, base_url: str, token: str) -> dict[str, Any]:
        """The arguments of ``httpx.Client.build_request`` for this request."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        args: dict[str, Any] = {
            "method": self.method,
            "url": base_url + self.path + (f"?{self.query}" if self.query else ""),
            "headers": headers,
        }
        if self.body is not None:
            headers["Content-Type"] = "application/json"
            args["content"] = json.dumps(self.body, separators=(",", ":")).encode()
        return args


Operation = Generator[ApiRequest, httpx.Response, T]


def query_string(
    filters: Sequence[str] = (), params: Mapping[str, str | int | None] | None = None
) -> str:
    """RQL expressions and ``name=value`` parameters as one encoded query; ``+`` is sent as
    ``%2B`` so that no server reads it as a space.

    >>> query_string([rql.eq("type", "ValidateAccount")], {"select": "+statistics", "limit": 5})
    'eq(type,ValidateAccount)&select=%2Bstatistics&limit=5'
    """
    parts = [quote(expression, safe=_QUERY_SAFE) for expression in filters]
    for name, value in (params or {}).items():
        if value is not None:
            parts.append(f"{quote(name, safe='')}={quote(str(value), safe=_QUERY_SAFE)}")
    return "&".join(parts)


def webhook_path(webhook_id: str, action: str = "") -> str:
    """``/public/v1/notifications/webhooks/{id}[/action]``; the id is percent-encoded."""
    if not isinstance(webhook_id, str) or not webhook_id.strip():
        raise ValueError("A webhook id is needed, like WBH-1234-5678.")
    path = f"{WEBHOOKS_PATH}/{quote(webhook_id.strip(), safe='')}"
    return f"{path}/{action}" if action else path


# -- answers ------------------------------------------------------------------------------------


def answer_json(request: ApiRequest, response: httpx.Response) -> Any:
    """The JSON of a 2xx answer; None for an empty one (204)."""
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return response.json()
    except (ValueError, RecursionError):
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise PlatformAnswerError(
            request.label,
            status=response.status_code,
            problem=f"a body that is not JSON ({kind})",
            kind="not_json",
        ) from None


def problem_error(
    request: ApiRequest, response: httpx.Response, *, hidden: Sequence[str] = ()
) -> PlatformError:
    """The :class:`PlatformError` of a non-2xx answer, from its ProblemDetails when it has one.
    ``hidden`` values (the token, a secret) never reach the error."""
    status = response.status_code
    try:
        body: Any = response.json()
    except (ValueError, RecursionError):
        body = None
    problem = body if isinstance(body, dict) else {}
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = None
    secrets_ = [value for value in (*hidden, *request.sensitive) if value]

    def clean(value: Any, limit: int = MAX_DETAIL) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        text = " ".join(value.split())
        for secret in secrets_:
            text = text.replace(secret, "<hidden>")
        return text if len(text) <= limit else text[: limit - 3] + "..."

    errors: dict[str, list[str]] = {}
    raw_errors = problem.get("errors")
    if isinstance(raw_errors, dict):
        for name, messages in raw_errors.items():
            items = messages if isinstance(messages, list) else [messages]
            cleaned = [text for text in (clean(item, 300) for item in items) if text]
            if cleaned:
                errors[clean(str(name), 100) or "?"] = cleaned
    detail = clean(problem.get("detail"))
    conflict = _WEBHOOK_ID.search(detail or "") if status == 409 else None
    return PlatformError(
        request.label,
        status=status,
        title=clean(problem.get("title"), 100) or phrase,
        detail=detail,
        errors=errors,
        conflict_id=conflict.group(0) if conflict else None,
    )


def parse_webhook(request: ApiRequest, response: httpx.Response, data: Any) -> Webhook:
    """A ``Webhook`` from an answer's JSON; PlatformAnswerError when it is not one."""
    if not isinstance(data, dict):
        raise PlatformAnswerError(
            request.label,
            status=response.status_code,
            problem=f"a JSON {json_kind(data)}, not a webhook object",
            kind=json_kind(data),
        )
    try:
        return Webhook.from_dict(data)
    except (ModelError, ValueError) as exc:
        raise PlatformAnswerError(
            request.label,
            status=response.status_code,
            problem=f"an object that is not a webhook ({exc})",
            kind="invalid",
        ) from None


# -- operations -----------------------------------------------------------------------------------


def call(
    method: str,
    path: str,
    *,
    params: Mapping[str, str | int | None] | None = None,
    filters: Sequence[str] = (),
    body: Any = None,
) -> Operation[Any]:
    """Any request to the platform API (``path`` from the root, ``/public/v1/...``); returns
    the answer's JSON (None for 204). Only idempotent methods are retried."""
    method = method.upper()
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', like /public/v1/catalog/items, not {path!r}.")
    request = ApiRequest(
        method,
        path,
        query_string(filters, params),
        body=body,
        idempotent=method in IDEMPOTENT_METHODS,
    )
    response = yield request
    return answer_json(request, response)


def list_webhooks(
    filters: Sequence[str] = (), *, select: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
) -> Operation[list[Webhook]]:
    """Every webhook the filters match, page after page (``limit``/``offset``)."""
    if not 1 <= page_size <= 1000:
        raise ValueError(f"page_size must be between 1 and 1000, not {page_size!r}.")
    webhooks: list[Webhook] = []
    while True:
        query = query_string(
            filters, {"select": select, "limit": page_size, "offset": len(webhooks)}
        )
        request = ApiRequest("GET", WEBHOOKS_PATH, query)
        response = yield request
        page = answer_json(request, response)
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise PlatformAnswerError(
                request.label,
                status=response.status_code,
                problem=f"a JSON {json_kind(page)} without a 'data' list",
                kind=json_kind(page),
            )
        data: list[Any] = page["data"]
        webhooks.extend(parse_webhook(request, response, item) for item in data)
        pagination = (page.get("$meta") or {}).get("pagination") or {}
        total = pagination.get("total") if isinstance(pagination, dict) else None
        # Past the end, an empty page, or (no total) a short one: done. The server may cap
        # ``limit`` below page_size, so a short page with a total says nothing.
        if not data or len(webhooks) >= MAX_ITEMS:
            return webhooks
        if isinstance(total, int):
            if len(webhooks) >= total:
                return webhooks
        elif len(data) < page_size:
            return webhooks


def get_webhook(webhook_id: str, *, select: str | None = DETAIL_SELECT) -> Operation[Webhook]:
    """One webhook; by default with its statistics and last calls."""
    request = ApiRequest("GET", webhook_path(webhook_id), query_string((), {"select": select}))
    response = yield request
    return parse_webhook(request, response, answer_json(request, response))


def new_secret() -> str:
    """A webhook secret: 43 URL-safe characters, 256 random bits."""
    return secrets.token_urlsafe(32)


def create_webhook(
    webhook_type: str,
    url: str,
    criteria: Mapping[str, str],
    *,
    description: str | None = None,
    secret: str | None = None,
) -> Operation[Webhook]:
    """Create a webhook (``CreateWebhookRequest``); the result carries its ``secret``, the one
    time the platform shows it. A 409 names the webhook that already exists."""
    kind = WebhookType(webhook_type)
    secret = new_secret() if secret is None else secret
    body: dict[str, Any] = {"type": kind, "url": url, "criteria": dict(criteria)}
    if description is not None:
        body["description"] = description
    body["secret"] = secret
    # POST creates: never retried (a lost answer and a retry would make a second webhook).
    request = ApiRequest("POST", WEBHOOKS_PATH, body=body, idempotent=False, sensitive=(secret,))
    try:
        response = yield request
    except PlatformError as error:
        if error.status != 409 or error.conflict_id is not None:
            raise
        found = yield from _existing(kind, criteria)
        if found is None:
            raise
        raise PlatformError(
            error.request,
            status=error.status,
            title=error.title,
            detail=error.detail,
            errors=error.errors,
            conflict_id=found,
        ) from None
    webhook = parse_webhook(request, response, answer_json(request, response))
    if webhook.secret is None:  # the platform shows it once; we know it anyway
        webhook.secret = secret
    return webhook


def _existing(kind: WebhookType, criteria: Mapping[str, str]) -> Operation[str | None]:
    """The id of the webhook of this type for the object of ``criteria``, if one exists."""
    anchor = criteria.get(anchor_key(kind))
    if not anchor:
        return None
    try:
        found = yield from list_webhooks(
            [rql.and_(rql.eq("type", kind), rql.eq("object.id", anchor))], page_size=10
        )
    except (PlatformError, ValueError):
        return None
    return next((webhook.id for webhook in found if webhook.id), None)


def update_webhook(
    webhook_id: str,
    *,
    url: str | None = None,
    description: str | None = None,
    criteria: Mapping[str, str] | None = None,
    secret: str | None = None,
) -> Operation[Webhook]:
    """Change what is given (``UpdateWebhookRequest``; omitted fields stay). The fields are
    sent as plain values, as the platform reads them (platform.md §4.2, §4.6)."""
    body: dict[str, Any] = {}
    if url is not None:
        body["url"] = url
    if description is not None:
        body["description"] = description
    if criteria is not None:
        body["criteria"] = dict(criteria)
    if secret is not None:
        body["secret"] = secret
    if not body:
        raise ValueError("Nothing to update: give url, description, criteria or secret.")
    request = ApiRequest(
        "PUT",
        webhook_path(webhook_id),
        body=body,
        sensitive=(secret,) if secret is not None else (),
    )
    response = yield request
    return parse_webhook(request, response, answer_json(request, response))


def delete_webhook(webhook_id: str) -> Operation[None]:
    """Delete a webhook (204); it is gone for good (platform.md §4.5.2)."""
    request = ApiRequest("DELETE", webhook_path(webhook_id))
    response = yield request
    answer_json(request, response)


def set_status(webhook_id: str, *, enabled: bool) -> Operation[None]:
    """``POST .../enable`` or ``.../disable`` (204).

    Retried like an idempotent request: each sets the status to a fixed value, answers 204
    whatever the status was, and has no body (platform.md §4.6; neither the seed nor the
    OpenAPI lists an error for enabling an enabled webhook)."""
    action = "enable" if enabled else "disable"
    request = ApiRequest("POST", webhook_path(webhook_id, action), idempotent=True)
    response = yield request
    answer_json(request, response)
