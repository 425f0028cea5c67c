from __future__ import annotations

from receiver.models import ValidateAnswer


def test_unknown_object_round_trips_and_takes_an_error() -> None:
    body = {"id": "ANS-1", "form": {"id": "FRM-1"}, "answers": [{"q": 1, "a": "yes"}]}

    answer = ValidateAnswer.from_dict(body)

    assert answer.to_dict() == body
    assert answer.set_error("F1", "Answer 1 is not allowed.").to_dict() == {
        **body,
        "error": {"id": "F1", "message": "Answer 1 is not allowed."},
    }
    assert answer.clear_errors().to_dict() == {**body, "error": None}
