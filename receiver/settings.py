"""Every option of the receiver, once: its type, default, check and environment variable.

``Receiver(**options)`` builds a :class:`Settings`. Each option's variable is ``RECEIVER_`` + its
name in upper case (:func:`env_var`); an argument given to ``Receiver`` wins over the variable,
the variable over the default. A bad value is refused with a
:class:`~receiver.errors.ConfigurationError` that names the option (and the variable, when the
value came from one) and what it accepts. The secrets and the store, which are objects rather than
values, are read from ``RECEIVER_SECRETS`` and ``RECEIVER_STORE`` when not given.

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

import functools
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Final, Literal, TypedDict, TypeVar

from pydantic import ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from receiver._checks import positive_number
from receiver.errors import ConfigurationError
from receiver.logs import LOG_FORMATS, LogFormat
from receiver.store import DEFAULT_TIMEOUT
from receiver.tokens import DEFAULT_LOOKUP_TIMEOUT, VerifyOptions
from receiver.types import WebhookType, parse_known_webhook_type, suggestions
from receiver.wire import Message

FailurePolicy = Literal["error", "reject", "accept"]
FAILURE_POLICIES: Final[tuple[FailurePolicy, ...]] = ("error", "reject", "accept")
ReplayFailMode = Literal["open", "closed"]
T = TypeVar("T")

ENV_PREFIX: Final = "RECEIVER_"
# Variables of ours that are not options: objects read where they are made (secrets, store).
OTHER_VARIABLES: Final = frozenset({"RECEIVER_SECRETS", "RECEIVER_STORE"})
ADMIN_TOKEN_MIN_LENGTH: Final = 16
REJECT_MESSAGE_MAX_LENGTH: Final = 4000
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})

logger = logging.getLogger("receiver")


def env_var(option: str) -> str:
    """The environment variable of ``option``."""
    return ENV_PREFIX + option.upper()


class _Refused(ValueError):
    """Carries a check's ConfigurationError through pydantic, which wraps ValueErrors only."""

    def __init__(self, error: ConfigurationError) -> None:
        super().__init__(str(error))
        self.error = error


