from __future__ import annotations

from typing import Any

import pytest

from receiver.errors import MessageTooLongError, ModelError
from receiver.models import MESSAGE_MAX_LENGTH, Message, Order, check_message


@pytest.mark.parametrize(
    ("message", "error"),
    [
        pytest.param("", ValueError, id="empty"),
        pytest.param("x" * (MESSAGE_MAX_LENGTH + 1), MessageTooLongError, id="4001-chars"),
        pytest.param(None, TypeError, id="none"),
        pytest.param(42, TypeError, id="number"),
    ],
)
def test_unacceptable_messages_are_refused_at_construction(message: Any, error: type) -> None:
    with pytest.raises(error):
        Message("E1", message)


@pytest.mark.parametrize(
    "message",
    [pytest.param("x", id="1-char"), pytest.param("x" * MESSAGE_MAX_LENGTH, id="4000-chars")],
)
def test_messages_within_limits_are_accepted(message: str) -> None:
    assert Message("E1", message).message == message


def test_too_long_is_a_model_error_that_names_the_limit() -> None:
    with pytest.raises(MessageTooLongError, match=r"4001 characters.*at most 4000") as caught:
        check_message("x" * 4001)

    assert isinstance(caught.value, ModelError)
    assert isinstance(caught.value, ValueError)


def test_assigning_a_too_long_message_is_refused_and_keeps_the_old_one() -> None:
    message = Message("E1", "short")

    with pytest.raises(MessageTooLongError):
        message.message = "x" * 4001

    assert message.message == "short"


def test_assigning_other_fields_is_not_checked() -> None:
    message = Message("E1", "short")

    message.id = "E2"

    assert message.to_dict() == {"id": "E2", "message": "short"}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"message": "m"}, {"message": "m"}, id="no-id"),
        pytest.param({"id": "E", "message": "m"}, {"id": "E", "message": "m"}, id="id"),
        pytest.param(
            {"id": "E", "message": "m", "parameters": {"n": 1}},
            {"id": "E", "message": "m", "parameters": {"n": 1}},
            id="parameters",
        ),
        pytest.param({"message": "m", "extraKey": 1}, {"message": "m", "extraKey": 1}, id="extra"),
    ],
)
def test_only_given_keys_are_dumped(kwargs: dict[str, Any], expected: dict[str, Any]) -> None:
    assert Message(**kwargs).to_dict() == expected


def test_a_long_message_from_the_platform_is_kept_not_refused() -> None:
    order = Order.from_dict({"id": "O", "error": {"message": "x" * 5000}})

    assert isinstance(order.error, Message)
    assert order.error.message == "x" * 5000
