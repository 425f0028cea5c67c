"""Rotating a webhook's secret without a refused call, in two steps.

1. :func:`begin`: a new secret beside the old one in the secrets file (the ``RECEIVER_SECRETS``
   shape, ``{"WBH-...": ["<old>", "<new>"]}``). Deploy it: the receiver accepts both.
2. :func:`complete`: prove that the deployed receiver accepts the new secret (``POST
   /_receiver/verify`` with a token signed by it, answered 204 without running a handler), then
   set it on the platform. A receiver that refuses the new secret stops the rotation before the
   platform changes: the platform keeps signing with the old one, which still works.

The old secret can go once no token signed with it can still be accepted:
:data:`OLD_SECRET_GRACE` after the update (the receiver refuses tokens older than 330 s by
default; the platform's tokens expire after 300 s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import httpx

from receiver import tokens
from receiver.errors import SecretRotationError
from receiver.platform._operations import new_secret
from receiver.platform._receiver import request_receiver
from receiver.platform.client import WebhooksClient
from receiver.platform.secrets_file import read_secrets, write_secrets
from receiver.types import WebhookType
from receiver.wire import Route

OLD_SECRET_GRACE: Final = timedelta(seconds=330)
"""How long after the platform's update a token signed with the old secret may still arrive
(the receiver's default ``max_token_age``; longer than the platform's token lifetime)."""


@dataclass(frozen=True, slots=True)
class Rotation:
    """The secrets of a rotation: ``old`` (still accepted) and ``new``. ``written`` says whether
    this step wrote the file (False: it already held a rotation, which is kept)."""

    webhook_id: str
    old: tuple[str, ...] = field(repr=False)
    new: str = field(repr=False)
    written: bool


def begin(path: str | Path, webhook_id: str) -> Rotation:
    """Step one: add a new secret (``secrets.token_urlsafe``) after the webhook's current one in
    the secrets file. Run again, it keeps the rotation it started rather than adding another."""
    current = read_secrets(path).get(webhook_id)
    if not current:
        raise SecretRotationError(
            f"The secrets file {path} has no secret for {webhook_id}. Add the one the platform"
            f' signs with now, as your receiver\'s RECEIVER_SECRETS holds it ({{"{webhook_id}":'
            ' "<secret>"}; the platform never shows it again), then run this again.'
        )
    if len(current) > 1:
        return Rotation(webhook_id, tuple(current[:-1]), current[-1], written=False)
    rotation = Rotation(webhook_id, (current[0],), new_secret(), written=True)
    write_secrets(path, {webhook_id: [*rotation.old, rotation.new]})
    return rotation


def pending(path: str | Path, webhook_id: str) -> Rotation:
    """The rotation :func:`begin` wrote: the file's last secret for the webhook is the new one."""
    current = read_secrets(path).get(webhook_id) or []
    if len(current) < 2:
        raise SecretRotationError(
            f"The secrets file {path} holds {len(current)} secret(s) for {webhook_id}, so no"
            f" rotation is under way. Start one first: `receiver webhooks rotate {webhook_id}"
            f" --secrets-file {path}`, then deploy the file."
        )
    return Rotation(webhook_id, tuple(current[:-1]), current[-1], written=False)


def verify_url(receiver_url: str) -> str:
    """The verify route of the receiver at ``receiver_url``: its root, or the webhook's URL
    (a last path segment that is a webhook type is the handler's, not the app's).

    >>> verify_url("https://acme.example.com/mpt/ValidatePurchaseOrderDraft")
    'https://acme.example.com/mpt/_receiver/verify'
    """
    url = httpx.URL(receiver_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise SecretRotationError(
            f"--receiver-url {receiver_url!r} is not an http(s) URL; give the deployed"
            " receiver's address, e.g. https://acme.example.com/."
        )
    path = url.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last and WebhookType(last).known:
        path = head
    return str(url.copy_with(path=path + Route.VERIFY, query=None, fragment=None))


def prove(
    receiver_url: str,
    webhook_id: str,
    secret: str,
    *,
    audience: str | None = None,
    timeout: float = 10.0,
    verify: bool = True,
    http_client: httpx.Client | None = None,
) -> None:
    """Check that the receiver at ``receiver_url`` accepts a token signed with ``secret`` for
    ``webhook_id``, exactly as it checks a call; SecretRotationError otherwise."""
    url = verify_url(receiver_url)
    token = tokens.sign(secret, tokens.platform_claims(webhook_id, audience=audience))
    headers = {"Authorization": f"Bearer {token}"}
    try:
        response = request_receiver(
            "POST", url, headers=headers, http_client=http_client, timeout=timeout, verify=verify
        )
    except httpx.HTTPError as exc:
        raise SecretRotationError(
            f"Could not reach the receiver at {url} ({type(exc).__name__}); nothing was changed"
            " on the platform. Check --receiver-url (and --insecure for a development"
            " certificate)."
        ) from None
    if response.status_code == 204:
        return
    error_id = message = None
    try:
        body = response.json()
        if isinstance(body, dict):
            error_id, message = body.get("id"), body.get("message")
    except ValueError:
        pass
    said = f" ({error_id}: {message})" if error_id else ""
    if response.status_code in (404, 405):
        hint = (
            " It has no verify route: deploy an mpt-receiver that has POST /_receiver/verify,"
            " or check --receiver-url."
        )
    elif error_id in ("missing_claim", "wrong_audience"):
        hint = " The receiver checks the token's audience: pass it with --audience."
    else:
        hint = (
            " Deploy RECEIVER_SECRETS with the old and the new secret (the secrets file), wait"
            " for the rollout, then run this again."
        )
    raise SecretRotationError(
        f"The receiver at {url} answered {response.status_code}{said} to a token signed with"
        f" the new secret of {webhook_id}: it does not accept it yet, so nothing was changed on"
        f" the platform.{hint}"
    )


@dataclass(frozen=True, slots=True)
class Completed:
    """The platform signs with the new secret since ``updated``; the old one may be removed
    from the receiver after ``remove_old_after``. ``old_accepted`` is False when the receiver
    did not accept the old secret either (its calls were failing before the update)."""

    webhook_id: str
    updated: datetime
    remove_old_after: datetime
    old_accepted: bool


def complete(
    api: WebhooksClient,
    path: str | Path,
    webhook_id: str,
    receiver_url: str,
    *,
    audience: str | None = None,
    timeout: float = 10.0,
    verify: bool = True,
    http_client: httpx.Client | None = None,
) -> Completed:
    """Step two: prove the new secret on the deployed receiver, then set it on the platform."""
    rotation = pending(path, webhook_id)
    api.get(webhook_id, select=None)  # a wrong id is a 404 here, before anything is proved

    def check(secret: str) -> None:
        prove(
            receiver_url,
            webhook_id,
            secret,
            audience=audience,
            timeout=timeout,
            verify=verify,
            http_client=http_client,
        )

    check(rotation.new)  # raises: the platform is left as it is
    try:
        check(rotation.old[-1])
        old_accepted = True
    except SecretRotationError:
        old_accepted = False
    api.update(webhook_id, secret=rotation.new)
    updated = datetime.fromtimestamp(time.time(), UTC).replace(microsecond=0)
    return Completed(webhook_id, updated, updated + OLD_SECRET_GRACE, old_accepted)
