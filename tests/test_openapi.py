"""The receiver's OpenAPI document (receiver/openapi.py): valid OpenAPI 3.1, the registered types,
every status each route can answer and nothing else, and a schemathesis run against the app."""

from __future__ import annotations

import asyncio
import copy
import datetime
import doctest
import itertools
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import receiver.openapi
from receiver import Receiver
from receiver.errors import StoreUnavailableError
from receiver.openapi import openapi_document, openapi_json
from receiver.store import MemoryStore
from receiver.testing import sign_token
from receiver.types import KNOWN_WEBHOOK_TYPES, WebhookType
from receiver.wire import Route

ADMIN_PREFIX, OPENAPI_PATH = Route.ADMIN_WEBHOOKS, Route.OPENAPI

SECRET = "openapi-secret-openapi-secret-0001"
OTHER_SECRET = "openapi-secret-openapi-secret-0002"
MAPPED = "WBH-1111-0001"  # webhooks= maps it to ValidatePurchaseOrderDraft
UNMAPPED = "WBH-1111-0002"  # no type: POST / goes by the body
ADMIN_TOKEN = "admin-token-admin-token-0001"
BASE_URL = "https://vendor-ext.example.com"
JSON = {"Content-Type": "application/json"}
PURCHASE = {"id": "ORD-1000-0000-0001", "type": "Purchase", "status": "Draft", "lines": []}

_jti = itertools.count()


def token(webhook_id: str = MAPPED, secret: str = SECRET) -> str:
    # A distinct jti per call: a replay guard must never see two equal tokens from this file.
    return sign_token(secret, webhook_id, jti=f"openapi-{next(_jti)}")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def make_app(**options: Any) -> Receiver:
    options.setdefault("secrets", {MAPPED: SECRET, UNMAPPED: OTHER_SECRET})
    options.setdefault("webhooks", {MAPPED: "ValidatePurchaseOrderDraft"})
    options.setdefault("store", "memory")  # whatever RECEIVER_STORE says
    return Receiver(**options)


def full_app(*, failing: bool = True, **options: Any) -> Receiver:
    """An app with an async model handler (that refuses some orders), a sync one, a raw one and,
    when ``failing``, one that raises for ``ACC-FAIL`` (answered 500 under the default failure
    policy)."""
    app = make_app(admin_token=ADMIN_TOKEN, max_body_size=64 * 1024, **options)

    @app.validate_purchase_order_draft
    async def purchase(order: Any) -> Any:
        if str(order.id).endswith("9"):
            order.set_error("ACME001", "Refused by the test handler.")
        return order

    @app.validate_change_order_draft
    def change(order: Any) -> Any:
        return order

    @app.on("ValidateAnswer", raw=True)
    def answer(data: dict[str, Any]) -> dict[str, Any]:
        return data

    if failing:

        @app.validate_account
        def account(obj: Any) -> Any:
            if obj.id == "ACC-FAIL":
                raise RuntimeError("the account handler fails")
            return obj

    return app


# -- the document ---------------------------------------------------------------------------------


def all_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def check_structure(document: dict[str, Any]) -> None:
    """What OpenAPI 3.1 requires of a document beyond its JSON Schema, and our own rules."""
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    assert document["info"]["version"]
    for ref in all_refs(document):
        resolve(document, ref)  # raises KeyError when dangling
    schemes = document["components"]["securitySchemes"]
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)), ids
    for path, method, operation in operations(document):
        assert path.startswith("/")
        assert method in {"get", "post"}
        templated = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert templated == declared, (path, templated, declared)
        for requirement in operation["security"]:
            assert set(requirement) <= set(schemes)
        assert operation["responses"], (path, method)
        for status, response in operation["responses"].items():
            assert 200 <= int(status) < 600
            assert response["description"]
            if status == "204":  # no content, and so no media type
                assert "content" not in response, (path, status)
                continue
            assert list(response["content"]) == ["application/json"], (path, status)
            assert "schema" in response["content"]["application/json"]


