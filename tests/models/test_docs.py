"""Every ```python block of docs/models.md runs, so the guide cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).parent.parent.parent / "docs" / "models.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(), re.MULTILINE | re.DOTALL)


def test_the_guide_has_an_example_per_helper_group() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize(
    "code", [pytest.param(code, id=f"block-{number}") for number, code in enumerate(BLOCKS, 1)]
)
def test_guide_example_runs(code: str) -> None:
    exec(compile(code, str(GUIDE), "exec"), {"__name__": "docs_example"})  # noqa: S102
