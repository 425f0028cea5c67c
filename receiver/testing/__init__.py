"""Test your endpoint the way the platform calls it: signed calls, realistic payloads, readable
results. See docs/testing.md.

    >>> from receiver import Receiver
    >>> from receiver.testing import PlatformClient, samples
    >>> app = Receiver(secrets={"WBH-5433-8787": "a-test-secret-a-test-secret-000001"})
    >>> _ = app.on("ValidateChangeOrderDraft")(lambda order: order)
    >>> platform = PlatformClient(app, secret="a-test-secret-a-test-secret-000001",
    ...                           webhook_id="WBH-5433-8787")
    >>> platform.call("validateChangeOrderDraft", samples.change_order()).accepted
    True

With pytest, the plugin (``receiver.testing.plugin``) gives you the fixtures ``platform``,
``receiver_app`` and ``mpt_samples``.

Names are imported on first use, so that loading the pytest plugin (in every pytest run of a
project that has this package installed) does not load httpx and the client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from receiver.testing import samples
    from receiver.testing.changes import Change, ChangeKind, Changes, diff_answer
    from receiver.testing.client import CallResult, PlatformClient, bind_platform
    from receiver.testing.signing import (
        expired_token,
        not_yet_valid_token,
        sign_token,
        tampered_token,
        token_without,
        wrong_secret_token,
    )

__all__ = [
    "CallResult",
    "Change",
    "ChangeKind",
    "Changes",
    "PlatformClient",
    "bind_platform",
    "diff_answer",
    "expired_token",
    "not_yet_valid_token",
    "samples",
    "sign_token",
    "tampered_token",
    "token_without",
    "wrong_secret_token",
]

_HOME = {
    "CallResult": "client",
    "Change": "changes",
    "ChangeKind": "changes",
    "Changes": "changes",
    "PlatformClient": "client",
    "bind_platform": "client",
    "diff_answer": "changes",
    "expired_token": "signing",
    "not_yet_valid_token": "signing",
    "sign_token": "signing",
    "tampered_token": "signing",
    "token_without": "signing",
    "wrong_secret_token": "signing",
}


def __getattr__(name: str) -> Any:
    if name == "samples":
        return importlib.import_module("receiver.testing.samples")
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'receiver.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"receiver.testing.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
