"""receiver.testing.signing: the platform's token, checked independently with PyJWT, and the
broken variants, each refused by a real Receiver with its own reason code."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from receiver import Receiver, tokens
from receiver.testing import (
    PlatformClient,
    expired_token,
    not_yet_valid_token,
    sign_token,
    tampered_token,
    token_without,
    wrong_secret_token,
)
from receiver.testing.signing import DEFAULT_TTL
from tests.testing.conftest import SECRET, WEBHOOK_ID


def pyjwt_claims(token: str, **options: Any) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, SECRET, algorithms=["HS256"], options={"verify_aud": False, **options}
    )
    return claims


def test_sign_token_makes_the_platforms_claims() -> None:
    token = sign_token(SECRET, WEBHOOK_ID, now=1_767_225_600, audience="vendor-ext.example.com")

    claims = pyjwt_claims(token, verify_exp=False, verify_iat=False)
    assert claims == {
        "iss": "mpt",
        "aud": "vendor-ext.example.com",
        "iat": 1_767_225_600,
        "nbf": 1_767_225_600,
        "exp": 1_767_225_600 + DEFAULT_TTL,
        "webhook_id": WEBHOOK_ID,
    }
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_sign_token_is_current_by_default_and_takes_ttl_and_claims() -> None:
    before = int(time.time())
    claims = pyjwt_claims(sign_token(SECRET, WEBHOOK_ID, ttl=60, jti="call-1", iss=None))
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == 60
    assert claims["jti"] == "call-1"
    assert "iss" not in claims
    assert "aud" not in claims


def test_bytes_secrets_work_too() -> None:
    token = sign_token(SECRET.encode(), WEBHOOK_ID)
    assert tokens.verify(token, [SECRET.encode()])["webhook_id"] == WEBHOOK_ID


def test_expired_token_fails_on_exp_only() -> None:
    now = time.time()
    token = expired_token(SECRET, WEBHOOK_ID, now=now)
    with pytest.raises(jwt.ExpiredSignatureError):
        pyjwt_claims(token)
    claims = pyjwt_claims(token, verify_exp=False)
    assert claims["iat"] == claims["nbf"] == int(now)  # recent: not refused as too old first
    assert claims["exp"] < now - 3000


def test_not_yet_valid_token_is_from_the_future() -> None:
    token = not_yet_valid_token(SECRET, WEBHOOK_ID, ttl=120)
    with pytest.raises(jwt.ImmatureSignatureError):
        pyjwt_claims(token)
    claims = pyjwt_claims(token, verify_nbf=False, verify_iat=False)
    assert claims["nbf"] > time.time() + 3000
    assert claims["exp"] - claims["nbf"] == 120


def test_wrong_secret_token_is_signed_with_another_secret() -> None:
    token = wrong_secret_token(SECRET, WEBHOOK_ID)
    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_claims(token)
    assert tokens.parse(token).webhook_id == WEBHOOK_ID


def test_tampered_token_carries_a_genuine_signature_over_other_claims() -> None:
    now = 1_767_225_600
    genuine = sign_token(SECRET, WEBHOOK_ID, now=now)
    tampered = tampered_token(SECRET, WEBHOOK_ID, now=now)

    g_header, _, g_signature = genuine.split(".")
    t_header, _, t_signature = tampered.split(".")
    assert (t_header, t_signature) == (g_header, g_signature)
    assert tokens.parse(tampered).claims["exp"] == now + DEFAULT_TTL + 24 * 3600
    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_claims(tampered)


@pytest.mark.parametrize(
    ("names", "missing"),
    [("exp", {"exp"}), (["iat", "nbf"], {"iat", "nbf"}), ("webhook_id", {"webhook_id"})],
)
def test_token_without_drops_the_claims(names: Any, missing: set[str]) -> None:
    claims = tokens.parse(token_without(names, SECRET, WEBHOOK_ID, audience="x", jti="j")).claims
    assert missing.isdisjoint(claims)
    assert {"iss", "aud", "jti"} <= set(claims)


def test_token_without_wins_over_a_claim_of_the_same_name() -> None:
    claims = tokens.parse(token_without("jti", SECRET, WEBHOOK_ID, jti="j")).claims
    assert "jti" not in claims


@pytest.fixture(scope="module")
def strict_app() -> Receiver:
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, audience="vendor-ext.example.com")
    app.add_handler("ValidateAccount", lambda account: account)
    return app


Variant = Callable[..., str]


@pytest.mark.parametrize(
    ("make", "args", "reason"),
    [
        (expired_token, (), "expired"),
        (not_yet_valid_token, (), "not_yet_valid"),
        (wrong_secret_token, (), "bad_signature"),
        (tampered_token, (), "bad_signature"),
        (token_without, ("exp",), "missing_claim"),
        (token_without, ("webhook_id",), "missing_claim"),
        (token_without, ("aud",), "missing_claim"),
    ],
    ids=["expired", "not-yet-valid", "wrong-secret", "tampered", "no-exp", "no-webhook", "no-aud"],
)
def test_each_variant_is_refused_by_a_receiver_with_its_reason(
    strict_app: Receiver, make: Variant, args: tuple[str, ...], reason: str
) -> None:
    platform = PlatformClient(
        strict_app, secret=SECRET, webhook_id=WEBHOOK_ID, audience="vendor-ext.example.com"
    )
    assert platform.call("ValidateAccount").accepted  # the genuine token is accepted

    result = platform.call("ValidateAccount", token=platform.token(make, *args))

    assert (result.status, result.reason) == (401, reason)
    assert not result.accepted
    assert not result.refused
