"""``ValidateAnswer``: the object of the Answer family, whose body no source documents.

It is modelled generically: a string ``id``, an ``error`` like every other object, and every
other key kept as it came.
"""

from __future__ import annotations

from receiver.models._object import ErrorObjectModel


class ValidateAnswer(ErrorObjectModel):
    """Any object we do not model: ``id`` and ``error``; the rest round-trips untouched.

    >>> answer = ValidateAnswer.from_dict({"id": "ANS-1", "form": {"id": "FRM-1"}})
    >>> answer.form
    {'id': 'FRM-1'}
    >>> answer.set_error(None, "Not accepted.").to_dict()
    {'id': 'ANS-1', 'error': {'message': 'Not accepted.'}, 'form': {'id': 'FRM-1'}}
    """