def _refusals(check: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(check)
    def checked(*args: Any) -> T:
        try:
            return check(*args)
        except ConfigurationError as exc:
            if isinstance(exc, ValueError):  # pydantic wraps it as it is
                raise
            raise _Refused(exc) from None

    return checked


class Options(TypedDict, total=False):
    """The keyword arguments of ``Receiver(...)``: the fields of :class:`Settings`."""

    webhooks: Mapping[str, str] | None
    failure_policy: FailurePolicy
    deadline: float
    admin_token: str | None
    max_body_size: int
    body_timeout: float
    leeway: float
    max_token_age: float | None
    issuer: str | None
    audience: str | Sequence[str] | None
    clear_errors: bool
    reject_message: str
    replay_guard: bool
    replay_fail_mode: ReplayFailMode
    store_timeout: float
    stats_flush_interval: float
    log_format: LogFormat
    secret_lookup_timeout: float
    metrics: bool


class Settings(BaseSettings):
    """The receiver's options, checked: each from an argument, else from its ``RECEIVER_*``
    variable, else its default. Frozen: build a new one to change one.

    Attributes:
        webhooks: ``{webhook_id: webhook_type}``; tells calls on one URL apart (the variable
            holds it as JSON).
        failure_policy: when a handler raises or misses its deadline: ``"error"`` (500),
            ``"reject"`` (200 with an error on the object), ``"accept"`` (200, object unchanged).
        deadline: seconds a handler may take.
        admin_token: enables ``GET /_receiver/webhooks`` (statistics) for this Bearer token.
        max_body_size: bytes; larger bodies get 413.
        body_timeout: seconds the request body may take to arrive; slower gets 408.
        leeway: seconds of clock skew tolerated on ``exp``/``nbf``/``iat``.
        max_token_age: seconds; tokens issued longer ago are refused (None: no limit; the
            variable says ``none``).
        issuer, audience: checked only when set (the variable of ``audience`` holds one name or
            a JSON list).
        clear_errors: clear the object's previous errors before the handler runs.
        reject_message: the message of the ``"reject"`` policy's error.
        replay_guard: refuse a token already used for a different body (401
            ``token_replayed``); the same token with the same body (the platform's retry) passes.
        replay_fail_mode: when the store cannot be reached: ``"open"`` lets calls through
            without the check (logged), ``"closed"`` answers 503.
        store_timeout: seconds a store operation may take (for a store given as a URL).
        stats_flush_interval: seconds between flushes of statistics to a shared store.
        metrics: serve Prometheus metrics at ``/_receiver/metrics`` (behind the admin token
            when one is set; extra ``mpt-receiver[prometheus]``; see :mod:`receiver.metrics`).
        secret_lookup_timeout: seconds a secret lookup may take; a slower one is cancelled and
            the call refused (401 ``secret_unavailable``).
        log_format: the call line and the receiver's other lines on stderr, when the app did not
            set logging up: ``"text"``, ``"json"`` (one object a line) or ``"off"`` (no call
            line; see :mod:`receiver.logs`).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
        extra="forbid",
        env_parse_none_str="none",
        validate_default=False,
    )

    webhooks: Annotated[Mapping[str, WebhookType], NoDecode] = {}
    failure_policy: FailurePolicy = "error"
    deadline: float = 10.0
    admin_token: str | None = None
    max_body_size: int = 5 * 1024 * 1024
    body_timeout: float = 10.0
    leeway: float = 30.0
    max_token_age: float | None = 330.0
    issuer: str | None = None
    audience: Annotated[str | Sequence[str] | None, NoDecode] = None
    clear_errors: bool = True
    reject_message: str = str(Message.DEFAULT_REJECT)
    replay_guard: bool = False
    replay_fail_mode: ReplayFailMode = "open"
    store_timeout: float = DEFAULT_TIMEOUT
    stats_flush_interval: float = 1.0
    log_format: LogFormat = "text"
    secret_lookup_timeout: float = DEFAULT_LOOKUP_TIMEOUT
    metrics: bool = False

    def __init__(self, **options: Any) -> None:
        # The one boundary where pydantic's errors become ours: a check's own error (ours, or a
        # ValueError such as UnknownWebhookTypeError that pydantic wrapped) comes out as raised,
        # named by the variable when the value came from one.
        warn_unknown_variables()
        try:
            super().__init__(**options)
        except ValidationError as exc:
            raise _configuration_error(exc, given=options) from None

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

    # Each check raises our ConfigurationError; @_refusals hands it to pydantic inside a
    # ValueError, so that it comes back with the option's name. Values from the environment come
    # as text.

    @field_validator("webhooks", mode="before")
    @classmethod
    @_refusals
    def _webhooks(cls, value: Mapping[str, str] | str | None) -> dict[str, WebhookType]:
        if value is None:
            return {}
        if isinstance(value, str):
            value = _json(
                value, "webhooks", 'a JSON object like {"WBH-1234-5678": "ValidateAccount"}'
            )
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                f"webhooks must map webhook ids to webhook types, not {type(value).__name__}."
            )
        return {
            webhook_id: parse_known_webhook_type(webhook_type)
            for webhook_id, webhook_type in value.items()
        }

    @field_validator("audience", mode="before")
    @classmethod
    @_refusals
    def _audience(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lstrip().startswith("["):
            return _json(value, "audience", 'a name, or a JSON list like ["a", "b"]')
        return value

    @field_validator("failure_policy", mode="before")
    @classmethod
    @_refusals
    def _failure_policy(cls, value: object) -> FailurePolicy:
        return check_failure_policy(value)

    @field_validator(
        "deadline",
        "body_timeout",
        "store_timeout",
        "stats_flush_interval",
        "secret_lookup_timeout",
        mode="before",
    )
    @classmethod
    @_refusals
    def _seconds(cls, value: Any, info: ValidationInfo) -> float:
        return positive_number(str(info.field_name), _number(value))

    @field_validator("max_body_size", mode="before")
    @classmethod
    @_refusals
    def _bytes(cls, value: Any) -> int:
        return int(positive_number("max_body_size", _number(value), "bytes"))

    @field_validator("leeway", mode="before")
    @classmethod
    @_refusals
    def _leeway(cls, value: Any) -> float:
        return float(value)

    @field_validator("max_token_age", mode="before")
    @classmethod
    @_refusals
    def _max_token_age(cls, value: Any) -> float | None:
        return None if value is None else float(value)

    @field_validator("admin_token")
    @classmethod
    @_refusals
    def _admin_token(cls, value: str | None) -> str | None:
        if value is not None and len(value) < ADMIN_TOKEN_MIN_LENGTH:
            raise ConfigurationError(
                f"admin_token must be at least {ADMIN_TOKEN_MIN_LENGTH} characters; generate one"
                " with `python -c 'import secrets; print(secrets.token_urlsafe())'`."
            )
        return value

    @field_validator("reject_message")
    @classmethod
    @_refusals
    def _reject_message(cls, value: str) -> str:
        if not 1 <= len(value) <= REJECT_MESSAGE_MAX_LENGTH:
            raise ConfigurationError(
                f"reject_message must be 1 to {REJECT_MESSAGE_MAX_LENGTH} characters long."
            )
        return value

    @field_validator("replay_guard", "clear_errors", "metrics", mode="before")
    @classmethod
    @_refusals
    def _flag(cls, value: object, info: ValidationInfo) -> bool:
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE | _FALSE:
                return word in _TRUE
            raise ConfigurationError(
                f"{info.field_name} must be true or false (1/0, yes/no, on/off), not {value!r}."
            )
        return bool(value)

    @field_validator("log_format", mode="before")
    @classmethod
    @_refusals
    def _log_format(cls, value: object) -> LogFormat:
        for log_format in LOG_FORMATS:
            if isinstance(value, str) and value.strip().lower() == log_format:
                return log_format
        raise ConfigurationError(f"log_format must be 'text', 'json' or 'off', not {value!r}.")

    @field_validator("replay_fail_mode", mode="before")
    @classmethod
    @_refusals
    def _replay_fail_mode(cls, value: object) -> ReplayFailMode:
        if value == "open":
            return "open"
        if value == "closed":
            return "closed"
        raise ConfigurationError(f"replay_fail_mode must be 'open' or 'closed', not {value!r}.")


def _json(text: str, option: str, expected: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigurationError(f"{option} must be {expected}.") from None


def _number(value: Any) -> Any:
    """A number from the environment's text; anything else as it is (then checked)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _configuration_error(exc: ValidationError, *, given: Mapping[str, Any]) -> Exception:
    first = exc.errors()[0]
    option = str(first["loc"][0]) if first["loc"] else ""
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, _Refused):
        cause = cause.error
    if not isinstance(cause, ConfigurationError):
        where = ".".join(str(part) for part in first["loc"])
        cause = ConfigurationError(f"{where}: {first['msg']} (got {first.get('input')!r}).")
    if option and option not in given and env_var(option) in os.environ:
        return ConfigurationError(f"{env_var(option)}: {cause}")
    return cause