CONFIGURATIONS = {
    "no handlers": lambda: make_app(),
    "one handler": lambda: _with(make_app(), "ValidatePurchaseOrderDraft"),
    "full": full_app,
    "every type, issuer and audience": lambda: _with(
        make_app(admin_token=ADMIN_TOKEN, issuer="mpt", audience="vendor", max_token_age=None),
        *KNOWN_WEBHOOK_TYPES,
    ),
}


def _with(app: Receiver, *types: str) -> Receiver:
    for webhook_type in types:
        app.on(webhook_type)(lambda obj: obj)
    return app


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_the_document_is_valid_openapi_3_1(name: str) -> None:
    document = openapi_document(CONFIGURATIONS[name]())
    check_structure(document)
    # schemathesis checks a loaded document against the OpenAPI 3.1 JSON Schema.
    schemathesis.openapi.from_dict(copy.deepcopy(document)).validate()
    assert json.loads(openapi_json(CONFIGURATIONS[name]())) == document


def test_the_module_example_runs() -> None:
    result = doctest.testmod(receiver.openapi, report=True)
    assert result.attempted >= 3
    assert result.failed == 0


def test_the_validation_can_fail() -> None:
    broken = openapi_document(full_app())
    del broken["info"]["version"]
    with pytest.raises(Exception, match="version"):
        schemathesis.openapi.from_dict(broken).validate()
    dangling = openapi_document(full_app())
    dangling["components"]["schemas"].pop("Error")
    with pytest.raises(KeyError):
        check_structure(dangling)


def test_it_lists_the_registered_types_and_nothing_else() -> None:
    document = openapi_document(full_app())
    types = ["ValidateAccount", "ValidateAnswer", "ValidateChangeOrderDraft"]
    types.append("ValidatePurchaseOrderDraft")
    assert list(document["paths"]) == [
        "/",
        *(f"/{t}" for t in types),
        "/healthz",
        "/readyz",
        OPENAPI_PATH,
        "/_receiver/verify",
        ADMIN_PREFIX,
        ADMIN_PREFIX + "/{webhook_id}",
    ]
    for webhook_type in types:
        operation = document["paths"][f"/{webhook_type}"]["post"]
        assert operation["operationId"] == WebhookType(webhook_type).snake_name
        assert operation["security"] == [{"webhookToken": []}]
    assert "ValidatePurchaseOrderDraft" in document["paths"]["/"]["post"]["description"]
    schema = document["paths"]["/ValidateAccount"]["post"]["requestBody"]["content"]
    assert schema["application/json"]["schema"]["title"] == "Account"


def test_the_admin_routes_only_with_an_admin_token() -> None:
    without = openapi_document(make_app())
    assert not any(path.startswith(ADMIN_PREFIX) for path in without["paths"])
    assert "adminToken" not in without["components"]["securitySchemes"]
    with_token = openapi_document(make_app(admin_token=ADMIN_TOKEN))
    assert with_token["paths"][ADMIN_PREFIX]["get"]["security"] == [{"adminToken": []}]


def test_a_handler_registered_later_changes_the_document() -> None:
    app = make_app()
    first = openapi_json(app)
    assert openapi_json(app) is first  # cached while nothing changes
    assert b'"/ValidateChangeOrderDraft"' not in first
    app.validate_change_order_draft(lambda order: order)
    second = openapi_json(app)
    assert b'"/ValidateChangeOrderDraft"' in second
    assert json.loads(second) == openapi_document(app)


def declared(document: dict[str, Any], path: str, method: str = "post") -> set[int]:
    return {int(status) for status in document["paths"][path][method]["responses"]}


def reasons(document: dict[str, Any], path: str, status: int) -> list[str]:
    response = document["paths"][path]["post"]["responses"][str(status)]
    reason_ids: list[str] = response["content"]["application/json"]["schema"]["properties"]["id"][
        "enum"
    ]
    return reason_ids


