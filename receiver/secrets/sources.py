"""The SecretSource protocol, and two sources: a fixed mapping (StaticSecrets, and from_env()
reading RECEIVER_SECRETS) and your function (CallableSecrets)."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol, TypeAlias, cast, runtime_checkable

import anyio
import anyio.to_thread

from receiver.errors import SecretConfigurationError, SecretLookupError
from receiver.secrets._config import check_key, describe, load_json_env
from receiver.secrets.ids import is_plausible_webhook_id
from receiver.secrets.values import Secret, SecretSpec, secret_tuple

SecretCallable: TypeAlias = Callable[[str], "SecretSpec | Awaitable[SecretSpec | None] | None"]
"""``f(webhook_id)`` returning the secret(s) of that webhook, or None when it is not yours."""


# --- the protocol ------------------------------------------------------------------------------


@runtime_checkable
class SecretSource(Protocol):
    """Where the receiver gets the secret(s) for a webhook id.

    ``secrets_for`` answers ``()`` for a webhook that is not yours and raises SecretLookupError
    when it cannot tell. ``known_webhook_ids`` lists the ids configured up front (the receiver
    checks them at startup), or is None when the source is open-ended.
    """

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]: ...

    def known_webhook_ids(self) -> frozenset[str] | None: ...


def vouched_secrets(source: SecretSource) -> frozenset[bytes]:
    """The secrets ``source`` says it may answer with, before a lookup: a token signed with one
    of them is from a webhook of ours. Optional (a ``vouched_secrets()`` method); none when the
    source cannot tell.

    >>> sorted(vouched_secrets(CallableSecrets(lambda webhook_id: None, vouched=["s3cret"])))
    [b's3cret']
    """
    method = getattr(source, "vouched_secrets", None)
    return frozenset(method()) if callable(method) else frozenset()


# --- static mappings ---------------------------------------------------------------------------


class StaticSecrets:
    """A fixed mapping of webhook ids to their secret(s), checked when built.

    >>> import anyio
    >>> source = StaticSecrets({"WBH-5433-8787": ["old-secret", "new-secret"]})
    >>> anyio.run(source.secrets_for, "WBH-5433-8787")
    (b'old-secret', b'new-secret')
    >>> anyio.run(source.secrets_for, "WBH-0000-0000")
    ()
    """

    def __init__(self, secrets: Mapping[str, SecretSpec]) -> None:
        if not isinstance(secrets, Mapping):
            raise SecretConfigurationError(
                "StaticSecrets takes a mapping {webhook_id: secret or [secrets]}, not"
                f" {describe(secrets)}."
            )
        table: dict[str, tuple[bytes, ...]] = {}
        for position, (key, value) in enumerate(secrets.items(), start=1):
            webhook_id = check_key(
                key, position, "the secrets mapping", "webhook id", "WBH-5433-8787"
            )
            table[webhook_id] = secret_tuple(value, f"webhook {webhook_id!r}")
        self._secrets = table
        self._ids = frozenset(table)

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        """The secrets of ``webhook_id``, or ``()`` if it is not in the mapping."""
        return self._secrets.get(webhook_id, ()) if is_plausible_webhook_id(webhook_id) else ()

    def known_webhook_ids(self) -> frozenset[str]:
        """Every webhook id in the mapping."""
        return self._ids

    def __repr__(self) -> str:
        return f"StaticSecrets(<{len(self._ids)} webhook(s)>)"


def from_env(
    var: str = "RECEIVER_SECRETS", environ: Mapping[str, str] | None = None
) -> StaticSecrets:
    """Read ``{webhook_id: secret or [old, new]}`` from the JSON in environment variable ``var``.

    >>> import anyio
    >>> source = from_env(environ={"RECEIVER_SECRETS": '{"WBH-5433-8787": "s3cret"}'})
    >>> anyio.run(source.secrets_for, "WBH-5433-8787")
    (b's3cret',)
    """
    env = os.environ if environ is None else environ
    data = load_json_env(var, env, "webhook ids", "WBH-5433-8787")
    try:
        return StaticSecrets(cast("dict[str, SecretSpec]", data))
    except SecretConfigurationError as exc:
        raise SecretConfigurationError(f"{var}: {exc}") from None


# --- your function -----------------------------------------------------------------------------


def _is_async_callable(fn: object) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


class CallableSecrets:
    """Ask a function for the secret(s): ``fn(webhook_id) -> secret | [secrets] | None``.

    Sync functions run in a worker thread, async ones are awaited. None or ``[]`` means the
    webhook is not yours. Wrap it in CachedSecrets (as_secret_source does) before serving
    untrusted calls.

    ``vouched`` lists secrets the function may answer with (for example your products' secrets,
    when webhooks share them): a token signed with one of them is known to be from a webhook of
    yours before the function is asked, so a flood of forged webhook ids cannot crowd its lookup
    out (see CachedSecrets).

    >>> import anyio
    >>> source = CallableSecrets(lambda webhook_id: "s3cret" if webhook_id == "WBH-1" else None)
    >>> anyio.run(source.secrets_for, "WBH-1"), anyio.run(source.secrets_for, "WBH-2")
    ((b's3cret',), ())
    """

    def __init__(self, fn: SecretCallable, *, vouched: Sequence[Secret] = ()) -> None:
        if not callable(fn) or isinstance(fn, type):
            raise SecretConfigurationError(
                "CallableSecrets takes a function webhook_id -> secret(s) or None, not"
                f" {describe(fn)}."
            )
        self._vouched = (
            frozenset(secret_tuple(list(vouched), "vouched")) if vouched else frozenset()
        )
        self._fn = fn
        self._is_async = _is_async_callable(fn)
        self._name = getattr(fn, "__qualname__", None) or type(fn).__qualname__

    def vouched_secrets(self) -> frozenset[bytes]:
        """The ``vouched`` secrets."""
        return self._vouched

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        """Call the function for a plausible id; its failures raise SecretLookupError."""
        if not is_plausible_webhook_id(webhook_id):
            return ()
        try:
            if self._is_async:
                result: object = self._fn(webhook_id)
            else:
                result = await anyio.to_thread.run_sync(self._fn, webhook_id)
            if inspect.isawaitable(result):
                result = await result
        except SecretLookupError:
            raise
        except Exception as exc:
            # The text of exc is left out: it may quote the secret. It stays chained for the logs.
            raise SecretLookupError(
                f"The secret function {self._name} raised {type(exc).__name__} while looking up"
                f" webhook {webhook_id!r}; the call is refused. Fix the function or what it reads."
            ) from exc
        if result is None or (isinstance(result, list | tuple) and not result):
            return ()
        try:
            return secret_tuple(result, f"webhook {webhook_id!r}")
        except SecretConfigurationError as exc:
            raise SecretLookupError(
                f"The secret function {self._name} returned an unusable secret: {exc}"
            ) from exc

    def known_webhook_ids(self) -> frozenset[str] | None:
        """None: a function can answer for any id."""
        return None

    def __repr__(self) -> str:
        return f"CallableSecrets({self._name})"
