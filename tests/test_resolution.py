"""infer_webhook_types works the candidates out once per (kind, type, status): the same answer
as reading the body each time, whatever the body holds."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from receiver.resolution import infer_webhook_types
from receiver.types import candidate_webhook_types, object_type_for_id

VALUES = (
    st.none()
    | st.integers()
    | st.lists(st.integers(), max_size=2)
    | st.sampled_from(
        [
            "Purchase",
            "purchase",
            "Change",
            "Termination",
            "Configuration",
            "Draft",
            "draft",
            "Querying",
            "Processing",
            "Change ",
            "",
        ]
    )
    | st.text(max_size=6)
)
IDS = st.sampled_from(["ORD-1", "ord-2", "ENR-3", "ACC-4", "REQ-5", "ANS-6", "XYZ-7", ""]) | VALUES


@given(
    object_id=IDS,
    order_type=VALUES,
    status=VALUES,
    absent=st.sets(st.sampled_from(["type", "status"])),
)
def test_cached_candidates_are_the_bodys_candidates(
    object_id: Any, order_type: Any, status: Any, absent: set[str]
) -> None:
    body = {"id": object_id, "type": order_type, "status": status, "other": 1}
    for name in absent:
        del body[name]
    kind = object_type_for_id(object_id) if isinstance(object_id, str) else None
    expected = {t for tier in candidate_webhook_types(kind, body) for t in tier} if kind else set()

    assert infer_webhook_types(body) == (kind, expected)
    assert infer_webhook_types(body) == (kind, expected)  # from the cache
