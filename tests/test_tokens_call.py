"""tokens.verify_call: the one check of a call's Authorization header, every refusal named."""

from __future__ import annotations

import logging

import pytest

from receiver.errors import SecretLookupError, TokenError
from receiver.secrets import CallableSecrets, StaticSecrets
from receiver.tokens import VerifyOptions, platform_claims, sign, verify_call
from tests.conftest import SECRET, WEBHOOK_ID

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000
SOURCE = StaticSecrets({WEBHOOK_ID: SECRET})


def header(secret: str = SECRET, **claims: object) -> bytes:
    return b"Bearer " + sign(secret, platform_claims(WEBHOOK_ID, now=NOW, **claims)).encode()


async def test_a_good_header_gives_the_webhook_its_claims_and_signature() -> None:
    verified = await verify_call(header(), SOURCE, VerifyOptions(), now=NOW + 1)
    assert verified.webhook_id == WEBHOOK_ID
    assert verified.claims["exp"] == NOW + 300
    assert len(verified.signature) == 32


@pytest.mark.parametrize(
    ("authorization", "reason", "message"),
    [
        pytest.param(None, "missing_token", "Missing Authorization header", id="absent"),
        pytest.param(
            b"Basic dXNlcjpwYXNz", "missing_token", "must be 'Bearer <token>'", id="basic"
        ),
        pytest.param(b"Bearer ", "missing_token", "must be 'Bearer <token>'", id="empty"),
        pytest.param(b"Bearer a.b", "malformed_token", "three dot-separated", id="two-parts"),
        pytest.param(
            b"Bearer " + sign(SECRET, {"exp": NOW + 60}).encode(),
            "missing_claim",
            "'webhook_id' claim is required",
            id="no-webhook-id",
        ),
        pytest.param(
            b"Bearer " + sign(SECRET, {"exp": NOW + 60, "webhook_id": "../x"}).encode(),
            "unknown_webhook",
            "no secret is configured",
            id="implausible-id",
        ),
        pytest.param(
            b"Bearer " + sign(SECRET, {"exp": NOW + 60, "webhook_id": "WBH-0000-0000"}).encode(),
            "unknown_webhook",
            "no secret is configured",
            id="not-ours",
        ),
    ],
)
async def test_refusals_before_a_secret_is_found_name_no_webhook(
    authorization: bytes | None, reason: str, message: str
) -> None:
    with pytest.raises(TokenError, match=message) as caught:
        await verify_call(authorization, SOURCE, VerifyOptions(), now=NOW)
    assert caught.value.reason == reason
    assert caught.value.webhook_id is None


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        pytest.param(header("another-secret-another-secret-0001"), "bad_signature", id="signature"),
        pytest.param(header(), "expired", id="expired"),
    ],
)
async def test_refusals_after_the_secret_was_found_name_the_webhook(
    authorization: bytes, reason: str
) -> None:
    with pytest.raises(TokenError) as caught:
        await verify_call(authorization, SOURCE, VerifyOptions(leeway=0), now=NOW + 301)
    assert (caught.value.reason, caught.value.webhook_id) == (reason, WEBHOOK_ID)


async def test_a_failing_lookup_is_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def lookup(webhook_id: str) -> str:
        raise SecretLookupError("https://user:password@vault.example/secret")

    with pytest.raises(TokenError) as caught:
        await verify_call(header(), CallableSecrets(lookup), VerifyOptions(), now=NOW)
    assert caught.value.reason == "secret_unavailable"
    assert caught.value.webhook_id is None
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == f"Secret lookup for {WEBHOOK_ID} failed: SecretLookupError"
    assert "password" not in caplog.text


async def test_a_source_that_raises_before_awaiting_is_refused_the_same_way(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A vendor's source whose ``secrets_for`` is not async (against the protocol) and raises
    when called: refused as ``secret_unavailable``, logged with the type only, as an async one."""

    class NotAsync:
        def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
            raise RuntimeError("https://user:password@vault.example/secret")

        def known_webhook_ids(self) -> None:
            return None

    with pytest.raises(TokenError) as caught:
        await verify_call(header(), NotAsync(), VerifyOptions(), now=NOW)  # type: ignore[arg-type]
    assert caught.value.reason == "secret_unavailable"
    assert "password" not in caplog.text
