"""The platform's ``/validate`` endpoints: store the object, call the one matching webhook,
apply its answer, answer the caller (platform.md §2.2, §3.4).

=====================================================  ========================================
POST /public/v1/commerce/orders/validate               an Order in the body (no id: one is given)
POST /public/v1/commerce/orders/{id}/validate          the stored order again (a body replaces it)
GET  /public/v1/commerce/orders/{id}                   the stored order
=====================================================  ========================================

and the same three for ``/public/v1/accounts/accounts``, ``/public/v1/commerce/requests`` and
``/public/v1/program/enrollments``. What the caller gets:

==============================================  ==============================================
what happened                                   answer
==============================================  ==============================================
no enabled webhook matches                      200, the object as stored
the vendor answered 200 with the object         200, the object with the answer applied
the vendor answered non-2xx                     400 with the vendor's body, unchanged
                                                (platform.md §3.4.1: passed through), as data:
                                                JSON keeps its type, the rest is text/plain
timeout, unreachable, unparseable, wrong id     200, the object unchanged (platform.md §3.4.2)
==============================================  ==============================================

Simulator extras: the headers ``X-Simulator-Outcome`` and ``X-Simulator-Webhook-Id`` say what
happened (and ``X-Simulator-Vendor-Content-Type`` what type a vendor's error came as), and
``?webhookType=<type>`` restricts the choice to webhooks of one type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from receiver._http import is_json_content_type
from receiver._wire_errors import has_errors
from receiver.simulator import firing
from receiver.simulator._http import read_json
from receiver.simulator.apply import apply_answer, assign_line_ids
from receiver.simulator.firing import Firer
from receiver.simulator.matching import select_webhook
from receiver.simulator.problems import Problem, excerpt
from receiver.simulator.records import WebhookRecord, new_id
from receiver.simulator.store import Store
from receiver.stats import iso_now
from receiver.types import ACCOUNT, ENROLLMENT, ORDER, REQUEST, WebhookType

# Object kind -> (collection path, id prefix, id groups).
COLLECTIONS: Final[dict[str, tuple[str, str, int]]] = {
    ORDER: ("/public/v1/commerce/orders", "ORD", 3),
    ACCOUNT: ("/public/v1/accounts/accounts", "ACC", 2),
    REQUEST: ("/public/v1/commerce/requests", "REQ", 3),
    ENROLLMENT: ("/public/v1/program/enrollments", "ENR", 3),
}

ACCEPTED: Final = "accepted"
REFUSED: Final = "refused"
NO_WEBHOOK: Final = "no_webhook"
ANSWER_EXCERPT: Final = 4096
PLAIN_TEXT: Final = "text/plain; charset=utf-8"

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(slots=True)
class Validation:
    """The result of validating one object: what the caller gets, and what happened."""

    status: int
    object: dict[str, Any]
    outcome: str
    webhook: WebhookRecord | None = None
    call: firing.CallResult | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)

    def response(self) -> Response:
        headers = {"X-Simulator-Outcome": self.outcome}
        if self.webhook is not None:
            headers["X-Simulator-Webhook-Id"] = self.webhook.id
        if self.status == 400 and self.call is not None:
            # platform.md §3.4.1: the vendor's error response goes to the caller unchanged, but as
            # data: served with the vendor's type, an HTML or SVG page would run as a page of
            # the simulator's origin. JSON stays JSON; the rest is plain text.
            media_type, shown = _vendor_media_type(self.call.content_type)
            headers["X-Simulator-Vendor-Content-Type"] = shown
            return Response(self.call.body, status_code=400, headers=headers, media_type=media_type)
        return JSONResponse(self.object, status_code=self.status, headers=headers)


class Validator:
    """Stores objects, fires the matching webhook and applies its answer."""

    def __init__(self, store: Store, firer: Firer) -> None:
        self.store = store
        self.firer = firer

    def routes(self) -> list[Route]:
        routes: list[Route] = []
        for kind, (path, _, _) in COLLECTIONS.items():
            routes += [
                Route(f"{path}/validate", self._new_endpoint(kind), methods=["POST"]),
                Route(f"{path}/{{id}}/validate", self._stored_endpoint(kind), methods=["POST"]),
                Route(f"{path}/{{id}}", self._get_endpoint(kind), methods=["GET"]),
            ]
        return routes

    def _new_endpoint(self, kind: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            body = await read_json(request)
            obj = _check_object(body, kind)
            if "id" not in obj:
                obj["id"] = self._free_id(kind)
            result = await self.validate(kind, obj, only_type=_only_type(request))
            return result.response()

        return endpoint

    def _stored_endpoint(self, kind: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            object_id = request.path_params["id"]
            body = await read_json(request, required=False)
            if body is None:
                obj = self.store.get_object(kind, object_id)
                if obj is None:
                    raise _not_found(kind, object_id)
            else:
                obj = _check_object(body, kind)
                if obj.setdefault("id", object_id) != object_id:
                    raise Problem(
                        400, f"The body's id {obj['id']!r} is not {object_id!r}, the id in the URL."
                    )
            result = await self.validate(kind, obj, only_type=_only_type(request))
            return result.response()

        return endpoint

    def _get_endpoint(self, kind: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            object_id = request.path_params["id"]
            obj = self.store.get_object(kind, object_id)
            if obj is None:
                raise _not_found(kind, object_id)
            return JSONResponse(obj)

        return endpoint

    def _free_id(self, kind: str) -> str:
        _, prefix, groups = COLLECTIONS[kind]
        while True:
            object_id = new_id(prefix, groups)
            if self.store.get_object(kind, object_id) is None:
                return object_id

    async def validate(
        self, kind: str, obj: dict[str, Any], *, only_type: WebhookType | None = None
    ) -> Validation:
        """Store ``obj`` (an object of ``kind`` with an ``id``), call the webhook it triggers,
        apply the answer, record the call in the history; return what the caller gets."""
        if kind == ORDER:
            assign_line_ids(obj)
        self.store.put_object(kind, obj)
        webhook = select_webhook(self.store.webhooks(), kind, obj, only_type=only_type)
        if webhook is None:
            result = Validation(200, obj, NO_WEBHOOK)
        else:
            result = await self._call(kind, obj, webhook)
        self.store.add_history(_history_entry(kind, result))
        return result

    async def _call(self, kind: str, obj: dict[str, Any], webhook: WebhookRecord) -> Validation:
        call = await self.firer.fire(webhook, obj)
        if call.outcome == firing.VENDOR_ERROR:
            return Validation(400, obj, call.outcome, webhook, call)
        if call.outcome != firing.ANSWERED or call.answer is None:
            return Validation(200, obj, call.outcome, webhook, call)
        updated, changes = apply_answer(kind, obj, call.answer)
        self.store.put_object(kind, updated)
        outcome = REFUSED if has_errors(updated) else ACCEPTED
        return Validation(200, updated, outcome, webhook, call, changes)


def _check_object(body: Any, kind: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Problem(400, f"The request body must be a JSON object: the {kind} to validate.")
    if "id" in body and not (isinstance(body["id"], str) and body["id"]):
        raise Problem(400, f"The {kind}'s id must be a non-empty string (or left out).")
    return body


def _vendor_media_type(content_type: str | None) -> tuple[str, str]:
    """The Content-Type to pass a vendor's error back with, and the vendor's own as a header
    value (printable ASCII; anything else is shown escaped).

    >>> _vendor_media_type("application/problem+json")
    ('application/problem+json', 'application/problem+json')
    >>> _vendor_media_type("text/html; charset=utf-8")
    ('text/plain; charset=utf-8', 'text/html; charset=utf-8')
    """
    if content_type is None:
        return PLAIN_TEXT, "(none)"
    printable = content_type.isascii() and content_type.isprintable() and len(content_type) <= 200
    shown = content_type if printable else ascii(content_type)[:200]
    if printable and is_json_content_type(content_type.encode("ascii")):
        return content_type, shown
    return PLAIN_TEXT, shown


def _only_type(request: Request) -> WebhookType | None:
    value = request.query_params.get("webhookType")
    if value is None:
        return None
    webhook_type = WebhookType(value)
    if not webhook_type.known:
        raise Problem(400, f"webhookType {excerpt(value)} is not a webhook type.")
    return webhook_type


def _not_found(kind: str, object_id: str) -> Problem:
    return Problem(
        404,
        f"{kind} {object_id} was not found. Validate it first with POST"
        f" {COLLECTIONS[kind][0]}/validate and the object in the body.",
    )


def _history_entry(kind: str, result: Validation) -> dict[str, Any]:
    """One line of the dashboard's list of recent calls."""
    call = result.call
    entry: dict[str, Any] = {
        "at": iso_now(),
        "kind": kind,
        "objectId": result.object.get("id"),
        "outcome": result.outcome,
        "status": result.status,
        "webhookId": None,
        "webhookType": None,
        "vendorStatus": None,
        "httpStatusCode": None,
        "attempts": 0,
        "error": None,
        "answer": None,
        "changes": result.changes,
    }
    if result.webhook is not None and call is not None:
        entry.update(
            webhookId=result.webhook.id,
            webhookType=str(result.webhook.type),
            vendorStatus=call.status_code,
            httpStatusCode=call.call.get("httpStatusCode"),
            attempts=call.attempts,
            error=call.error,
            answer=call.body[:ANSWER_EXCERPT].decode("utf-8", "replace") if call.body else None,
        )
    return entry
