"""Every error the receiver raises, under one base.

    ReceiverError
    ├── ConfigurationError          the app is set up wrongly; raised at registration/startup
    │   ├── UnknownWebhookTypeError     a type name we do not know ("Did you mean ...?")
    │   ├── InvalidNumberError          a timeout, deadline or size that is not a finite number
    │   │                               above 0 (or 0 or more)
    │   ├── DuplicateHandlerError       a second handler for one webhook type
    │   ├── RegistrationClosedError     add_handler() after the app served its first call
    │   ├── AmbiguousHandlersError      one URL, several handlers, no webhooks= map to choose
    │   └── SecretConfigurationError    a secret that cannot be used (empty, a PEM key, ...)
    ├── TokenError                  a call's bearer token was refused (401); ``reason`` names why
    ├── SecretLookupError           a secret resolver failed (the call is refused with 401)
    ├── RequestError                a call's HTTP request is unusable (400/405/413/415)
    ├── AnswerError                 the handler's answer cannot be sent to the platform
    ├── StoreUnavailableError       the shared store (Redis) did not answer in time
    ├── PlatformError               the platform's API answered an error (ProblemDetails: status,
    │   │                           title, detail, field errors); the message says what to do
    │   ├── PlatformUnreachableError    no answer from the API (connection failed, timed out),
    │   │                               after the retries
    │   └── PlatformAnswerError         a 2xx answer that is not what the API promises (not JSON,
    │                                   not a webhook)
    ├── SecretRotationError         the deployed receiver did not accept the new secret (the
    │                               platform was left unchanged), or the rotation cannot start
    ├── ModelError                  a model got something it cannot hold
    │   ├── InvalidObjectError          from_json/from_dict: not JSON, not an object, no string id
    │   ├── MessageTooLongError         an error message over the platform's 4000 characters
    │   ├── ParameterNotFoundError      order.parameter("x") where no parameter is "x"
    │   └── LineNotFoundError           order.line("ALI-...") where no line has that id
    ├── AppLoadError                (receiver._loader) `receiver serve APP` cannot load APP;
    │                               ``kind`` is a stable code
    ├── ScaffoldError               (receiver.scaffold) `receiver new`/create_project() cannot
    │   │                           create the project as asked
    │   ├── InvalidNameError            the project name makes no usable package
    │   ├── UnknownTypeError            a --types name that is no webhook type
    │   └── DirectoryNotEmptyError      the target directory has files and force is not given
    ├── SampleError                 (receiver.testing.overrides) an override that cannot be
    │                               applied to a sample (no such path or parameter)
    ├── OverdueThreadsError         (receiver._threads) a sync handler's call refused at once: too
    │                               many of its threads still run past their deadline
    └── Problem                     (receiver.simulator.problems) the simulator's API refuses a
                                    request; answered as ProblemDetails with its ``status``

The classes outside this module live beside the code that raises them; every exception class
of the package is here (tests/test_errors.py walks the package to keep it so). Some are also the
built-in error a caller would catch: UnknownWebhookTypeError, InvalidNumberError,
InvalidObjectError, MessageTooLongError, InvalidNameError, UnknownTypeError and SampleError are
ValueErrors; ParameterNotFoundError and LineNotFoundError are KeyErrors.

Messages say what happened and what to do; they never contain a token or a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final


class ReceiverError(Exception):
    """Base of every error raised by this package."""


class ConfigurationError(ReceiverError):
    """The receiver is configured in a way that cannot work."""


def _did_you_mean(options: Sequence[str]) -> str:
    if not options:
        return ""
    return " Did you mean " + " or ".join(repr(option) for option in options) + "?"


class UnknownWebhookTypeError(ConfigurationError, ValueError):
    """A webhook type name that is not one the platform defines."""

    def __init__(self, value: str, suggestions: Sequence[str] = ()) -> None:
        self.value = value
        self.suggestions = list(suggestions)
        super().__init__(
            f"Unknown webhook type {value!r}.{_did_you_mean(self.suggestions)}"
            " Known types are listed in receiver.types.KNOWN_WEBHOOK_TYPES; to register a type"
            " the platform added after this release, pass allow_unknown=True to add_handler()."
        )


class InvalidNumberError(ConfigurationError, ValueError):
    """A setting that must be a finite number (above 0, or 0 or more) got something else: 0,
    a negative number, NaN, an infinity, a bool or a value that is not a number at all."""


class DuplicateHandlerError(ConfigurationError):
    """A second handler registered for the same webhook type."""

    def __init__(self, webhook_type: str, existing: str, new: str) -> None:
        super().__init__(
            f"{webhook_type} already has a handler ({existing}); cannot also register {new}."
            " Keep one handler per type and branch inside it, or remove one of the registrations."
        )


class RegistrationClosedError(ConfigurationError):
    """A handler registered after the receiver started serving."""

    def __init__(self, webhook_type: str) -> None:
        super().__init__(
            f"Cannot register a handler for {webhook_type}: the receiver has already served a call."
            " Register every handler at import time, before the server starts."
        )


class AmbiguousHandlersError(ConfigurationError):
    """Several handlers could answer a call on one URL and nothing says which."""

    def __init__(self, candidates: Iterable[str], where: str) -> None:
        names = ", ".join(sorted(candidates))
        super().__init__(
            f"{where}: more than one handler could answer ({names}). Tell the receiver which"
            " webhook is which with Receiver(webhooks={'WBH-....-....': 'ValidateXxx', ...}),"
            " or give each webhook its own URL path (POST /ValidateXxx)."
        )


class SecretConfigurationError(ConfigurationError):
    """A secret or secret source that cannot be used."""


class TokenError(ReceiverError):
    """A bearer token was refused. ``reason`` is a stable code, ``message`` is for people.
    ``webhook_id`` is set when the token named a webhook whose secret was found (the call is
    then one of that webhook's, refused)."""

    def __init__(self, reason: str, message: str, *, webhook_id: str | None = None) -> None:
        self.reason = reason
        self.message = message
        self.webhook_id = webhook_id
        super().__init__(message)


class StoreUnavailableError(ReceiverError):
    """The shared store (Redis) could not be reached or did not answer within its timeout."""


class PlatformError(ReceiverError):
    """The platform's API refused a request (receiver.platform): ``status`` (None when there was
    no answer), ``title``, ``detail`` and ``errors`` (field -> messages) from its ProblemDetails,
    ``request`` (``"GET /public/v1/..."``), and for a 409 the id of the webhook that already
    exists (``conflict_id``, when the platform named it). Never holds a token or a secret."""

    def __init__(
        self,
        request: str,
        *,
        status: int | None,
        title: str | None = None,
        detail: str | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
        conflict_id: str | None = None,
        message: str | None = None,
    ) -> None:
        self.request = request
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = {field: list(messages) for field, messages in (errors or {}).items()}
        self.conflict_id = conflict_id
        super().__init__(message or self._message())

    def _message(self) -> str:
        status = f"{self.status} {self.title}" if self.title else str(self.status)
        said = f": {self.detail.rstrip('.')}." if self.detail else "."
        fields = "".join(
            f" {field}: {' '.join(messages)}" for field, messages in self.errors.items()
        )
        if (
            fields
            and self.detail
            and all(m in self.detail for messages in self.errors.values() for m in messages)
        ):
            fields = ""  # the detail already lists them (as the simulator's does)
        return f"The platform API answered {status} to {self.request}{said}{fields} {self.advice}"

    @property
    def advice(self) -> str:
        """What to do about this answer, in a sentence."""
        status = self.status or 0
        if status == 409:
            if self.conflict_id is None:
                return (
                    "A webhook of that type for that object exists (one per account, type and"
                    " object): find it with `receiver webhooks list`, then update or delete it."
                )
            return (
                f"The webhook that exists is {self.conflict_id}: update it (`receiver webhooks"
                f" update {self.conflict_id}`) or delete it first."
            )
        if status in _PLATFORM_ADVICE:
            return _PLATFORM_ADVICE[status]
        if status >= 500:
            return "The platform API failed or is unavailable: try again later."
        return "Check the request against the platform's Webhook API (docs/platform.md §4)."


_PLATFORM_ADVICE: Final[dict[int, str]] = {
    400: "Fix the fields it names and send the request again.",
    401: "Check the API token (MPT_API_TOKEN or --api-token): it is wrong, expired or revoked.",
    403: "The token's account may not own this object, or the token lacks the scopes for it:"
    " for webhooks, use an API token of the vendor account that owns the product"
    " (MPT_API_TOKEN or --api-token).",
    404: "Check the id: `receiver webhooks list` shows the webhooks this token can see (a Client"
    " token sees none; a deleted webhook is gone for good).",
    429: "The platform is limiting this token's requests: wait a minute and try again.",
}


class PlatformUnreachableError(PlatformError):
    """No answer from the platform API: the connection failed or a timeout passed, on every
    attempt. ``reason`` names the last failure (``ConnectError``, ``ReadTimeout``, ...)."""

    def __init__(
        self, request: str, *, host: str, reason: str, timed_out: bool, attempts: int = 1
    ) -> None:
        self.host = host
        self.reason = reason
        self.timed_out = timed_out
        self.attempts = attempts
        what = "did not answer in time" if timed_out else "could not be reached"
        tries = f", {attempts} attempts" if attempts > 1 else ""
        super().__init__(
            request,
            status=None,
            message=f"The platform API at {host} {what} ({reason}{tries}) for {request}. Check"
            " MPT_API_BASE_URL (--api-url) and the network, then try again.",
        )


class PlatformAnswerError(PlatformError):
    """A 2xx answer of the platform API that is not what the API promises (``problem`` says
    what it is instead)."""

    def __init__(self, request: str, *, status: int, problem: str, kind: str) -> None:
        self.problem = problem
        self.kind = kind  # "not_json", or the JSON kind it was ("array", ...), or "invalid"
        super().__init__(
            request,
            status=status,
            message=f"The platform API answered {request} with {problem}. Check MPT_API_BASE_URL"
            " (--api-url): it must be the platform API's address, without /public/v1.",
        )


class SecretRotationError(ReceiverError):
    """``receiver webhooks rotate`` stopped: the deployed receiver did not accept the new secret
    (nothing was changed on the platform), or the secrets file does not allow the step."""


class SecretLookupError(ReceiverError):
    """A secret resolver failed (network, platform API, user callable)."""


class RequestError(ReceiverError):
    """An HTTP request the receiver cannot use. ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, error_id: str, message: str) -> None:
        self.status = status
        self.error_id = error_id
        self.message = message
        super().__init__(message)


class AnswerError(ReceiverError):
    """A handler returned something that cannot go back to the platform."""


class ModelError(ReceiverError):
    """A model helper was used in a way that cannot work, or a body is not the object it claims."""


class InvalidObjectError(ModelError, ValueError):
    """``Model.from_json``/``from_dict`` got something that is not such an object: invalid JSON,
    a JSON value that is not an object, or an object without a string ``id``."""

    def __init__(self, kind: str, problem: str) -> None:
        self.kind = kind
        self.problem = problem
        super().__init__(
            f"The body is not a valid {kind} ({problem}). The platform sends the object itself"
            " as a JSON object with a string id; check what was posted."
        )


class MessageTooLongError(ModelError, ValueError):
    """An error message longer than the platform accepts (4000 characters)."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"Error message is {length} characters long; the platform accepts at most {limit}."
            " Shorten it (put details in your logs, not in the message)."
        )


class ParameterNotFoundError(ModelError, KeyError):
    """No parameter with the requested external id."""

    def __init__(self, external_id: str, known: Sequence[str]) -> None:
        self.external_id = external_id
        self.known = list(known)
        listed = ", ".join(repr(k) for k in self.known) if self.known else "none"
        super().__init__(
            f"No parameter with externalId {external_id!r}. Known external ids: {listed}."
        )

    def __str__(self) -> str:  # KeyError would print the repr of args
        return str(self.args[0])


class LineNotFoundError(ModelError, KeyError):
    """No order line with the requested id."""

    def __init__(self, line_id: str, known: Sequence[str]) -> None:
        self.line_id = line_id
        listed = ", ".join(repr(k) for k in known) if known else "none"
        super().__init__(f"No line with id {line_id!r}. Line ids in this order: {listed}.")

    def __str__(self) -> str:
        return str(self.args[0])