def test_statuses_and_reasons_follow_the_configuration() -> None:
    bare = openapi_document(make_app())
    assert declared(bare, "/") == {400, 401, 404, 408, 413, 415, 500, 503}  # no handler: no 200
    assert reasons(bare, "/", 500) == ["misconfigured", "internal_error"]
    full = openapi_document(full_app())
    assert declared(full, "/") == {200, 400, 401, 404, 408, 413, 415, 500, 503}
    # A path that names a registered type always finds its handler: no 404 there.
    assert declared(full, "/ValidatePurchaseOrderDraft") == {
        200,
        400,
        401,
        408,
        413,
        415,
        500,
        503,
    }
    assert reasons(full, "/", 503) == ["shutting_down"]
    assert "handler_failed" in reasons(full, "/", 500)
    assert "handler_failed" in reasons(full, "/ValidatePurchaseOrderDraft", 500)
    assert "ambiguous_webhook_type" not in reasons(full, "/", 500)
    assert "too_old" in reasons(full, "/", 401)
    assert "wrong_issuer" not in reasons(full, "/", 401)
    rejecting = _with(make_app(failure_policy="reject"), "ValidatePurchaseOrderDraft")
    rejecting.on("ValidateAccount", failure_policy="error")(lambda obj: obj)
    document = openapi_document(rejecting)
    assert "handler_failed" not in reasons(document, "/ValidatePurchaseOrderDraft", 500)
    assert "handler_failed" in reasons(document, "/ValidateAccount", 500)
    shared = openapi_document(_with(make_app(), "SelectOrderLines", "ValidatePurchaseOrderDraft"))
    assert reasons(shared, "/", 500)[0] == "ambiguous_webhook_type"
    assert "ambiguous_webhook_type" not in reasons(shared, "/SelectOrderLines", 500)
    strict = openapi_document(CONFIGURATIONS["every type, issuer and audience"]())
    assert {"wrong_issuer", "wrong_audience"} <= set(reasons(strict, "/", 401))
    assert "too_old" not in reasons(strict, "/", 401)


# -- the document against the app's real answers ---------------------------------------------------


class Observed:
    """Answers seen per documented operation, each checked against the document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schema = schemathesis.openapi.from_dict(copy.deepcopy(document))
        self.statuses: dict[tuple[str, str], set[int]] = {}

    def check(self, path: str, method: str, response: httpx.Response) -> None:
        operation = self.document["paths"][path][method]
        status = response.status_code
        assert str(status) in operation["responses"], (method, path, status, response.text)
        self.statuses.setdefault((path, method), set()).add(status)
        if status == 204:
            assert response.content == b""
            return
        assert response.headers["content-type"] == "application/json"
        definition = operation["responses"][str(status)]
        for name, header in definition.get("headers", {}).items():
            assert response.headers.get(name) == header["schema"]["const"], (path, status)
        # Raises a schemathesis failure when the body does not fit the declared schema.
        self.schema[path][method.upper()].validate_response(response)


async def raw_call(
    app: Receiver, path: str, *, cancel_after: float | None = None
) -> httpx.Response:
    """A signed POST whose body never arrives: the receiver answers 408 after body_timeout, or,
    when the server cancels the call first (shutdown), 503 before the cancellation goes on."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {token()}".encode()),
            (b"content-type", b"application/json"),
        ],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # a client that never sends its body
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    task = asyncio.ensure_future(app(scope, receive, send))
    if cancel_after is not None:
        await asyncio.sleep(cancel_after)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # the receiver answers, then lets the cancellation go on
    else:
        await asyncio.wait_for(task, 5)
    start, body = sent
    response = httpx.Response(
        start["status"],
        headers=[(k.decode(), v.decode()) for k, v in start["headers"]],
        content=body["body"],
        request=httpx.Request("POST", BASE_URL + path),
    )
    response.elapsed = datetime.timedelta(0)
    return response


