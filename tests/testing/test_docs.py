"""docs/testing.md runs: its files make a project whose tests pass, and its other examples run.
The docstring examples of receiver.testing run too."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

from tests.testing.test_plugin import PLUGIN

pytest_plugins = ["pytester"]

GUIDE = Path(__file__).parents[2] / "docs" / "testing.md"
BLOCKS = re.findall(r"^ *```(python|toml)\n(.*?)^ *```", GUIDE.read_text(), re.M | re.S)
FILE_RE = re.compile(r"# ([\w.]+\.(?:py|toml))\n")


def dedented(code: str) -> str:
    lines = code.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines) + "\n"


FILES = {
    match.group(1): dedented(code) for _, code in BLOCKS if (match := FILE_RE.match(dedented(code)))
}
SNIPPETS = [
    dedented(code)
    for kind, code in BLOCKS
    if kind == "python" and not FILE_RE.match(dedented(code))
]


def test_the_guide_has_its_examples() -> None:
    assert {"acme.py", "test_acme.py", "conftest.py", "pyproject.toml", "test_auth.py"} <= set(
        FILES
    )
    assert len(SNIPPETS) >= 5


def test_the_guides_project_passes(pytester: pytest.Pytester) -> None:
    for name, code in FILES.items():
        (pytester.path / name).write_text(code)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=10)


@pytest.mark.parametrize(
    "code", [pytest.param(code, id=f"snippet-{number}") for number, code in enumerate(SNIPPETS, 1)]
)
def test_guide_snippet_runs(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    compiled = compile(code, str(GUIDE), "exec")
    if code.startswith("# not run"):
        return  # it needs a server; compiling it is what can be checked here
    exec(compiled, {"__name__": "docs_example"})  # noqa: S102 - our own documentation


@pytest.mark.slow
def test_guide_snippets_pass_mypy_strict(tmp_path: Path) -> None:
    # A project made by `receiver new` runs mypy --strict: code copied from the guide must pass.
    from mypy import api

    files = []
    for number, code in enumerate(SNIPPETS, 1):
        files.append(tmp_path / f"snippet_{number}.py")
        files[-1].write_text(code)
    config = Path(__file__).parents[2] / "pyproject.toml"  # strict, with the pydantic plugin
    out, err, status = api.run(
        ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), *map(str, files)]
    )
    assert status == 0, out + err


MODULES = [
    "receiver.testing",
    "receiver.testing.changes",
    "receiver.testing.client",
    "receiver.testing.overrides",
    "receiver.testing.plugin",
    "receiver.testing.samples",
    "receiver.testing.signing",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0
