"""The answer out: check and serialize what the handler returned, read errors on a wire dict,
and build the ``{"id", "message"}`` body of every non-200 answer.

The platform applies a 200 answer to the real object and retries an unparseable 2xx, so an answer
is only sent when it is a JSON object with the request's ``id`` (platform.md §3.1, §3.4).
"""

from __future__ import annotations

from typing import Any

import pydantic_core

# Finding and clearing errors on a dict has one rule, in receiver._wire_errors; the names it
# had here stay importable from here.
from receiver._wire_errors import clear_errors, has_errors
from receiver._wire_errors import error_of as error_of
from receiver._wire_errors import parameter_error as parameter_error
from receiver._wire_errors import parameter_errors as parameter_errors
from receiver._wire_errors import parameter_groups as parameter_groups
from receiver.errors import AnswerError
from receiver.models import ObjectModel


def clear_dict_errors(data: dict[str, Any]) -> None:
    """Null the object's ``error`` and its parameters' errors where present, as
    ``Model.clear_errors()`` does (both reference vendors clear them before validating,
    platform.md §3.2); the rule is :func:`receiver._wire_errors.clear_errors`."""
    clear_errors(data)


dict_has_error = has_errors  # its name here, for the receiver and the harness


def serialize_answer(result: Any, received: Any, request_id: str) -> tuple[bytes, bool]:
    """The answer's JSON bytes and whether it refuses something.

    ``result`` is what the handler returned: None (send ``received`` as mutated), the model, or
    a dict. Raises :class:`AnswerError` when it cannot go to the platform."""
    answer = received if result is None else result
    if isinstance(answer, dict):
        answer_id = answer.get("id")
        try:
            payload = pydantic_core.to_json(answer, inf_nan_mode="null")
        except pydantic_core.PydanticSerializationError as exc:
            raise AnswerError(f"The handler's answer cannot be written as JSON: {exc}") from None
        refused = dict_has_error(answer)
    elif isinstance(answer, ObjectModel):
        answer_id = answer.id
        payload = answer.to_json()
        refused = answer.has_errors
    else:
        raise AnswerError(
            f"The handler returned {type(answer).__name__}; return the object it was given,"
            " a dict, or None (to send the object as changed in place)."
        )
    if answer_id != request_id:
        raise AnswerError(
            f"The handler's answer has id {answer_id!r}, the call was for {request_id!r};"
            " the platform applies the answer to the object it sent, so keep its id."
        )
    return payload, refused


def error_body(error_id: str, message: str) -> bytes:
    """The ``{"id", "message"}`` body of every non-200 answer."""
    return pydantic_core.to_json({"id": error_id, "message": message})