async def _exercise(app: Receiver, observed: Observed, misconfigured: bool = False) -> None:
    purchase = json.dumps(PURCHASE).encode()
    account = json.dumps({"id": "ACC-FAIL"}).encode()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as client:

        async def post(path: str, body: bytes, headers: dict[str, str]) -> None:
            observed.check(path, "post", await client.post(path, content=body, headers=headers))

        valid = {**JSON, **bearer(token())}
        if misconfigured:  # every call route and the statistics answer 500 then
            for path in observed.document["paths"]:
                if "post" in observed.document["paths"][path]:
                    await post(path, purchase, valid)
            # 503: the secrets cannot be read, so the receiver cannot start.
            observed.check("/readyz", "get", await client.get("/readyz"))
            admin_headers = bearer(ADMIN_TOKEN)
            for path, template in [
                (ADMIN_PREFIX, ADMIN_PREFIX),
                (f"{ADMIN_PREFIX}/{MAPPED}", ADMIN_PREFIX + "/{webhook_id}"),
            ]:
                observed.check(template, "get", await client.get(path, headers=admin_headers))
            return
        verify = "/_receiver/verify"  # a token check, not a call: it reads no body
        observed.check(verify, "post", await client.post(verify, headers=bearer(token())))  # 204
        observed.check(verify, "post", await client.post(verify))  # 401
        for path in observed.document["paths"]:
            if "post" in observed.document["paths"][path] and path != verify:
                observed.check(path, "post", await raw_call(app, path))  # 408
                observed.check(path, "post", await raw_call(app, path, cancel_after=0.01))  # 503
        for path in ["/", "/ValidatePurchaseOrderDraft", "/ValidateChangeOrderDraft"]:
            await post(path, purchase, {**JSON, **bearer(token())})  # 200
            await post(path, b"", {**JSON, **bearer(token())})  # 400 empty_body
            await post(path, b"[1]", {**JSON, **bearer(token())})  # 400 not_an_object
            await post(path, b'{"id": ""}', {**JSON, **bearer(token())})  # 400 missing_id
            await post(path, b"{", {**JSON, **bearer(token())})  # 400 invalid_json
            await post(path, purchase, {**JSON, **bearer(token()), "Content-Length": "x"})
            await post(path, purchase, JSON)  # 401 missing_token
            await post(path, purchase, {**JSON, **bearer(token(secret=OTHER_SECRET))})  # 401
            await post(path, b"{" + b" " * 70_000 + b"}", {**JSON, **bearer(token())})  # 413
            await post(path, purchase, {"Content-Type": "text/plain", **bearer(token())})  # 415
        await post("/ValidateAnswer", b'{"id": "ANS-1"}', valid)  # 200 (raw handler)
        await post("/ValidateAnswer", b'{"id": 1}', {**JSON, **bearer(token())})  # 400 (raw)
        await post("/ValidateAnswer", purchase, JSON)  # 401
        await post("/ValidateAnswer", b"{" + b" " * 70_000 + b"}", {**JSON, **bearer(token())})
        await post("/ValidateAnswer", purchase, {"Content-Type": "text/xml"})  # 415
        await post("/ValidateAccount", account, {**JSON, **bearer(token())})  # 500 handler_failed
        await post("/ValidateAccount", b'{"id": "ACC-1"}', {**JSON, **bearer(token())})  # 200
        await post("/ValidateAccount", b"{}", {**JSON, **bearer(token())})  # 400
        await post("/ValidateAccount", account, JSON)  # 401
        await post("/ValidateAccount", b"{" + b" " * 70_000 + b"}", {**JSON, **bearer(token())})
        await post("/ValidateAccount", account, {"Content-Type": "text/html"})  # 415
        # POST / with a token whose webhook has no type: the body decides.
        unknown = json.dumps({"id": "XYZ-1"}).encode()
        await post("/", unknown, {**JSON, **bearer(token(UNMAPPED, OTHER_SECRET))})  # 404
        await post("/", account, {**JSON, **bearer(token(UNMAPPED, OTHER_SECRET))})  # 500

        async def get(path: str, headers: dict[str, str], template: str | None = None) -> None:
            response = await client.get(path, headers=headers)
            observed.check(template or path, "get", response)

        admin = bearer(ADMIN_TOKEN)
        await get("/healthz", {})
        await get("/readyz", {})  # 200: started at its first call
        await get(OPENAPI_PATH, {})
        await get(ADMIN_PREFIX, admin)
        await get(ADMIN_PREFIX, {})
        await get(ADMIN_PREFIX, bearer(ADMIN_TOKEN + "x"))
        detail = ADMIN_PREFIX + "/{webhook_id}"
        await get(f"{ADMIN_PREFIX}/{MAPPED}", admin, detail)
        await get(f"{ADMIN_PREFIX}/{UNMAPPED}", admin, detail)
        await get(f"{ADMIN_PREFIX}/WBH-0000-0000", admin, detail)
        await get(f"{ADMIN_PREFIX}/{MAPPED}", {}, detail)


