"""Lint once, then the test suite on every Python the package supports (the classifiers).

``bash scripts/test`` runs these sessions one after the other; ``nox -s tests-3.13 --
tests/simulator`` runs one version on a part of the suite (arguments after ``--`` go to pytest).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nox

# Kept in step with the classifiers in pyproject.toml (tests/test_packaging.py checks).
PYTHONS = ["3.11", "3.12", "3.13"]
# Coverage is measured once, on the first version, and only on a whole run: the code is the same
# on each version, tracing slows every run, and a part of the suite (`-- tests/x.py`) is below
# the floor by design.
COVERAGE_PYTHON = PYTHONS[0]

nox.options.sessions = ["lint", "tests"]
# A version that is not installed fails the run (nox skips it by default outside CI), and is
# never downloaded: these machines reach package registries only.
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"


def _runs(command: str) -> bool:
    try:  # the command is pythonX.Y, one of ours
        done = subprocess.run([command, "-c", ""], capture_output=True, check=False)  # noqa: S603
    except OSError:
        return False
    return done.returncode == 0


def _release(path: Path) -> tuple[int, ...]:
    # versions/3.12.10 sorts after versions/3.12.9; a name like 3.12-dev sorts first.
    name = path.parent.parent.name
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def _link_pyenv_pythons(versions: list[str], links: Path) -> list[str]:
    """Make each version runnable as ``pythonX.Y`` for nox; return the versions not found.

    pyenv's shims run only the versions pyenv has active (one, on our machines), so
    ``python3.12`` on PATH may be a shim that refuses to run. A version found only under
    ``$PYENV_ROOT/versions`` is linked into ``links``, put first on PATH; nothing else on PATH
    changes (``python3`` stays what it was).
    """
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    missing = []
    for version in versions:
        link = links / f"python{version}"
        link.unlink(missing_ok=True)
        if _runs(f"python{version}"):
            continue
        found = sorted(root.glob(f"versions/{version}.*/bin/python{version}"), key=_release)
        if not found:
            missing.append(version)
            continue
        links.mkdir(parents=True, exist_ok=True)
        link.symlink_to(found[-1])
    if links.is_dir():
        os.environ["PATH"] = f"{links}{os.pathsep}{os.environ.get('PATH', '')}"
    return missing


_missing = _link_pyenv_pythons(PYTHONS, Path(__file__).resolve().parent / ".nox" / "pythons")
if _missing:
    print(
        f"nox > Python {', '.join(_missing)} not found (as python3.X on PATH or under"
        " $PYENV_ROOT/versions/3.X.*): a session on it fails. Install it (pyenv install"
        f" {_missing[0]}), or run on .venv's Python alone: bash scripts/test --quick",
        file=sys.stderr,
    )


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict, once: the code is the same on every version."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The pytest suite; with coverage and its floor on the first version's whole run."""
    session.install("-e", ".[dev]")
    whole = session.python == COVERAGE_PYTHON and not session.posargs
    coverage = ["--cov", "--cov-report=term"] if whole else []
    session.run("pytest", *coverage, *session.posargs)
