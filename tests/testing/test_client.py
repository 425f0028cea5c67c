"""receiver.testing.client: PlatformClient in-process (sync and async) and over real loopback
HTTP, CallResult's verdicts and printing, and bind_platform's wiring."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from receiver import CallContext, Order, Receiver
from receiver.errors import (
    ParameterNotFoundError,
    SecretConfigurationError,
    UnknownWebhookTypeError,
)
from receiver.models import MODEL_BY_OBJECT_TYPE
from receiver.testing import CallResult, PlatformClient, bind_platform, samples, sign_token
from receiver.testing.client import find_receiver, new_webhook_id
from receiver.types import WebhookType
from tests.testing.conftest import SECRET, WEBHOOK_ID, passthrough_receiver

SAMPLE_CASES = [
    pytest.param(name, samples.info(name).webhook_type, id=name) for name in samples.NAMES
]


def check_accepted(result: CallResult, name: str, sent: dict[str, Any]) -> None:
    assert result.status == 200, result
    assert result.accepted, result
    assert not result.refused, result
    assert result.request == sent
    assert not result.changes, result.changes
    assert isinstance(result.object, samples.model_for(name))
    assert result.object.to_dict() == sent
    assert result.error is None
    assert result.reason is None


@pytest.mark.parametrize(("name", "webhook_type"), SAMPLE_CASES)
def test_every_sample_is_accepted_in_process(
    passthrough_app: Receiver, name: str, webhook_type: str
) -> None:
    platform = PlatformClient(passthrough_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    sent = samples.get(name)
    check_accepted(platform.call(webhook_type, sent), name, sent)


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "webhook_type"), SAMPLE_CASES)
async def test_every_sample_is_accepted_in_process_async(
    passthrough_app: Receiver, name: str, webhook_type: str
) -> None:
    platform = PlatformClient(passthrough_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    sent = samples.get(name)
    check_accepted(await platform.acall(webhook_type, sent), name, sent)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "webhook_type"), SAMPLE_CASES)
def test_every_sample_is_accepted_over_http(live_url: str, name: str, webhook_type: str) -> None:
    # The webhook's URL names its type, as a vendor registers it.
    platform = PlatformClient(f"{live_url}{webhook_type}", secret=SECRET, webhook_id=WEBHOOK_ID)
    sent = samples.get(name)
    check_accepted(platform.call(webhook_type, sent), name, sent)


@pytest.mark.slow
@pytest.mark.anyio
async def test_every_sample_is_accepted_over_http_async(live_url: str) -> None:
    platform = PlatformClient(live_url, secret=SECRET, webhook_id=WEBHOOK_ID)
    for name in samples.NAMES:
        webhook_type = samples.info(name).webhook_type
        sent = samples.get(name)
        result = await platform.acall(webhook_type, sent, path=webhook_type)
        check_accepted(result, name, sent)
        assert result.path == f"{live_url}{webhook_type}"


@pytest.mark.slow
def test_https_with_a_self_signed_certificate(live_tls_url: str) -> None:
    trusting = PlatformClient(live_tls_url, secret=SECRET, webhook_id=WEBHOOK_ID, verify=False)
    assert trusting.call("ValidateAccount", path="/ValidateAccount").accepted
    assert trusting.call("ValidateAccount", path="/ValidateAccount").accepted  # cached context

    checking = PlatformClient(live_tls_url, secret=SECRET, webhook_id=WEBHOOK_ID)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        checking.call("ValidateAccount", path="/ValidateAccount")


@pytest.mark.slow
@pytest.mark.anyio
async def test_https_async(live_tls_url: str) -> None:
    platform = PlatformClient(live_tls_url, secret=SECRET, webhook_id=WEBHOOK_ID, verify=False)
    assert (await platform.acall("ValidateAccount", path="ValidateAccount")).accepted


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.mark.slow
def test_timeouts_over_http(silent_port: int) -> None:
    platform = PlatformClient(
        f"http://127.0.0.1:{silent_port}/hook", secret=SECRET, webhook_id=WEBHOOK_ID, timeout=0.2
    )
    with pytest.raises(TimeoutError, match=r"No answer to ValidateAccount from http://127\.0"):
        platform.call("ValidateAccount")

    async def main() -> None:
        with pytest.raises(TimeoutError, match=r"within 0\.2 s"):
            await platform.acall("ValidateAccount")

    anyio.run(main)


def test_timeouts_in_process() -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, deadline=30)

    @app.validate_account
    async def slow(account: Any) -> Any:
        await anyio.sleep(5)
        return account

    platform = PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID, timeout=0.1)
    with pytest.raises(TimeoutError, match=r"did not answer /ValidateAccount within 0\.1 s"):
        platform.call("ValidateAccount")


# --- what is sent ------------------------------------------------------------------------------


@pytest.fixture
def echo_app() -> Receiver:
    """Answers every order type with what the handler saw: type, headers (no token) and body."""
    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    seen: dict[str, Any] = {}

    def record(order: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        seen.update(type=ctx.webhook_type, headers=dict(ctx.headers), claims=dict(ctx.claims))
        return order

    app.add_handler("ValidatePurchaseOrderDraft", record, raw=True)
    app.seen = seen  # type: ignore[attr-defined]
    return app


def test_types_in_either_casing_default_path_and_payload(echo_app: Receiver) -> None:
    platform = PlatformClient(echo_app, secret=SECRET, webhook_id=WEBHOOK_ID, audience="aud-1")
    model = Order.from_dict(samples.purchase_order())

    result = platform.call("validatePurchaseOrderDraft", model, headers={"X-Forwarded-Host": "h"})

    assert result.path == "/ValidatePurchaseOrderDraft"
    assert result.webhook_type == "ValidatePurchaseOrderDraft"
    assert result.request == model.to_dict()
    seen = echo_app.seen  # type: ignore[attr-defined]
    assert seen["type"] == "ValidatePurchaseOrderDraft"
    assert seen["headers"]["x-forwarded-host"] == "h"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["claims"]["aud"] == "aud-1"
    assert seen["claims"]["iss"] == "mpt"
    assert platform.calls[-1] is result

    assert platform.call("ValidatePurchaseOrderDraft").request["type"] == "Purchase"  # a sample


def test_unknown_types_and_bad_payloads(echo_app: Receiver) -> None:
    platform = PlatformClient(echo_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    with pytest.raises(UnknownWebhookTypeError, match="Did you mean 'ValidatePurchaseOrderDraft'"):
        platform.call("ValidatePurchaseOrderDrat", {"id": "ORD-1"})
    with pytest.raises(TypeError, match="dict or a model"):
        platform.call("ValidatePurchaseOrderDraft", "ORD-1")
    with pytest.raises(TypeError, match="cannot be sent as JSON"):
        platform.call("ValidatePurchaseOrderDraft", {"id": "ORD-1", "x": {1, 2}})
    with pytest.raises(TypeError, match="cannot be sent as JSON"):
        platform.call("ValidatePurchaseOrderDraft", {"id": "ORD-1", "x": float("nan")})


def test_the_payload_is_copied(echo_app: Receiver) -> None:
    platform = PlatformClient(echo_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    sent = samples.purchase_order()
    result = platform.call("ValidatePurchaseOrderDraft", sent)
    sent["notes"] = "changed later"
    assert result.request["notes"] != "changed later"
    assert not result.changes


def test_headers_none_removes_ours_and_tokens_can_be_replaced(echo_app: Receiver) -> None:
    platform = PlatformClient(echo_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    no_auth = platform.call("ValidatePurchaseOrderDraft", headers={"Authorization": None})
    assert (no_auth.status, no_auth.reason) == (401, "missing_token")
    other = platform.call("ValidatePurchaseOrderDraft", token=sign_token(SECRET, "WBH-0000-0000"))
    assert other.reason == "unknown_webhook"
    assert platform.call("ValidatePurchaseOrderDraft", token=platform.token(jti="x")).accepted


def test_paths(echo_app: Receiver) -> None:
    platform = PlatformClient(echo_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    assert platform.path_for("validateAccount") == "/ValidateAccount"
    assert platform.path_for("ValidateAccount", "/") == "/"
    assert platform.path_for("ValidateAccount", "x/y") == "/x/y"
    mounted = PlatformClient(echo_app, secret=SECRET, webhook_id=WEBHOOK_ID, base_path="mpt/")
    assert mounted.path_for("ValidateAccount") == "/mpt/ValidateAccount"
    assert mounted.path_for("ValidateAccount", "/") == "/mpt/"
    remote = PlatformClient(
        httpx.URL("https://vendor.example/api/hook?x=1"), secret=SECRET, webhook_id=WEBHOOK_ID
    )
    assert remote.is_http
    assert not platform.is_http
    assert remote.path_for("ValidateAccount") == "https://vendor.example/api/hook?x=1"
    assert remote.path_for("ValidateAccount", "/") == "https://vendor.example/api/hook/?x=1"
    assert remote.path_for("ValidateAccount", "/More") == "https://vendor.example/api/hook/More?x=1"


def test_the_shared_url(echo_app: Receiver) -> None:
    platform = PlatformClient(echo_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    result = platform.call("ValidatePurchaseOrderDraft", path="/")
    assert result.accepted
    assert repr(result).startswith("<CallResult ValidatePurchaseOrderDraft at / ORD-")
    # The receiver routes POST / by the body: an Account there has no handler.
    assert platform.call("ValidateAccount", path="/").reason == "no_handler"


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        ("ftp://vendor.example/", ValueError, "http"),
        ("vendor.example", ValueError, "http"),
        (42, TypeError, "not an int"),
    ],
)
def test_bad_targets(target: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        PlatformClient(target, secret=SECRET, webhook_id=WEBHOOK_ID)


def test_bad_options() -> None:
    app = passthrough_receiver()
    with pytest.raises(ValueError, match="webhook_id"):
        PlatformClient(app, secret=SECRET, webhook_id="")
    with pytest.raises(SecretConfigurationError, match="empty"):
        PlatformClient(app, secret="", webhook_id=WEBHOOK_ID)
    with pytest.raises(ValueError, match="timeout"):
        PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID, timeout=0)


def test_the_client_never_shows_its_secret() -> None:
    platform = PlatformClient(passthrough_receiver(), secret=SECRET, webhook_id=WEBHOOK_ID)
    assert repr(platform) == f"PlatformClient(Receiver, webhook_id='{WEBHOOK_ID}')"
    assert platform.secret == SECRET
    assert platform.webhook_id == WEBHOOK_ID
    assert platform.audience is None
    assert platform.target is not None
    remote = PlatformClient("https://vendor.example/x", secret=SECRET, webhook_id=WEBHOOK_ID)
    assert repr(remote) == f"PlatformClient(https://vendor.example/x, webhook_id='{WEBHOOK_ID}')"


def test_sync_calls_work_inside_a_running_event_loop(passthrough_app: Receiver) -> None:
    platform = PlatformClient(passthrough_app, secret=SECRET, webhook_id=WEBHOOK_ID)

    async def main() -> bool:
        return platform.call("ValidateAccount").accepted

    assert asyncio.run(main())


@pytest.mark.anyio
async def test_concurrent_async_calls(passthrough_app: Receiver) -> None:
    platform = PlatformClient(passthrough_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    results = await asyncio.gather(*(platform.acall("ValidateAccount") for _ in range(5)))
    assert len({r.object_id for r in results}) == 5
    assert all(r.accepted for r in results)
    assert {id(r) for r in platform.calls} == {id(r) for r in results}  # in completion order


# --- results -----------------------------------------------------------------------------------


@pytest.fixture
def refusing_platform() -> PlatformClient:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        if not order.parameter("companyName").value:
            order.parameter("companyName").set_error("ACME001", "Company name is required.")
        if order.all_lines() and (order.all_lines()[0].quantity or 0) > 100:
            order.set_error("ACME010", "Too many seats.")
        return order

    @app.validate_change_order_draft
    def broken(order: Order) -> Order:
        raise RuntimeError("bug")

    app.add_handler("ValidateRequest", lambda request: request)
    return PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)


def test_a_parameter_refusal(refusing_platform: PlatformClient) -> None:
    sent = samples.purchase_order(parameters={"companyName": ""})
    result = refusing_platform.call("ValidatePurchaseOrderDraft", sent)

    assert result.status == 200
    assert result.refused
    assert not result.accepted
    assert result.error is None
    assert result.parameter_error("companyName") == {
        "id": "ACME001",
        "message": "Company name is required.",
    }
    assert result.parameter_error("address") is None
    assert result.parameter("companyName")["constraints"]["hidden"] is False
    assert result.parameter("customerId")["value"] is None  # fulfillment too
    with pytest.raises(ParameterNotFoundError, match=r"'companyNme'.*'companyName'"):
        result.parameter_error("companyNme")
    assert isinstance(result.object, Order)
    assert result.json["id"] == result.object_id == sent["id"]
    assert result.text.startswith('{"id":')
    assert result.body.startswith(b"{")
    assert result.headers["content-type"] == "application/json"
    assert 0 < result.duration < 5


def test_an_order_refusal(refusing_platform: PlatformClient) -> None:
    sent = samples.purchase_order(lines=[{"quantity": 500}])
    result = refusing_platform.call("ValidatePurchaseOrderDraft", sent)
    assert result.refused
    assert result.error == {"id": "ACME010", "message": "Too many seats."}
    assert str(result.changes) == "order: error set ACME010 'Too many seats.'"


def test_an_openapi_request_refusal() -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_request
    def check(request: Any) -> Any:
        request.parameter("tenantDomain").set_error("TEN001", "Already in use.")
        request.set_error(None, "Tenant domain is already in use.")
        return request

    platform = PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)
    result = platform.call("ValidateRequest", samples.request(shape="openapi"))
    assert result.refused
    assert result.error == {"message": "Tenant domain is already in use."}
    assert result.parameter_error("tenantDomain") == {"id": "TEN001", "message": "Already in use."}
    assert "answer: error 'Tenant domain is already in use.', parameter tenantDomain error" in repr(
        result
    )


def test_failures_have_a_reason_and_no_verdict(refusing_platform: PlatformClient) -> None:
    failed = refusing_platform.call("ValidateChangeOrderDraft")
    assert (failed.status, failed.reason) == (500, "handler_failed")
    assert not failed.accepted
    assert not failed.refused
    assert failed.error is None
    assert failed.object is None
    assert not failed.changes
    with pytest.raises(ValueError, match="HTTP 500, not with an object"):
        failed.parameter("companyName")
    assert refusing_platform.call("ValidateAccount").reason == "no_handler"


def plain_app(status: int, body: bytes, content_type: bytes = b"text/plain") -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", content_type)],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(
    ("status", "body", "verdict", "answer"),
    [
        (200, b"not json", "200, not a JSON object", "not json"),
        (200, b"[1, 2]", "200, not a JSON object", "[1,2]"),
        (502, b"", "502", "(empty body)"),
        (500, b'{"id": 5}', "500", '{"id":5}'),
    ],
)
def test_answers_that_are_not_objects(status: int, body: bytes, verdict: str, answer: str) -> None:
    platform = PlatformClient(plain_app(status, body), secret=SECRET, webhook_id=WEBHOOK_ID)
    result = platform.call("ValidateAccount", {"id": "ACC-1"})
    assert not result.accepted
    assert not result.refused
    assert result.reason is None
    assert result.object is None
    assert not result.changes
    assert f": {verdict}; answer: {answer}; changes: none>" in repr(result)


def test_an_answer_that_does_not_parse_has_no_object() -> None:
    platform = PlatformClient(plain_app(200, b'{"id": 5}'), secret=SECRET, webhook_id=WEBHOOK_ID)
    result = platform.call("ValidateAccount", {"id": "ACC-1"})
    assert result.json == {"id": 5}
    assert result.object is None
    answer = CallResult(
        webhook_type=WebhookType("SomethingNew"),
        path="/",
        request={"id": "X-1"},
        status=200,
        body=b'{"id": "X-1"}',
        headers={},
        duration=0.0,
    )
    assert answer.object is None
    assert answer.accepted
    assert str(answer.changes) == "no changes"


def test_repr_and_describe_are_complete_and_never_show_secrets() -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        order.parameter("companyName").set_error("ACME001", "Company name is required.")
        return order

    platform = PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)
    token = platform.token()
    sent = samples.purchase_order(error={"id": "OLD", "message": "stale"})
    result = platform.call("ValidatePurchaseOrderDraft", sent, token=token)

    text = repr(result)
    assert text.startswith(
        f"<CallResult /ValidatePurchaseOrderDraft {sent['id']}:"
        " 200 refused; answer: parameter companyName error ACME001 'Company name is required.';"
        " changes: parameter companyName: error set ACME001 'Company name is required.'"
        " (+1 previous error(s) cleared)>"
    )
    full = result.describe()
    assert full == str(result)
    assert full.splitlines()[0].startswith(
        f"ValidatePurchaseOrderDraft POST /ValidatePurchaseOrderDraft {sent['id']} -> 200 refused"
    )
    assert f"request: {sent['id']} type='Purchase' status='Draft' product='PRD-1111-1111'" in full
    assert "  parameters.ordering: companyName='Contoso Ltd', address={" in full
    assert "  lines: ALI-" in full
    assert "0 -> 5 unitPP=100.0" in full
    assert "\nchanges:\n  parameter companyName: error set ACME001" in full
    assert "  order: error cleared (was OLD 'stale')" in full
    for shown in (text, full, repr(platform), str(vars(result))):
        assert SECRET not in shown
        assert token not in shown


def test_tokens_an_app_echoes_are_masked() -> None:
    async def echo(scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope["headers"])
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": headers[b"authorization"]})

    platform = PlatformClient(echo, secret=SECRET, webhook_id=WEBHOOK_ID)
    token = platform.token()
    result = platform.call("ValidateAccount", {"id": "ACC-1"}, token=token)
    assert token in result.text  # the body is what came...
    assert token not in repr(result)
    assert token not in result.describe()
    assert "Bearer <token>" in repr(result)


def test_request_summaries_of_other_objects(passthrough_app: Receiver) -> None:
    platform = PlatformClient(passthrough_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    answer = platform.call("ValidateAnswer", samples.answer(seed=1)).describe()
    assert 'request: ANS-3201-2033\n  {"form":{"id":"FRM-1111-1111"' in answer
    odd = platform.call("ValidateAccount", {"id": "ACC-1"}).describe()
    assert "request: ACC-1\nanswer: no error\nchanges: none" in odd
    lines = platform.call(
        "SelectOrderLines",
        {"id": "ORD-1", "lines": [5, {"quantity": 1}], "parameters": [{"externalId": "a"}]},
    ).describe()
    assert "  lines: 5; (no id) ? ? -> 1" in lines
    assert "  parameters: a=None" in lines


# --- bind_platform -----------------------------------------------------------------------------


def test_bind_platform_trusts_a_test_webhook_and_restores_the_app() -> None:
    app = passthrough_receiver()
    original = app.secret_source
    real = PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)

    with bind_platform(app) as platform:
        assert platform.webhook_id != WEBHOOK_ID
        assert platform.webhook_id.startswith("WBH-")
        assert len(platform.webhook_id) == 13
        assert len(str(platform.secret)) >= 40
        assert platform.call("ValidateAccount").accepted
        assert real.call("ValidateAccount").accepted  # the app's own webhooks still work
        source = app.secret_source
        assert source is not None
        assert source.known_webhook_ids() == {WEBHOOK_ID, platform.webhook_id}
        assert "TestWebhookSecrets" in repr(source)
        assert str(platform.secret) not in repr(source)

    assert app.secret_source is original
    assert platform.call("ValidateAccount").reason == "unknown_webhook"


def test_bind_platform_without_a_source_reads_no_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECEIVER_SECRETS", json.dumps({WEBHOOK_ID: SECRET}))
    app = passthrough_receiver()
    app.secret_source = None  # as Receiver() without secrets= is before it starts

    with bind_platform(app, webhook_id="WBH-1234-5678", secret=SECRET + "-test") as platform:
        assert platform.call("ValidateAccount").accepted
        source = app.secret_source
        assert source is not None
        assert source.known_webhook_ids() == {"WBH-1234-5678"}
        env_signed = PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)
        assert env_signed.call("ValidateAccount").reason == "unknown_webhook"

    # The receiver started meanwhile: without a source it reads RECEIVER_SECRETS at its next
    # call, as its startup would have.
    assert app.secret_source is None
    assert env_signed.call("ValidateAccount").accepted
    source = app.secret_source
    assert source is not None
    assert source.known_webhook_ids() == {WEBHOOK_ID}


def test_bind_platform_before_startup_restores_none() -> None:
    app = Receiver()
    with bind_platform(app):
        pass
    assert app.secret_source is None


def test_bind_platform_with_an_open_ended_source() -> None:
    app = Receiver(secrets=lambda webhook_id: SECRET if webhook_id == WEBHOOK_ID else None)
    app.add_handler("ValidateAccount", lambda account: account)
    with bind_platform(app) as platform:
        source = app.secret_source
        assert source is not None
        assert source.known_webhook_ids() is None
        assert platform.call("ValidateAccount").accepted
        assert (
            PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)
            .call("ValidateAccount")
            .accepted
        )


def test_bind_platform_routes_the_shared_url_like_the_app_does() -> None:
    def make() -> Receiver:
        app = Receiver(
            secrets={WEBHOOK_ID: SECRET}, webhooks={WEBHOOK_ID: "ValidatePurchaseOrderDraft"}
        )
        app.add_handler("ValidatePurchaseOrderDraft", lambda order: order)

        @app.select_order_lines
        def add_line(order: Order) -> Order:
            order.add_line("ITM-1111-1111-0002", 1)
            return order

        return app

    app = make()
    with bind_platform(app) as platform:
        selected = platform.call("SelectOrderLines", path="/")
        assert [c.kind for c in selected.changes] == ["line_added"]
        assert not platform.call("ValidatePurchaseOrderDraft", path="/").changes
        assert app.webhooks[platform.webhook_id] == "ValidatePurchaseOrderDraft"
    assert app.webhooks == {WEBHOOK_ID: "ValidatePurchaseOrderDraft"}

    # A test webhook id the app maps already keeps its mapping afterwards.
    app = make()
    with bind_platform(app, webhook_id=WEBHOOK_ID, secret="another-secret-another-secret-01") as p:
        p.call("SelectOrderLines", path="/")
    assert app.webhooks == {WEBHOOK_ID: "ValidatePurchaseOrderDraft"}

    # Without a webhooks= map the body decides, as in production: both handlers fit.
    unmapped = Receiver(secrets={WEBHOOK_ID: SECRET})
    unmapped.add_handler("ValidatePurchaseOrderDraft", lambda order: order)
    unmapped.add_handler("SelectOrderLines", lambda order: order)
    with bind_platform(unmapped) as platform:
        assert platform.call("SelectOrderLines", path="/").reason == "ambiguous_webhook_type"
        assert platform.call("SelectOrderLines").accepted
    assert unmapped.webhooks == {}


class Wrapper:
    """A middleware that keeps the wrapped app as ``.app``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def test_bind_platform_finds_a_mounted_receiver() -> None:
    receiver = passthrough_receiver()
    outer = Wrapper(Starlette(routes=[Mount("/api", routes=[Mount("/mpt/", app=receiver)])]))

    assert find_receiver(outer) == (receiver, "/api/mpt")
    assert find_receiver(Starlette()) is None
    assert find_receiver(Wrapper(None)) is None
    with bind_platform(outer) as platform:
        result = platform.call("ValidateAccount")
        assert result.path == "/api/mpt/ValidateAccount"
        assert result.accepted
        assert platform.call("ValidateAccount", path="/").accepted


