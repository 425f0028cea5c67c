"""The Webhook API (platform.md §4) under ``/public/v1/notifications/webhooks``.

=======  ==========================  ====================================================
GET      /webhooks                   list: RQL filter, ``select``, ``limit``/``offset``
POST     /webhooks                   create: 201, the secret in this answer only
GET      /webhooks/{id}              one webhook; ``select=+statistics,+lastCall,...``
PUT      /webhooks/{id}              update: omitted fields stay, ``type`` cannot change
DELETE   /webhooks/{id}              204, then 404
POST     /webhooks/{id}/enable       204
POST     /webhooks/{id}/disable      204
=======  ==========================  ====================================================

Errors are ProblemDetails (:mod:`receiver.simulator.problems`); authentication is checked by
the app before a request gets here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from receiver.models.webhook import WebhookStatus
from receiver.simulator._http import query_text, read_json
from receiver.simulator.problems import Problem
from receiver.simulator.records import (
    OPTIONAL_FIELDS,
    WebhookRecord,
    new_id,
    to_wire,
)
from receiver.simulator.rql import Query, parse_query
from receiver.simulator.rules import parse_create, parse_update
from receiver.simulator.store import Store
from receiver.stats import iso_now
from receiver.types import anchor_key

WEBHOOKS_PATH: Final = "/public/v1/notifications/webhooks"


class WebhookApi:
    """The routes of the Webhook API over a :class:`Store`.

    ``allow_http`` lets ``http://`` URLs to loopback hosts through; ``account`` owns every
    webhook created here.
    """

    def __init__(self, store: Store, *, allow_http: bool, account: Mapping[str, str]) -> None:
        self.store = store
        self.allow_http = allow_http
        self.account = dict(account)

    def routes(self) -> list[Route]:
        return [
            Route(WEBHOOKS_PATH, self.list_webhooks, methods=["GET"]),
            Route(WEBHOOKS_PATH, self.create, methods=["POST"]),
            Route(WEBHOOKS_PATH + "/{id}", self.get, methods=["GET"]),
            Route(WEBHOOKS_PATH + "/{id}", self.update, methods=["PUT"]),
            Route(WEBHOOKS_PATH + "/{id}", self.delete, methods=["DELETE"]),
            Route(WEBHOOKS_PATH + "/{id}/enable", self.enable, methods=["POST"]),
            Route(WEBHOOKS_PATH + "/{id}/disable", self.disable, methods=["POST"]),
        ]

    async def list_webhooks(self, request: Request) -> Response:
        query = _query(request)
        # Filter on the whole object (statistics included), answer with what select asks.
        found = [
            record
            for record in self.store.webhooks()
            if query.matches(to_wire(record, include=OPTIONAL_FIELDS))
        ]
        page = found[query.offset : query.offset + query.limit]
        return JSONResponse(
            {
                "$meta": {
                    "pagination": {
                        "offset": query.offset,
                        "limit": query.limit,
                        "total": len(found),
                    }
                },
                "data": [
                    to_wire(record, include=query.include, exclude=query.exclude) for record in page
                ],
            }
        )

    async def create(self, request: Request) -> Response:
        query = _query(request)  # before anything is stored: a bad query changes nothing
        fields = parse_create(await read_json(request), allow_http=self.allow_http)
        record = WebhookRecord.new(
            webhook_type=fields["type"],
            url=fields["url"],
            criteria=fields["criteria"],
            secret=fields["secret"],
            account=self.account,
            webhook_id=self._free_id(),
            status=fields["status"],
            description=fields["description"],
        )
        self._check_unique(record)
        self.store.add_webhook(record)
        return JSONResponse(
            to_wire(record, include=query.include, exclude=query.exclude, with_secret=True),
            status_code=201,
            headers={"Location": f"{WEBHOOKS_PATH}/{record.id}"},
        )

    async def get(self, request: Request) -> Response:
        record = self._find(request)
        query = _query(request)
        return JSONResponse(to_wire(record, include=query.include, exclude=query.exclude))

    async def update(self, request: Request) -> Response:
        current = self._find(request)
        query = _query(request)
        body = await read_json(request)
        changes = parse_update(
            body, webhook_id=current.id, current_type=current.type, allow_http=self.allow_http
        )

        def change(record: WebhookRecord) -> None:
            for name, value in changes.items():
                setattr(record, name, value)
            self._check_unique(record)
            record.updated_at = iso_now()

        updated = self.store.update_webhook(current.id, change)
        if updated is None:  # deleted while we read the body
            raise _not_found(current.id)
        return JSONResponse(to_wire(updated[0], include=query.include, exclude=query.exclude))

    async def delete(self, request: Request) -> Response:
        webhook_id = request.path_params["id"]
        if not self.store.delete_webhook(webhook_id):
            raise _not_found(webhook_id)
        return Response(status_code=204)

    async def enable(self, request: Request) -> Response:
        return self._set_status(request, WebhookStatus.ENABLED)

    async def disable(self, request: Request) -> Response:
        return self._set_status(request, WebhookStatus.DISABLED)

    # -- helpers ----------------------------------------------------------------------------

    def _set_status(self, request: Request, status: WebhookStatus) -> Response:
        webhook_id = request.path_params["id"]

        def change(record: WebhookRecord) -> None:
            if record.status != status:
                record.status = status.value
                record.updated_at = iso_now()

        if self.store.update_webhook(webhook_id, change) is None:
            raise _not_found(webhook_id)
        return Response(status_code=204)

    def _find(self, request: Request) -> WebhookRecord:
        webhook_id = request.path_params["id"]
        record = self.store.webhook(webhook_id)
        if record is None:
            raise _not_found(webhook_id)
        return record

    def _free_id(self) -> str:
        while True:
            webhook_id = new_id("WBH")
            if self.store.webhook(webhook_id) is None:
                return webhook_id

    def _check_unique(self, record: WebhookRecord) -> None:
        # platform.md §4.5.1: one webhook per (account, type, object).
        other = self.store.conflicting_webhook(
            record.account["id"], record.type, record.object_id, exclude=record.id
        )
        if other is not None:
            raise Problem(
                409,
                f"A {record.type} webhook for {anchor_key(record.type)} {record.object_id}"
                f" already exists: {other}. Update it (PUT {WEBHOOKS_PATH}/{other}) or delete"
                " it first; there can be one webhook per account, type and object.",
            )


def _query(request: Request) -> Query:
    return parse_query(query_text(request))


def _not_found(webhook_id: str) -> Problem:
    return Problem(404, f"Webhook {webhook_id} was not found.")
