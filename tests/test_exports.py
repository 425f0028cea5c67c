"""The public import surface: sorted, complete, importable, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import receiver


def test_all_is_sorted_and_importable() -> None:
    assert receiver.__all__ == sorted(receiver.__all__)
    for name in receiver.__all__:
        assert getattr(receiver, name) is not None


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = receiver.Nope  # type: ignore[attr-defined]


def test_dir_lists_the_public_names() -> None:
    assert set(receiver.__all__) <= set(dir(receiver))


def test_importing_the_package_or_its_plugin_loads_no_heavy_dependency() -> None:
    # The pytest plugin is loaded in every pytest run of every project that installs us.
    code = (
        "import sys, receiver, receiver.testing.plugin;"
        "heavy = ('pydantic', 'httpx', 'cryptography', 'starlette');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print(','.join(heavy))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert output == ""
