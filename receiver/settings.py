"""Every option of the receiver, once: its type, default, check and environment variable.

``Receiver(**options)`` builds a :class:`Settings`; a bad value is refused with a
:class:`~receiver.errors.ConfigurationError` that names the option and what it accepts. Each
option's variable is ``RECEIVER_`` + its name in upper case (:func:`env_var`); the secrets and the
store, which are objects rather than values, are read from ``RECEIVER_SECRETS`` and
``RECEIVER_STORE`` when not given.

    >>> Settings(deadline=5).deadline
    5.0
    >>> Settings(failure_policy="retry")
    Traceback (most recent call last):
    ...
    receiver.errors.ConfigurationError: Unknown failure_policy 'retry'; use 'error' (answer 500), \
'reject' (answer 200 with an error on the object) or 'accept' (answer 200 with the object \
unchanged).
    >>> env_var("max_body_size")
    'RECEIVER_MAX_BODY_SIZE'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from receiver.errors import ConfigurationError
from receiver.store import DEFAULT_TIMEOUT
from receiver.tokens import VerifyOptions
from receiver.types import WebhookType, parse_known_webhook_type
from receiver.wire import Message

FailurePolicy = Literal["error", "reject", "accept"]
FAILURE_POLICIES: Final[tuple[FailurePolicy, ...]] = ("error", "reject", "accept")
ReplayFailMode = Literal["open", "closed"]

ENV_PREFIX: Final = "RECEIVER_"
ADMIN_TOKEN_MIN_LENGTH: Final = 16
REJECT_MESSAGE_MAX_LENGTH: Final = 4000


def env_var(option: str) -> str:
    """The environment variable of ``option``."""
    return ENV_PREFIX + option.upper()


class Settings(BaseModel):
    """The receiver's options, checked. Frozen: build a new one to change one.

    Attributes:
        webhooks: ``{webhook_id: webhook_type}``; tells calls on one URL apart.
        failure_policy: when a handler raises or misses its deadline: ``"error"`` (500),
            ``"reject"`` (200 with an error on the object), ``"accept"`` (200, object unchanged).
        deadline: seconds a handler may take.
        admin_token: enables ``GET /_receiver/webhooks`` (statistics) for this Bearer token.
        max_body_size: bytes; larger bodies get 413.
        body_timeout: seconds the request body may take to arrive; slower gets 408.
        leeway: seconds of clock skew tolerated on ``exp``/``nbf``/``iat``.
        max_token_age: seconds; tokens issued longer ago are refused (None: no limit).
        issuer, audience: checked only when set.
        clear_errors: clear the object's previous errors before the handler runs.
        reject_message: the message of the ``"reject"`` policy's error.
        replay_guard: refuse a token already used for a different body (401
            ``token_replayed``); the same token with the same body (the platform's retry) passes.
        replay_fail_mode: when the store cannot be reached: ``"open"`` lets calls through
            without the check (logged), ``"closed"`` answers 503.
        store_timeout: seconds a store operation may take (for a store given as a URL).
        stats_flush_interval: seconds between flushes of statistics to a shared store.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    webhooks: Mapping[str, WebhookType] = {}
    failure_policy: FailurePolicy = "error"
    deadline: float = 10.0
    admin_token: str | None = None
    max_body_size: int = 5 * 1024 * 1024
    body_timeout: float = 10.0
    leeway: float = 30.0
    max_token_age: float | None = 330.0
    issuer: str | None = None
    audience: str | Sequence[str] | None = None
    clear_errors: bool = True
    reject_message: str = Message.DEFAULT_REJECT
    replay_guard: bool = False
    replay_fail_mode: ReplayFailMode = "open"
    store_timeout: float = DEFAULT_TIMEOUT
    stats_flush_interval: float = 1.0

    def __init__(self, **options: Any) -> None:
        # The one boundary where pydantic's errors become ours: a check's own error (ours, or a
        # ValueError such as UnknownWebhookTypeError that pydantic wrapped) comes out as raised.
        try:
            super().__init__(**options)
        except ValidationError as exc:
            raise _configuration_error(exc) from None

    @property
    def verify_options(self) -> VerifyOptions:
        """How a call's token claims are checked."""
        return VerifyOptions(
            leeway=self.leeway,
            max_age=self.max_token_age,
            issuer=self.issuer,
            audience=self.audience,
        )

    def __repr_args__(self) -> Any:  # the admin token never reaches a log or a traceback
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "admin_token" and value is not None else value)

    # Each check raises ConfigurationError itself: pydantic lets it through unwrapped, so the
    # message a user reads is ours, not pydantic's.

    @field_validator("webhooks", mode="before")
    @classmethod
    def _webhooks(cls, value: Mapping[str, str] | None) -> dict[str, WebhookType]:
        return {
            webhook_id: parse_known_webhook_type(webhook_type)
            for webhook_id, webhook_type in (value or {}).items()
        }

    @field_validator("failure_policy", mode="before")
    @classmethod
    def _failure_policy(cls, value: object) -> FailurePolicy:
        return check_failure_policy(value)

    @field_validator(
        "deadline", "body_timeout", "store_timeout", "stats_flush_interval", mode="before"
    )
    @classmethod
    def _seconds(cls, value: Any, info: ValidationInfo) -> float:
        return positive(str(info.field_name), value, "seconds")

    @field_validator("max_body_size", mode="before")
    @classmethod
    def _bytes(cls, value: Any) -> int:
        return int(positive("max_body_size", value, "bytes"))

    @field_validator("leeway", mode="before")
    @classmethod
    def _leeway(cls, value: Any) -> float:
        return float(value)

    @field_validator("max_token_age", mode="before")
    @classmethod
    def _max_token_age(cls, value: Any) -> float | None:
        return None if value is None else float(value)

    @field_validator("admin_token")
    @classmethod
    def _admin_token(cls, value: str | None) -> str | None:
        if value is not None and len(value) < ADMIN_TOKEN_MIN_LENGTH:
            raise ConfigurationError(
                f"admin_token must be at least {ADMIN_TOKEN_MIN_LENGTH} characters; generate one"
                " with `python -c 'import secrets; print(secrets.token_urlsafe())'`."
            )
        return value

    @field_validator("reject_message")
    @classmethod
    def _reject_message(cls, value: str) -> str:
        if not 1 <= len(value) <= REJECT_MESSAGE_MAX_LENGTH:
            raise ConfigurationError(
                f"reject_message must be 1 to {REJECT_MESSAGE_MAX_LENGTH} characters long."
            )
        return value

    @field_validator("replay_guard", mode="before")
    @classmethod
    def _replay_guard(cls, value: object) -> bool:
        return bool(value)

    @field_validator("replay_fail_mode", mode="before")
    @classmethod
    def _replay_fail_mode(cls, value: object) -> ReplayFailMode:
        if value == "open":
            return "open"
        if value == "closed":
            return "closed"
        raise ConfigurationError(f"replay_fail_mode must be 'open' or 'closed', not {value!r}.")


def _configuration_error(exc: ValidationError) -> Exception:
    first = exc.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigurationError):
        return cause
    option = ".".join(str(part) for part in first["loc"])
    return ConfigurationError(f"{option}: {first['msg']} (got {first.get('input')!r}).")


def check_failure_policy(value: object) -> FailurePolicy:
    """``value`` as a failure policy, or a ConfigurationError saying what each one does."""
    for policy in FAILURE_POLICIES:
        if value == policy:
            return policy
    raise ConfigurationError(
        f"Unknown failure_policy {value!r}; use 'error' (answer 500), 'reject' (answer 200 with"
        " an error on the object) or 'accept' (answer 200 with the object unchanged)."
    )


def positive(name: str, value: Any, unit: str) -> float:
    """``value`` as a float when it is a positive finite number; ConfigurationError otherwise."""
    try:
        number = float(value)
        ok = number > 0 and math.isfinite(number) and not isinstance(value, bool | str)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigurationError(f"{name} must be a positive number of {unit}, not {value!r}.")
    return number
