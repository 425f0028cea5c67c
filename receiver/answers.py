"""The answer out: check and serialize what the handler returned, read errors on a wire dict,
and build the ``{"id", "message"}`` body of every non-200 answer.

The platform applies a 200 answer to the real object and retries an unparseable 2xx, so an answer
is only sent when it is a JSON object with the request's ``id`` (platform.md §3.1, §3.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic_core

from receiver.errors import AnswerError
from receiver.models import ObjectModel


def clear_dict_errors(data: dict[str, Any]) -> None:
    """``error`` and every ordering parameter's ``error`` set to null where present (both
    reference vendors do this before validating, platform.md §3.2)."""
    if "error" in data:
        data["error"] = None
    parameters = data.get("parameters")
    if isinstance(parameters, dict):
        ordering = parameters.get("ordering")
        if isinstance(ordering, list):
            for parameter in ordering:
                if isinstance(parameter, dict) and "error" in parameter:
                    parameter["error"] = None


def error_of(value: Any) -> dict[str, Any] | None:
    """An ``error`` value as a dict, or None when there is none (a bare string is the OpenAPI
    Request's shape)."""
    if isinstance(value, Mapping) and value:
        return dict(value)
    if isinstance(value, str) and value:
        return {"message": value}
    return None


def parameter_groups(data: Mapping[str, Any]) -> list[list[Any]]:
    """The object's parameter lists: ``ordering`` first, then the other phases; the OpenAPI
    Request's flat list as one group."""
    bag = data.get("parameters")
    if isinstance(bag, list):
        return [bag]
    if isinstance(bag, Mapping):
        names = sorted(bag, key=lambda name: name != "ordering")
        return [bag[name] for name in names if isinstance(bag[name], list)]
    return []


def parameter_error(parameter: Mapping[str, Any]) -> dict[str, Any] | None:
    """A parameter's error: ``error``, or the OpenAPI Request's ``errorCode``/``errorMessage``."""
    error = error_of(parameter.get("error"))
    if error is None and (parameter.get("errorCode") or parameter.get("errorMessage")):
        error = {"id": parameter.get("errorCode"), "message": parameter.get("errorMessage")}
    return error


def parameter_errors(data: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(externalId or id or #position, error)`` for every parameter that carries an error."""
    found = []
    for group in parameter_groups(data):
        for position, parameter in enumerate(group):
            if isinstance(parameter, Mapping):
                error = parameter_error(parameter)
                if error is not None:
                    name = parameter.get("externalId") or parameter.get("id") or f"#{position}"
                    found.append((str(name), error))
    return found


def dict_has_error(data: Mapping[str, Any]) -> bool:
    """True when the object refuses something: an error on it or on one of its parameters."""
    return error_of(data.get("error")) is not None or bool(parameter_errors(data))


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
