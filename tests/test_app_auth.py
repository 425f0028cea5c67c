"""Every refusal of the receiving path's verification step, through HTTP, with tokens minted by
PyJWT (never by our own module): the attack matrix of the issue, and what a refusal looks like."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from receiver import Receiver
from tests.conftest import OTHER_SECRET, SECRET, WEBHOOK_ID, post, pyjwt_token

pytestmark = pytest.mark.anyio


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)]
    )


def now_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": "mpt", "iat": now, "nbf": now, "exp": now + 300, "webhook_id": WEBHOOK_ID}
    claims.update(overrides)
    return claims


def rsa_public_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def alg_confusion_token() -> str:
    # The classic attack: sign HS256 with the server's *public* key as the HMAC secret.
    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64(json.dumps(now_claims()).encode())
    mac = hmac.new(rsa_public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(mac)}"


def replace_signature(token: str, junk: str) -> str:
    head, payload, _ = token.split(".")
    return f"{head}.{payload}.{junk}"


def echo_app(**options: Any) -> Receiver:
    options.setdefault("secrets", {WEBHOOK_ID: SECRET})
    app = Receiver(**options)

    @app.validate_purchase_order_draft
    def accept(order: dict[str, Any]) -> dict[str, Any]:
        return order

    return app


def now() -> int:
    # Read at mint time: the suite runs for minutes, a module-level "now" would age.
    return int(time.time())


ATTACKS = [
    pytest.param(lambda: "", "missing_token", id="empty-bearer"),
    pytest.param(
        lambda: handmade({"alg": "none", "typ": "JWT"}, now_claims()),
        "algorithm_not_allowed",
        id="alg-none-unsigned",
    ),
    pytest.param(
        lambda: handmade({"alg": "none"}, now_claims(), b"whatever"),
        "algorithm_not_allowed",
        id="alg-none-with-signature",
    ),
    pytest.param(
        lambda: handmade({"alg": "RS256", "typ": "JWT"}, now_claims(), b"x" * 256),
        "algorithm_not_allowed",
        id="alg-rs256",
    ),
    pytest.param(
        lambda: jwt.encode(now_claims(), SECRET * 2, algorithm="HS512"),
        "algorithm_not_allowed",
        id="alg-hs512",
    ),
    pytest.param(
        lambda: handmade({"alg": "hs256"}, now_claims(), b"x" * 32),
        "algorithm_not_allowed",
        id="alg-lowercase",
    ),
    pytest.param(alg_confusion_token, "bad_signature", id="public-key-as-hmac-secret"),
    pytest.param(lambda: pyjwt_token().rsplit(".", 1)[0], "malformed_token", id="two-segments"),
    pytest.param(lambda: pyjwt_token() + ".extra", "malformed_token", id="four-segments"),
    pytest.param(lambda: "not-a-jwt", "malformed_token", id="one-segment"),
    pytest.param(
        lambda: replace_signature(pyjwt_token(), "!!!!"), "malformed_token", id="bad-base64"
    ),
    pytest.param(
        lambda: replace_signature(pyjwt_token(), pyjwt_token().split(".")[2] + "=="),
        "malformed_token",
        id="bad-padding",
    ),
    pytest.param(lambda: "e30.e30.", "algorithm_not_allowed", id="empty-header-object"),
    pytest.param(lambda: "W10.e30.", "malformed_token", id="header-not-an-object"),
    pytest.param(lambda: pyjwt_token(exp=None), "missing_claim", id="missing-exp"),
    pytest.param(lambda: pyjwt_token(webhook_id=None), "missing_claim", id="missing-webhook-id"),
    pytest.param(lambda: pyjwt_token(webhook_id=12345), "missing_claim", id="webhook-id-not-str"),
    pytest.param(
        lambda: pyjwt_token(iat=now() - 345, nbf=now() - 345, exp=now() - 45),
        "expired",
        id="expired",
    ),
    pytest.param(lambda: pyjwt_token(nbf=now() + 600), "not_yet_valid", id="future-nbf"),
    pytest.param(lambda: pyjwt_token(iat=now() + 600), "not_yet_valid", id="future-iat"),
    pytest.param(
        lambda: pyjwt_token(iat=now() - 1000, nbf=now() - 1000, exp=now() + 300),
        "too_old",
        id="too-old",
    ),
    pytest.param(lambda: pyjwt_token(secret=OTHER_SECRET), "bad_signature", id="wrong-secret"),
    pytest.param(
        lambda: pyjwt_token(webhook_id="WBH-0000-0000"), "unknown_webhook", id="forged-webhook-id"
    ),
    pytest.param(lambda: pyjwt_token(padding="x" * 100_000), "malformed_token", id="token-100kB"),
    pytest.param(lambda: pyjwt_token(exp="soon"), "invalid_claim", id="exp-not-a-number"),
]


@pytest.mark.parametrize(("make_token", "reason"), ATTACKS)
async def test_refused_with_named_reason(make_token: Any, reason: str, purchase_order: Any) -> None:
    token = make_token()
    response = await post(echo_app(), purchase_order, token=token)
    assert response.status_code == 401
    body = response.json()
    assert body["id"] == reason
    assert body["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Never echo the token or a secret.
    for leak in (SECRET, OTHER_SECRET):
        assert leak not in response.text
    if token:
        assert token not in response.text
        for segment in token.split("."):
            if len(segment) > 8:
                assert segment not in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Token abc.def.ghi", id="other-scheme"),
        pytest.param("JWT " + "abc.def.ghi", id="jwt-scheme-of-an-old-mock"),
    ],
)
async def test_authorization_header_must_be_bearer(
    authorization: str | None, purchase_order: Any
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=echo_app()), base_url="https://x"
    ) as client:
        response = await client.post("/", json=purchase_order, headers=headers)
    assert response.status_code == 401
    assert response.json()["id"] == "missing_token"


async def test_rotation_accepts_old_and_new_secret(purchase_order: Any) -> None:
    app = echo_app(secrets={WEBHOOK_ID: [OTHER_SECRET, SECRET]})
    for secret in (OTHER_SECRET, SECRET):
        response = await post(app, purchase_order, token=pyjwt_token(secret=secret))
        assert response.status_code == 200, response.text
    third = "third-secret-third-secret-third-secret"
    response = await post(app, purchase_order, token=pyjwt_token(secret=third))
    assert response.json()["id"] == "bad_signature"


async def test_leeway_tolerates_small_clock_skew(purchase_order: Any) -> None:
    now = int(time.time())
    skewed = pyjwt_token(iat=now + 20, nbf=now + 20, exp=now + 320)
    assert (await post(echo_app(), purchase_order, token=skewed)).status_code == 200
    assert (await post(echo_app(leeway=0), purchase_order, token=skewed)).status_code == 401


async def test_max_token_age_none_disables_the_age_check(purchase_order: Any) -> None:
    old = pyjwt_token(iat=now() - 5000, nbf=now() - 5000, exp=int(time.time()) + 300)
    assert (await post(echo_app(max_token_age=None), purchase_order, token=old)).status_code == 200


async def test_audience_is_not_checked_by_default(purchase_order: Any) -> None:
    # The platform's real aud is unknown (platform.md §1.3): any aud passes unless configured.
    token = pyjwt_token(aud="somewhere-else.example.com")
    assert (await post(echo_app(), purchase_order, token=token)).status_code == 200


@pytest.mark.parametrize(
    ("options", "claims", "reason"),
    [
        pytest.param({"issuer": "mpt"}, {"iss": "evil"}, "wrong_issuer", id="wrong-issuer"),
        pytest.param({"issuer": "mpt"}, {"iss": None}, "missing_claim", id="missing-issuer"),
        pytest.param(
            {"audience": "vendor-ext.example.com"},
            {"aud": "other.example.com"},
            "wrong_audience",
            id="wrong-audience",
        ),
        pytest.param(
            {"audience": "vendor-ext.example.com"},
            {"aud": None},
            "missing_claim",
            id="missing-audience",
        ),
    ],
)
async def test_issuer_and_audience_when_configured(
    options: dict[str, Any], claims: dict[str, Any], reason: str, purchase_order: Any
) -> None:
    app = echo_app(**options)
    assert (await post(app, purchase_order)).status_code == 200
    response = await post(app, purchase_order, token=pyjwt_token(**claims))
    assert response.status_code == 401
    assert response.json()["id"] == reason


async def test_refusals_never_log_the_token_or_secret(
    purchase_order: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = echo_app()
    tokens = [pyjwt_token(secret=OTHER_SECRET), pyjwt_token(exp=now() - 100), pyjwt_token()]
    for token in tokens:
        await post(app, purchase_order, token=token)
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert logged
    for token in tokens:
        assert token not in logged
        assert token.split(".")[2] not in logged
    assert SECRET not in logged
    assert OTHER_SECRET not in logged


async def test_secret_lookup_failure_is_a_401_not_a_500(purchase_order: Any) -> None:
    def broken(webhook_id: str) -> str:
        raise RuntimeError("platform API down")

    response = await post(echo_app(secrets=broken), purchase_order)
    assert response.status_code == 401
    assert response.json()["id"] == "secret_unavailable"
    assert "platform API down" not in response.text


async def test_async_callable_secrets(purchase_order: Any) -> None:
    async def lookup(webhook_id: str) -> str | None:
        return SECRET if webhook_id == WEBHOOK_ID else None

    app = echo_app(secrets=lookup)
    assert (await post(app, purchase_order)).status_code == 200
    forged = await post(app, purchase_order, token=pyjwt_token(webhook_id="WBH-9999-9999"))
    assert forged.json()["id"] == "unknown_webhook"


def _raising_source(webhook_id: str) -> str:
    raise RuntimeError(f"lookup failed for {webhook_id}")


def _no_secret(webhook_id: str) -> str | None:
    return None


@pytest.mark.parametrize(
    "secrets",
    [
        pytest.param(None, id="static"),
        pytest.param(_raising_source, id="lookup-raises"),
        pytest.param(_no_secret, id="lookup-finds-nothing"),
    ],
)
async def test_no_refusal_path_logs_the_authorization_header(
    secrets: Any, purchase_order: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Every way a token is refused, secret lookups included: neither the header nor any part of
    the token reaches a log record (message, arguments or attributes)."""
    caplog.set_level(logging.DEBUG)
    app = echo_app() if secrets is None else echo_app(secrets=secrets)
    tokens = [
        pyjwt_token(secret=OTHER_SECRET),
        pyjwt_token(exp=now() - 100),
        pyjwt_token(),
        pyjwt_token(webhook_id="WBH-0000-0001"),
    ]
    for token in tokens:
        await post(app, purchase_order, token=token)
    logged = "\n".join(
        record.getMessage() + repr(record.__dict__) + repr(record.args) for record in caplog.records
    )
    assert logged
    for token in tokens:
        for part in (token, *token.split(".")):
            assert part not in logged
    assert SECRET not in logged
    assert OTHER_SECRET not in logged