class Route:
    def __init__(self, app: Any, path: Any) -> None:
        self.app, self.path = app, path


def test_find_receiver_is_bounded_and_skips_odd_routes() -> None:
    receiver = passthrough_receiver()
    deep: Any = receiver
    for _ in range(12):
        deep = Wrapper(deep)
    assert find_receiver(deep) is None  # give up rather than walk forever
    odd = Wrapper(receiver)
    odd.routes = [Route(None, "/a"), Route(receiver, None), Route(receiver, "/b")]  # type: ignore[attr-defined]
    assert find_receiver(odd) == (receiver, "/b")


def test_bind_platform_needs_a_receiver() -> None:
    with (
        pytest.raises(LookupError, match=r"No receiver\.Receiver found in function"),
        bind_platform(plain_app(200, b"")),
    ):
        pass  # pragma: no cover


def test_new_webhook_ids_avoid_taken_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([234, 234, 234, 234, 1, 2])
    monkeypatch.setattr("receiver.testing.client.secrets.randbelow", lambda n: next(draws))
    assert new_webhook_id(frozenset({"WBH-1234-1234"})) == "WBH-1001-1002"


def test_results_parse_into_the_types_model(passthrough_app: Receiver) -> None:
    platform = PlatformClient(passthrough_app, secret=SECRET, webhook_id=WEBHOOK_ID)
    for name in ("account", "request", "enrollment", "answer"):
        result = platform.call(samples.info(name).webhook_type, samples.get(name))
        kind = result.webhook_type.object_type
        assert kind is not None
        assert isinstance(result.object, MODEL_BY_OBJECT_TYPE[kind])
