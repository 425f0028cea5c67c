from __future__ import annotations

from typing import Any

import pytest

from receiver.models import Line


@pytest.mark.parametrize(
    ("old", "new", "is_new", "is_upsized", "is_downsized"),
    [
        pytest.param(0, 5, True, False, False, id="purchase-0-to-5"),
        pytest.param(10, 15, False, True, False, id="upsize-10-to-15"),
        pytest.param(10, 5, False, False, True, id="downsize-10-to-5"),
        pytest.param(10, 0, False, False, True, id="termination-10-to-0"),
        pytest.param(10, 10, False, False, False, id="configuration-10-to-10"),
        pytest.param(0, 0, True, False, False, id="new-with-zero"),
        pytest.param(None, 1, False, False, False, id="no-old-quantity"),
        pytest.param(1, None, False, False, False, id="no-quantity"),
        pytest.param("0", "5", False, False, False, id="strings-are-not-numbers"),
        pytest.param(False, 5, False, False, False, id="bool-is-not-a-number"),
        pytest.param(0.0, 2.0, True, False, False, id="floats"),
    ],
)
def test_line_kinds_follow_the_sdk6_definitions(
    old: Any, new: Any, is_new: bool, is_upsized: bool, is_downsized: bool
) -> None:
    line = Line.from_dict({"oldQuantity": old, "quantity": new})

    assert (line.is_new, line.is_upsized, line.is_downsized) == (is_new, is_upsized, is_downsized)
