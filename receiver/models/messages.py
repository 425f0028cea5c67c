"""The platform's error message (OAS ``ParametrisedMessage``): ``{id, message, parameters}``.

It is the ``error`` of an order, a parameter, an enrollment, and the ``statusNotes`` of an order.
``message`` is 1 to 4000 characters; we refuse anything else where a handler sets it, and keep
whatever the platform sent when we parse.
"""

from __future__ import annotations

from typing import Any, Final

from receiver.errors import MessageTooLongError
from receiver.models._base import Lenient, WireModel

MESSAGE_MAX_LENGTH: Final = 4000


def check_message(message: object) -> str:
    """Return ``message`` if the platform accepts it as an error text, else raise.

    >>> check_message("Company name is required.")
    'Company name is required.'
    >>> check_message("x" * 4001)
    Traceback (most recent call last):
    ...
    receiver.errors.MessageTooLongError: Error message is 4001 characters long; ...
    """
    if not isinstance(message, str):
        raise TypeError(f"An error message must be a string, not {type(message).__name__}.")
    if not message:
        raise ValueError("An error message cannot be empty; say what the buyer should fix.")
    if len(message) > MESSAGE_MAX_LENGTH:
        raise MessageTooLongError(len(message), MESSAGE_MAX_LENGTH)
    return message


class Message(WireModel):
    """An error or status note: a code (``id``), a text (``message``) and optional parameters.

    >>> Message("AWS003", "Change orders are not supported.").to_dict()
    {'id': 'AWS003', 'message': 'Change orders are not supported.'}
    >>> Message("X", "")
    Traceback (most recent call last):
    ...
    ValueError: An error message cannot be empty; say what the buyer should fix.
    """

    id: Lenient[str] = None
    message: Lenient[str] = None
    parameters: Any = None

    def __init__(
        self,
        id: str | None = None,
        message: str = "",
        parameters: Any = None,
        **extra: Any,
    ) -> None:
        data: dict[str, Any] = {"message": check_message(message)}
        # Only what was given is "set", so a code-less message dumps without ``"id": null``.
        if id is not None:
            data["id"] = id
        if parameters is not None:
            data["parameters"] = parameters
        super().__init__(**data, **extra)

    # Parsing must not run the check above (a long message from the platform is kept as it came):
    # this marker tells pydantic to validate without calling __init__, as RootModel does.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "message":
            check_message(value)
        super().__setattr__(name, value)
