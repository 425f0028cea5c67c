"""receiver.platform.rotation: old + new in the file, the new one proved on the deployed
receiver (real HTTP to its /_receiver/verify), then set on the platform, or nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from receiver import Receiver
from receiver.errors import PlatformError, SecretRotationError
from receiver.platform import rotation
from receiver.platform.rotation import OLD_SECRET_GRACE
from receiver.platform.secrets_file import read_secrets
from receiver.simulator._server import ServerThread

from .conftest import PRODUCT, Platform, closed_port

OLD = "the-old-secret-the-old-secret-0001"


@contextmanager
def receiver(secrets: dict[str, object], *, audience: str | None = None) -> Iterator[str]:
    """A receiver with these secrets on a loopback port; yields its URL."""
    app = Receiver(secrets=secrets, audience=audience)
    app.validate_purchase_order_draft(lambda order: order)
    with ServerThread(app) as server:
        yield server.url


@pytest.fixture
def webhook_id(platform: Platform) -> str:
    with platform.client() as api:
        created = api.create(
            "ValidatePurchaseOrderDraft",
            "https://acme.example.com/",
            {"product.id": PRODUCT},
            secret=OLD,
        )
    assert created.id is not None
    return created.id


def stored_secret(platform: Platform, webhook_id: str) -> str:
    record = platform.sim.store.webhook(webhook_id)
    assert record is not None
    return record.secret


# -- step one --------------------------------------------------------------------------------------


def test_begin_adds_a_new_secret_after_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"WBH-1": OLD, "WBH-2": "other"}))

    started = rotation.begin(path, "WBH-1")
    again = rotation.begin(path, "WBH-1")

    assert started.written
    assert not again.written  # the rotation under way is kept, not replaced
    assert (again.old, again.new) == ((OLD,), started.new)
    assert read_secrets(path) == {"WBH-1": [OLD, started.new], "WBH-2": ["other"]}
    assert len(started.new) == 43
    assert started.new not in repr(started)
    assert path.stat().st_mode & 0o777 == 0o600


def test_begin_needs_the_current_secret(tmp_path: Path) -> None:
    with pytest.raises(SecretRotationError, match="has no secret for WBH-1"):
        rotation.begin(tmp_path / "secrets.json", "WBH-1")


def test_step_two_needs_step_one(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"WBH-1": OLD}))
    with pytest.raises(SecretRotationError, match=r"no rotation is under way\. Start one first"):
        rotation.pending(path, "WBH-1")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.example.com", "https://acme.example.com/_receiver/verify"),
        ("https://acme.example.com/", "https://acme.example.com/_receiver/verify"),
        ("https://acme.example.com/mpt/", "https://acme.example.com/mpt/_receiver/verify"),
        (
            "https://acme.example.com/ValidateChangeOrderDraft?x=1",
            "https://acme.example.com/_receiver/verify",
        ),
    ],
)
def test_the_verify_url(url: str, expected: str) -> None:
    assert rotation.verify_url(url) == expected


# -- proving the new secret ------------------------------------------------------------------------


def test_a_receiver_that_holds_the_new_secret_accepts_it() -> None:
    with receiver({"WBH-1": [OLD, "the-new-secret-the-new-secret-0002"]}) as url:
        rotation.prove(url, "WBH-1", "the-new-secret-the-new-secret-0002")
        rotation.prove(url, "WBH-1", OLD)


def test_the_token_carries_the_audience_the_receiver_checks() -> None:
    with receiver({"WBH-1": OLD}, audience="acme.example.com") as url:
        with pytest.raises(SecretRotationError, match="pass it with --audience"):
            rotation.prove(url, "WBH-1", OLD)
        rotation.prove(url, "WBH-1", OLD, audience="acme.example.com")


def test_a_receiver_without_the_new_secret_refuses_it() -> None:
    with receiver({"WBH-1": OLD}) as url, pytest.raises(SecretRotationError) as caught:
        rotation.prove(url, "WBH-1", "the-new-secret-the-new-secret-0002")

    message = str(caught.value)
    assert "answered 401 (bad_signature:" in message
    assert "nothing was changed on the platform" in message
    assert "Deploy RECEIVER_SECRETS with the old and the new secret" in message
    assert "the-new-secret" not in message


def test_a_receiver_that_cannot_be_reached() -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    with pytest.raises(SecretRotationError, match=r"Could not reach .* \(ConnectError\)"):
        rotation.prove(url, "WBH-1", OLD)


def test_a_server_without_the_verify_route() -> None:
    from starlette.applications import Starlette

    with ServerThread(Starlette()) as server, pytest.raises(SecretRotationError) as caught:
        rotation.prove(server.url, "WBH-1", OLD)
    assert "It has no verify route" in str(caught.value)


# -- step two against the platform -----------------------------------------------------------------


def test_complete_proves_then_sets_the_new_secret_on_the_platform(
    platform: Platform, webhook_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({webhook_id: OLD}))
    new = rotation.begin(path, webhook_id).new

    with receiver(read_secrets(path)) as url, platform.client() as api:  # type: ignore[arg-type]
        done = rotation.complete(api, path, webhook_id, url)

    assert stored_secret(platform, webhook_id) == new
    assert done.old_accepted
    assert done.remove_old_after - done.updated == OLD_SECRET_GRACE
    assert read_secrets(path)[webhook_id] == [OLD, new]  # the old one goes after the grace time


def test_a_receiver_that_refuses_the_new_secret_leaves_the_platform_unchanged(
    platform: Platform, webhook_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({webhook_id: OLD}))
    rotation.begin(path, webhook_id)

    with (
        receiver({webhook_id: OLD}) as url,  # not deployed yet: the old secret only
        platform.client() as api,
        pytest.raises(SecretRotationError, match="nothing was changed on the platform"),
    ):
        rotation.complete(api, path, webhook_id, url)

    assert stored_secret(platform, webhook_id) == OLD
    assert platform.recorder.requests("PUT") == []


def test_complete_says_when_the_old_secret_was_refused_too(
    platform: Platform, webhook_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({webhook_id: OLD}))
    new = rotation.begin(path, webhook_id).new

    with receiver({webhook_id: new}) as url, platform.client() as api:
        done = rotation.complete(api, path, webhook_id, url)

    assert not done.old_accepted
    assert stored_secret(platform, webhook_id) == new


def test_an_unknown_webhook_stops_before_anything_is_proved(
    platform: Platform, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"WBH-0000-0000": [OLD, "new-new-new-new-new-new"]}))

    with platform.client() as api, pytest.raises(PlatformError) as caught:
        rotation.complete(api, path, "WBH-0000-0000", f"http://127.0.0.1:{closed_port()}/")

    assert caught.value.status == 404
