"""The Pythons the package says it supports are the ones CI runs the suite on, and a missing one
fails the run instead of being skipped."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, Any] = tomllib.load(file)["project"]
    return project


def _noxfile_pythons() -> list[str]:
    # Read, not run: running the noxfile registers its sessions and looks for interpreters.
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PYTHONS" for target in node.targets
        ):
            pythons: list[str] = ast.literal_eval(node.value)
            return pythons
    raise AssertionError("noxfile.py has no PYTHONS = [...]")


def test_the_classifiers_name_each_python_ci_tests() -> None:
    prefix = "Programming Language :: Python :: 3."
    listed = [
        name.removeprefix("Programming Language :: Python :: ")
        for name in _project()["classifiers"]
        if name.startswith(prefix)
    ]

    assert listed == _noxfile_pythons()


def test_the_oldest_python_tested_is_the_one_required() -> None:
    assert _project()["requires-python"] == f">={_noxfile_pythons()[0]}"


@pytest.mark.slow
def test_a_missing_python_fails_the_run_instead_of_being_skipped(tmp_path: Path) -> None:
    # Outside CI nox skips a missing interpreter unless the noxfile says otherwise.
    env = {name: value for name, value in os.environ.items() if name != "CI"}
    # A copy: the noxfile links the interpreters it finds beside itself, and the checkout's
    # links are the running nox's.
    noxfile = tmp_path / "noxfile.py"
    shutil.copyfile(ROOT / "noxfile.py", noxfile)

    result = subprocess.run(
        [
            *(sys.executable, "-m", "nox", "-f", str(noxfile), "-s", "tests"),
            *("--force-python", "3.99", "--envdir", str(tmp_path / ".nox")),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert "Python interpreter 3.99 not found" in result.stderr
    assert "skipped" not in result.stderr.lower()