_warned: set[str] = set()


def warn_unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """Log, once per process and name, each ``RECEIVER_*`` variable that is no option of ours
    (a typo in a deployment manifest is the common case), with the names it may have meant."""
    known = {env_var(name) for name in Settings.model_fields} | OTHER_VARIABLES
    unknown = sorted(
        name
        for name in (os.environ if environ is None else environ)
        if name.upper().startswith(ENV_PREFIX)
        and name.upper() not in known
        and not name.upper().startswith(ENV_PREFIX + "TEST_")  # the project's own test setup
    )
    for name in unknown:
        if name not in _warned:
            _warned.add(name)
            # Compared without the prefix every candidate shares.
            bare = {known_name.removeprefix(ENV_PREFIX) for known_name in known}
            close = [ENV_PREFIX + match for match in suggestions(name[len(ENV_PREFIX) :], bare)]
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            logger.warning("%s is not a receiver setting; it is ignored.%s", name, hint)
    return unknown


def check_failure_policy(value: object) -> FailurePolicy:
    """``value`` as a failure policy, or a ConfigurationError saying what each one does."""
    for policy in FAILURE_POLICIES:
        if value == policy:
            return policy
    raise ConfigurationError(
        f"Unknown failure_policy {value!r}; use 'error' (answer 500), 'reject' (answer 200 with"
        " an error on the object) or 'accept' (answer 200 with the object unchanged)."
    )