@pytest.mark.anyio
async def test_every_declared_status_is_answered_and_every_answer_is_declared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = full_app(body_timeout=0.05)
    document = openapi_document(app)
    observed = Observed(document)
    await _exercise(app, observed)
    # The same routes when the secrets cannot be read: 500 "misconfigured" on every call route.
    monkeypatch.delenv("RECEIVER_SECRETS", raising=False)
    broken = full_app(secrets=None, webhooks=None, body_timeout=0.05)
    assert openapi_document(broken)["paths"].keys() == document["paths"].keys()
    await _exercise(broken, observed, misconfigured=True)
    for path, method, _ in operations(document):
        assert observed.statuses[(path, method)] == declared(document, path, method), (path, method)


class DownStore(MemoryStore):
    """A store that cannot be reached."""

    async def first_use(self, token_key: bytes, body_digest: bytes, ttl: float) -> bool:
        raise StoreUnavailableError("down")


@pytest.mark.anyio
async def test_the_replay_guard_answers_are_documented() -> None:
    plain = openapi_document(full_app())
    assert "token_replayed" not in reasons(plain, "/", 401)
    assert "replay_guard_unavailable" not in reasons(plain, "/", 503)
    guarded = _with(make_app(replay_guard=True), "ValidatePurchaseOrderDraft")
    document = openapi_document(guarded)
    assert "token_replayed" in reasons(document, "/", 401)
    # It fails open: without its store, the call goes through.
    assert "replay_guard_unavailable" not in reasons(document, "/", 503)
    observed = Observed(document)
    headers = {**JSON, **bearer(token())}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=guarded), base_url=BASE_URL
    ) as client:
        first = await client.post("/", json=PURCHASE, headers=headers)
        replayed = await client.post("/", json={**PURCHASE, "lines": [1]}, headers=headers)
    observed.check("/", "post", first)
    observed.check("/", "post", replayed)
    assert (first.status_code, replayed.status_code) == (200, 401)
    assert replayed.json()["id"] == "token_replayed"

    closed = _with(
        make_app(replay_guard=True, replay_fail_mode="closed", store=DownStore()),
        "ValidatePurchaseOrderDraft",
    )
    document = openapi_document(closed)
    assert "replay_guard_unavailable" in reasons(document, "/ValidatePurchaseOrderDraft", 503)
    observed = Observed(document)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=closed), base_url=BASE_URL
    ) as client:
        for path in ["/", "/ValidatePurchaseOrderDraft"]:
            response = await client.post(path, json=PURCHASE, headers={**JSON, **bearer(token())})
            assert response.status_code == 503
            observed.check(path, "post", response)


@pytest.mark.anyio
async def test_the_document_is_served_by_the_app() -> None:
    app = full_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as client:
        response = await client.get(OPENAPI_PATH)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == openapi_document(app)
        assert (await client.get(OPENAPI_PATH + "/")).json() == response.json()
        assert (await client.head(OPENAPI_PATH)).status_code == 200
        refused = await client.post(OPENAPI_PATH, content=b"{}", headers=JSON)
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET, HEAD"
        assert refused.json()["id"] == "method_not_allowed"
    # Mounted under a prefix, the same document at the prefixed path.
    mounted = make_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=mounted, root_path="/mpt"), base_url=BASE_URL
    ) as client:
        assert (await client.get("/mpt" + OPENAPI_PATH)).json()["paths"].keys() == {
            "/",
            "/healthz",
            "/readyz",
            OPENAPI_PATH,
            "/_receiver/verify",
        }


# -- schemathesis ---------------------------------------------------------------------------------

# No failing handler here: any 5xx is the receiver's own.
SCHEMATHESIS_APP = full_app(failing=False)
schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, SCHEMATHESIS_APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SEEN: Counter[tuple[str, str, int]] = Counter()


@pytest.fixture(scope="module")
def seen_statuses() -> Iterator[Counter[tuple[str, str, int]]]:
    """What the run answered, per operation; checked once the operations that ran are done."""
    # A recorded call of each webhook, so the statistics routes answer 200 with call records.
    seed = {**JSON, **bearer(token())}
    unmapped = {**JSON, **bearer(token(UNMAPPED, OTHER_SECRET))}

    async def calls() -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=SCHEMATHESIS_APP), base_url=BASE_URL
        ) as client:
            await client.post("/", json=PURCHASE, headers=seed)
            await client.post("/", json={"id": "XYZ-1"}, headers=unmapped)

    asyncio.run(calls())
    yield SEEN
    # The real credentials got past the token check (and on the call routes, with their many
    # cases, the generated ones were refused).
    for method, path in {(method, path) for method, path, _ in SEEN}:
        statuses = {status for m, p, status in SEEN if (m, p) == (method, path)}
        if path == "/_receiver/verify":  # no body: a case or two, valid or not by chance
            assert statuses <= {204, 401}, (method, path, statuses)
        elif method == "POST":
            assert {200, 401} <= statuses, (method, path, statuses)
        elif path.startswith(ADMIN_PREFIX):
            assert 200 in statuses, (method, path, statuses)


CREDENTIALS = ("generated", "valid", "valid", "other")


def credentials_for(case: schemathesis.Case) -> str:
    """Which credentials a case gets, from its content: the same case always gets the same (so
    Hypothesis can replay a failure), and no ``@schema.given`` (which would turn off
    schemathesis' coverage phase: unsupported methods, wrong media types, missing bodies)."""
    content = repr((case.method, case.path, case.body, case.path_parameters, case.media_type))
    return CREDENTIALS[zlib.crc32(content.encode("utf-8", "surrogatepass")) % len(CREDENTIALS)]


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_schemathesis(
    case: schemathesis.Case, seen_statuses: Counter[tuple[str, str, int]]
) -> None:
    """No 5xx, and every answer as documented, with generated and real credentials."""
    credentials = credentials_for(case)
    headers = dict(case.headers or {})
    if case.operation.method.upper() == "POST" and credentials != "generated":
        webhook = (UNMAPPED, OTHER_SECRET) if credentials == "other" else (MAPPED, SECRET)
        headers["Authorization"] = f"Bearer {token(*webhook)}"
    elif case.path.startswith(ADMIN_PREFIX) and (
        credentials != "generated" or "Authorization" not in headers
    ):
        # The statistics routes: the admin token, except for "generated" cases that carry a
        # generated header; "valid" cases ask for a webhook with calls recorded (200), "other"
        # ones for the generated id (404 mostly). Not only when schemathesis generated no
        # header: it often does, and which cases those are changes with the hash seed.
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        if case.path_parameters and credentials == "valid":
            case.path_parameters = {"webhook_id": MAPPED}
    case.headers = headers
    response = case.call_and_validate(checks=CHECKS)
    if case.method.upper() != case.operation.method.upper():
        # The coverage phase's undocumented methods: 405 naming the documented ones.
        assert response.status_code == 405, (case.method, case.path, response.status_code)
        expected = "POST" if case.operation.method.upper() == "POST" else "GET, HEAD"
        assert response.headers["allow"] == [expected]
        assert response.json()["id"] == "method_not_allowed"
        return
    seen_statuses[(case.method, case.path, response.status_code)] += 1
