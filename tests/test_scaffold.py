"""``receiver new`` and :mod:`receiver.scaffold`: names, types, directories, prompts, what a
project holds, and (slow) a project made from the built wheel passing its own checks.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from click.testing import CliRunner, Result

from receiver import cli, scaffold
from receiver.cli import main
from receiver.scaffold import (
    DEFAULT_TYPES,
    HANDLERS,
    DirectoryNotEmptyError,
    InvalidNameError,
    ProjectNames,
    ScaffoldError,
    UnknownTypeError,
    create_project,
    parse_types,
    project_names,
    render_project,
)
from receiver.types import KNOWN_WEBHOOK_TYPES, WebhookType

REPO = Path(__file__).resolve().parent.parent
ALL_TYPES = ",".join(KNOWN_WEBHOOK_TYPES)
BOUND = 120.0  # seconds a quick subprocess (ruff, pytest of a project) may take at most

Invoke = Callable[..., Result]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files_of(directory: Path) -> set[str]:
    return {
        path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()
    }


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "distribution", "package", "prefix"),
    [
        ("acme", "acme", "acme", "ACME"),
        ("demo-vendor", "demo-vendor", "demo_vendor", "DEMO"),
        ("Acme-Webhooks", "acme-webhooks", "acme_webhooks", "ACME"),
        ("acme_webhooks", "acme-webhooks", "acme_webhooks", "ACME"),
        ("acme.webhooks", "acme-webhooks", "acme_webhooks", "ACME"),
        ("x2", "x2", "x2", "X"),
        ("  padded  ", "padded", "padded", "PADD"),
        ("receiver-acme", "receiver-acme", "receiver_acme", "RECE"),
    ],
)
def test_project_names(name: str, distribution: str, package: str, prefix: str) -> None:
    assert project_names(name) == ProjectNames(name.strip(), distribution, package, prefix)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("", "The project name is empty; give one like acme-webhooks.", id="empty"),
        pytest.param("   ", "The project name is empty", id="blank"),
        pytest.param("-acme", "'-acme' is not a valid project name: use ASCII letters", id="dash"),
        pytest.param("acme-", "starting and ending with a letter or digit", id="trailing-dash"),
        pytest.param("acme webhooks", "is not a valid project name", id="space"),
        pytest.param("äcme", "is not a valid project name", id="not-ascii"),
        pytest.param("acme/hooks", "is not a valid project name", id="slash"),
        pytest.param(
            "1password",
            "'1password' gives the package name '1password', which is not a Python identifier:"
            " start the name with a letter (e.g. webhooks-1password).",
            id="digit-first",
        ),
        pytest.param(
            "class",
            "'class' is a Python keyword and cannot be imported; choose another name"
            " (e.g. class-webhooks).",
            id="keyword",
        ),
        pytest.param("Import", "'import' is a Python keyword", id="keyword-any-case"),
        pytest.param(
            "json",
            "The package 'json' would shadow the standard library's 'json' module; choose another"
            " name (e.g. json-webhooks).",
            id="stdlib",
        ),
        pytest.param("test", "the standard library's 'test' module", id="stdlib-test"),
        pytest.param("email", "the standard library's 'email' module", id="stdlib-email"),
        pytest.param(
            "receiver",
            "The package 'receiver' would shadow mpt-receiver itself; choose another name"
            " (e.g. receiver-webhooks).",
            id="receiver",
        ),
        pytest.param("mpt-receiver", "would shadow mpt-receiver itself", id="our-distribution"),
        pytest.param("tests", "would shadow the project's own tests", id="tests"),
        pytest.param("pytest", "would shadow the 'pytest' package the project installs", id="tool"),
        pytest.param("pydantic", "the 'pydantic' package the project installs", id="dependency"),
        pytest.param("Starlette", "the 'starlette' package the project installs", id="case"),
        pytest.param(
            "a" * 51,
            "The project name is 51 characters long; keep it to 50 or fewer.",
            id="too-long",
        ),
    ],
)
def test_invalid_names(name: str, message: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        project_names(name)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


# -- types --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "ValidateChangeOrderDraft",
        "validateChangeOrderDraft",
        "validate_change_order_draft",
        "validate-change-order-draft",
        "VALIDATECHANGEORDERDRAFT",
        "  validateChangeOrderDraft  ",
    ],
)
def test_types_in_any_casing(spelling: str) -> None:
    assert parse_types(spelling) == (WebhookType("ValidateChangeOrderDraft"),)


def test_types_come_in_the_platforms_order_without_repeats() -> None:
    chosen = parse_types("SelectOrderLines, validatePurchaseOrderDraft,,select_order_lines")
    assert chosen == ("ValidatePurchaseOrderDraft", "SelectOrderLines")
    assert parse_types(["validateAccount", "ValidateAccount"]) == ("ValidateAccount",)


@pytest.mark.parametrize("spelling", ["all", "ALL", "all,ValidateAccount"])
def test_all_types(spelling: str) -> None:
    assert parse_types(spelling) == KNOWN_WEBHOOK_TYPES


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            "ValidatePurchaseOrderDraf",
            "Unknown webhook type 'ValidatePurchaseOrderDraf'. Did you mean"
            " 'ValidatePurchaseOrderDraft'",
            id="typo",
        ),
        pytest.param(
            "validate_terminate_ordr",
            "Unknown webhook type 'validate_terminate_ordr'. Did you mean"
            " 'ValidateTerminateOrder'?",
            id="snake-typo",
        ),
        pytest.param(
            "selectlines",
            "Unknown webhook type 'selectlines'. Did you mean 'SelectOrderLines'?",
            id="close",
        ),
        pytest.param(
            "Refund",
            "Unknown webhook type 'Refund'; the types are ValidatePurchaseOrderDraft,",
            id="nothing-close",
        ),
        pytest.param("", "No webhook type given; name one or more", id="empty"),
        pytest.param(" , ", "No webhook type given", id="only-commas"),
    ],
)
def test_unknown_types(value: str, message: str) -> None:
    with pytest.raises(UnknownTypeError) as caught:
        parse_types(value)
    assert message in str(caught.value)


def test_every_known_type_has_a_handler_template_and_tests() -> None:
    assert set(HANDLERS) == set(KNOWN_WEBHOOK_TYPES)
    for kind in KNOWN_WEBHOOK_TYPES:
        assert (REPO / "templates" / "handlers" / f"{kind.snake_name}.py.tmpl").is_file()
        assert (REPO / "templates" / "tests" / f"test_{kind.snake_name}.py.tmpl").is_file()


def test_every_template_file_ends_in_tmpl() -> None:
    # Then this repository's ruff, mypy and pytest never read a template as code.
    templates = REPO / "templates"
    files = [path for path in templates.rglob("*") if path.is_file()]
    assert files
    assert [p for p in files if p.suffix != ".tmpl" and p != templates / "README.md"] == []


# -- what a project holds -----------------------------------------------------------------------

DEPLOY_TESTS = "tests/test_deploy.py"  # every project's; the others are one per handler
PROJECT_FILES = {
    ".dockerignore",
    ".env.example",
    ".github/workflows/ci.yml",
    ".gitignore",
    "Dockerfile",
    "README.md",
    "deploy/kubernetes.yaml",
    "docker-compose.yml",
    "pyproject.toml",
    "acme_webhooks/__init__.py",
    "acme_webhooks/app.py",
    "acme_webhooks/py.typed",
    "tests/__init__.py",
    DEPLOY_TESTS,
}


def test_a_project_with_the_default_type(workdir: Path) -> None:
    target = create_project("acme-webhooks")

    assert target == workdir / "acme-webhooks"
    assert DEFAULT_TYPES == ("ValidatePurchaseOrderDraft",)
    assert files_of(target) == PROJECT_FILES | {"tests/test_validate_purchase_order_draft.py"}
    app = (target / "acme_webhooks" / "app.py").read_text()
    assert "app = Receiver()\n" in app
    assert "@app.validate_purchase_order_draft\n" in app
    assert app.count("@app.") == 1


@pytest.mark.parametrize("kind", KNOWN_WEBHOOK_TYPES)
def test_a_project_for_each_type(kind: WebhookType, tmp_path: Path) -> None:
    target = create_project("acme-webhooks", types=[kind], directory=tmp_path / "p")

    tests = {f"tests/test_{kind.snake_name}.py"}
    assert files_of(target) == PROJECT_FILES | tests
    app = (target / "acme_webhooks" / "app.py").read_text()
    assert f"@app.{kind.snake_name}\n" in app
    assert app.count("@app.") == 1
    assert "$" not in app  # every placeholder was filled
    readme = (target / "README.md").read_text()
    assert f"| `{kind}` | `{kind.snake_name}` | {HANDLERS[kind].summary} |" in readme
    assert f"receiver send http://127.0.0.1:8080/{kind} --type {kind}\n" in readme
    assert "pypi.org" not in readme  # mpt-receiver has no index page yet
    test_code = (target / next(iter(tests))).read_text()
    assert f'platform.call("{kind}"' in test_code
    assert "ACME0" in test_code  # the project's error codes


@pytest.mark.parametrize(
    ("types", "noted"),
    [
        pytest.param("ValidatePurchaseOrderDraft,SelectOrderLines", True, id="purchase+select"),
        pytest.param("all", True, id="all"),
        pytest.param("SelectOrderLines,ValidateChangeOrderDraft", False, id="select+change"),
        pytest.param("ValidatePurchaseOrderDraft,ValidateChangeOrderDraft", False, id="no-select"),
    ],
)
def test_app_says_how_types_that_share_an_object_are_told_apart(types: str, noted: bool) -> None:
    files = render_project(project_names("acme"), parse_types(types), receiver_spec="mpt-receiver")
    app = files[PurePosixPath("acme/app.py")]
    note = "receive the same object (a Purchase order): give each webhook its own URL path"
    assert (note in " ".join(line.lstrip("# ") for line in app.splitlines())) is noted
    assert ("SelectOrderLines" in app.split("app = Receiver()")[0]) is noted


def test_shared_code_is_written_once(tmp_path: Path) -> None:
    files = render_project(project_names("acme"), parse_types("all"), receiver_spec="mpt-receiver")
    app = files[PurePosixPath("acme/app.py")]
    assert app.count("def check_partner_id(") == 1
    assert app.count("ACME_PRO = ") == 1
    assert app.count("@app.") == len(KNOWN_WEBHOOK_TYPES)
    assert (
        "import re\nfrom datetime import UTC, datetime, timedelta\n\n"
        "from receiver import Account, Enrollment, Order, Receiver, Request, ValidateAnswer\n"
    ) in app


def test_project_settings_match_this_repository() -> None:
    ours = tomllib.loads((REPO / "pyproject.toml").read_text())
    files = render_project(project_names("acme"), DEFAULT_TYPES, receiver_spec="mpt-receiver")
    theirs = tomllib.loads(files[PurePosixPath("pyproject.toml")])

    assert theirs["tool"]["ruff"]["line-length"] == ours["tool"]["ruff"]["line-length"]
    assert theirs["tool"]["ruff"]["target-version"] == ours["tool"]["ruff"]["target-version"]
    assert theirs["tool"]["ruff"]["lint"]["select"] == ours["tool"]["ruff"]["lint"]["select"]
    assert theirs["tool"]["ruff"]["lint"]["ignore"] == ours["tool"]["ruff"]["lint"]["ignore"]
    ignores = ours["tool"]["ruff"]["lint"]["per-file-ignores"]["tests/**"]
    assert theirs["tool"]["ruff"]["lint"]["per-file-ignores"] == {"tests/**": ignores}
    for key in ("strict", "python_version", "plugins"):
        assert theirs["tool"]["mypy"][key] == ours["tool"]["mypy"][key]
    assert theirs["tool"]["mypy"]["packages"] == ["acme", "tests"]
    pytest_ini = theirs["tool"]["pytest"]["ini_options"]
    for key in ("addopts", "xfail_strict", "filterwarnings"):
        assert pytest_ini[key] == ours["tool"]["pytest"]["ini_options"][key]
    assert pytest_ini["receiver_app"] == "acme.app:app"
    assert theirs["project"]["requires-python"] == ours["project"]["requires-python"]
    assert theirs["project"]["dependencies"] == ["mpt-receiver"]
    assert {"pytest", "ruff", "mypy"} <= {
        dep.split(">")[0] for dep in theirs["project"]["optional-dependencies"]["dev"]
    }


def test_the_deployment_files() -> None:
    files = render_project(project_names("acme-webhooks"), DEFAULT_TYPES)
    dockerfile = files[PurePosixPath("Dockerfile")]
    assert dockerfile.startswith("# The receiver of acme-webhooks")
    assert "FROM python:3.12-slim\n" in dockerfile
    assert "RUN useradd" in dockerfile
    assert "\nUSER receiver\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "urllib.request.urlopen('http://127.0.0.1:8080/readyz'" in dockerfile
    assert "curl" not in dockerfile.replace("No curl", "")
    assert '"receiver", "serve", "acme_webhooks.app:app"' in dockerfile
    assert "FORWARDED_ALLOW_IPS" in dockerfile  # receiver serve trusts X-Forwarded-* from there
    assert "COPY acme_webhooks ./acme_webhooks\n" in dockerfile

    ci = files[PurePosixPath(".github/workflows/ci.yml")]
    for step in (
        'pip install -e ".[dev]"',
        "ruff check .",
        "ruff format --check .",
        "mypy",
        "pytest",
    ):
        assert step in ci
    assert ".env\n" in files[PurePosixPath(".gitignore")]
    assert ".env\n" in files[PurePosixPath(".dockerignore")]
    env = files[PurePosixPath(".env.example")]
    assert 'RECEIVER_SECRETS={"WBH-0000-0000": "replace-with-the-webhook-secret"}\n' in env
    readme = files[PurePosixPath("README.md")]
    for section in ("## Develop", "## Test", "## Deploy", "## Rotate a secret"):
        assert section in readme
    assert "docker build -t acme-webhooks ." in readme


class FakeDistribution:
    """What default_receiver_spec reads of an installed mpt-receiver: its version and its
    direct_url.json (PEP 610), None when it was installed from an index."""

    def __init__(self, direct_url: str | None, version: str = "0.1.0") -> None:
        self.direct_url = direct_url
        self.version = version

    def read_text(self, filename: str) -> str | None:
        return self.direct_url if filename == "direct_url.json" else None


def installed_from(
    monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, Any] | str | None, version: str = "0.1.0"
) -> None:
    text = json.dumps(direct_url) if isinstance(direct_url, dict) else direct_url
    monkeypatch.setattr(scaffold, "distribution", lambda name: FakeDistribution(text, version))


def test_the_receiver_requirement(monkeypatch: pytest.MonkeyPatch) -> None:
    names = project_names("acme")
    installed_from(monkeypatch, None)  # from an index
    default = render_project(names, DEFAULT_TYPES)[PurePosixPath("pyproject.toml")]
    assert '    "mpt-receiver>=0.1,<0.2",\n' in default
    wheel = "mpt-receiver @ file:///tmp/dist/mpt_receiver-0.1.0-py3-none-any.whl"
    local = render_project(names, DEFAULT_TYPES, receiver_spec=wheel)
    assert tomllib.loads(local[PurePosixPath("pyproject.toml")])["project"]["dependencies"] == [
        wheel
    ]
    assert "allow-direct-references" not in default
    assert "[tool.hatch.metadata]\n" in local[PurePosixPath("pyproject.toml")]
    for broken in ('mpt-receiver"', "a\nb", " "):
        with pytest.raises(ScaffoldError, match="is not a requirement for mpt-receiver"):
            render_project(names, DEFAULT_TYPES, receiver_spec=broken)


@pytest.mark.parametrize(
    ("installed", "spec"),
    [
        ("0.1.0", "mpt-receiver>=0.1,<0.2"),
        ("0.3.2.dev4+g1234", "mpt-receiver>=0.3,<0.4"),
        ("1.4.0", "mpt-receiver>=1.4,<2"),
    ],
)
def test_installed_from_an_index_the_minor_series(
    installed: str, spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_from(monkeypatch, None, installed)
    assert scaffold.default_receiver_spec() == spec


@pytest.fixture
def wheel_file(tmp_path: Path) -> Path:
    wheel = tmp_path / "my dist" / "mpt_receiver-0.1.0-py3-none-any.whl"  # a space: %20
    wheel.parent.mkdir()
    wheel.write_bytes(b"PK")
    return wheel


def test_installed_from_a_wheel_file(wheel_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = wheel_file.as_uri()
    installed_from(monkeypatch, {"url": url, "archive_info": {"hashes": {"sha256": "ab"}}})
    assert scaffold.default_receiver_spec() == f"mpt-receiver @ {url}"


def test_installed_from_an_archive_url(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://files.acme.example/mpt_receiver-0.1.0-py3-none-any.whl"
    installed_from(monkeypatch, {"url": url, "archive_info": {}})
    assert scaffold.default_receiver_spec() == f"mpt-receiver @ {url}"


@pytest.mark.parametrize("dir_info", [{"editable": True}, {}], ids=["editable", "not-editable"])
def test_installed_from_a_checkout(
    dir_info: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "mpt receiver"
    checkout.mkdir()
    installed_from(monkeypatch, {"url": checkout.as_uri(), "dir_info": dir_info})
    assert scaffold.default_receiver_spec() == f"mpt-receiver @ {checkout.as_uri()}"


def test_installed_from_version_control(monkeypatch: pytest.MonkeyPatch) -> None:
    installed_from(
        monkeypatch,
        {
            "url": "https://github.com/acme/mpt-receiver.git",
            "vcs_info": {"vcs": "git", "commit_id": "7d1c0b6", "requested_revision": "main"},
        },
    )
    assert scaffold.default_receiver_spec() == (
        "mpt-receiver @ git+https://github.com/acme/mpt-receiver.git@7d1c0b6"
    )


def test_this_checkouts_editable_install_is_pointed_at() -> None:
    # The suite runs from an editable install of this repository (scripts/_venv).
    assert scaffold.default_receiver_spec() == f"mpt-receiver @ {REPO.as_uri()}"


@pytest.mark.parametrize(
    ("direct_url", "reason"),
    [
        pytest.param(
            {"url": "file:///nowhere/mpt_receiver-0.1.0-py3-none-any.whl", "archive_info": {}},
            "it was installed from the file /nowhere/mpt_receiver-0.1.0-py3-none-any.whl, which"
            " is not there",
            id="wheel-gone",
        ),
        pytest.param(
            {"url": "file:///nowhere/checkout", "dir_info": {"editable": True}},
            "it was installed from the directory /nowhere/checkout, which is not there",
            id="checkout-gone",
        ),
        pytest.param("{not json", "its direct_url.json has no URL", id="not-json"),
        pytest.param({"dir_info": {}}, "its direct_url.json has no URL", id="no-url"),
        pytest.param(
            {"url": "file:///x"},
            "its direct_url.json names file:///x but not what it is",
            id="unknown-shape",
        ),
    ],
)
def test_when_it_cannot_tell_it_says_what_to_pass(
    direct_url: dict[str, Any] | str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_from(monkeypatch, direct_url)

    with pytest.raises(ScaffoldError) as caught:
        scaffold.default_receiver_spec()

    message = str(caught.value)
    assert message.startswith(f"Cannot tell where this mpt-receiver came from ({reason}),")
    assert "--receiver-spec (receiver_spec= from Python)" in message
    assert "'mpt-receiver @ file:///path/to/mpt_receiver-0.1.0-py3-none-any.whl'" in message


def test_not_installed_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(scaffold, "distribution", missing)
    with pytest.raises(ScaffoldError, match=r"^Cannot tell .* \(it is not installed; .*--receiver"):
        scaffold.default_receiver_spec()


def test_render_needs_a_type() -> None:
    with pytest.raises(UnknownTypeError, match="at least one webhook type"):
        render_project(project_names("acme"), [])


# -- directories --------------------------------------------------------------------------------


def test_an_empty_directory_is_used(tmp_path: Path) -> None:
    target = create_project("acme", directory=tmp_path)
    assert target == tmp_path
    assert (tmp_path / "acme" / "app.py").is_file()


def test_a_directory_with_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DirectoryNotEmptyError) as caught:
        create_project("acme", directory=tmp_path)
    assert str(caught.value) == (
        f"{tmp_path} is not empty; choose another directory, or pass --force to write the"
        " project's files into it (files of the same name are replaced)."
    )
    assert files_of(tmp_path) == {"notes.txt"}


def test_a_hidden_file_counts(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    with pytest.raises(DirectoryNotEmptyError):
        create_project("acme", directory=tmp_path)


def test_force_replaces_the_projects_files_and_keeps_the_others(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "README.md").write_text("old readme")
    create_project("acme", directory=tmp_path, force=True)

    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "README.md").read_text().startswith("# acme\n")
    assert (tmp_path / "acme" / "app.py").is_file()


def test_a_file_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "acme").write_text("")
    with pytest.raises(ScaffoldError, match="is a file; give a directory for the project"):
        create_project("acme", directory=tmp_path / "acme", force=True)


def test_nothing_is_written_for_a_bad_name_or_type(workdir: Path) -> None:
    with pytest.raises(InvalidNameError):
        create_project("json")
    with pytest.raises(UnknownTypeError):
        create_project("acme", types="ValidateNothing")
    assert list(workdir.iterdir()) == []


def test_nested_directories_are_made(tmp_path: Path) -> None:
    target = create_project("acme", directory=tmp_path / "a" / "b")
    assert (target / "acme" / "app.py").is_file()


# -- where the templates come from --------------------------------------------------------------


def test_templates_come_from_the_checkout_in_an_editable_install() -> None:
    root = scaffold.templates_root()
    assert Path(str(root)) == REPO / "templates"


def test_templates_come_from_the_package_when_it_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed wheel: receiver/_templates next to the modules (force-include).
    package = tmp_path / "receiver"
    (package / "_templates").mkdir(parents=True)
    monkeypatch.setattr(importlib.resources, "files", lambda name: package)
    assert Path(str(scaffold.templates_root())) == package / "_templates"


def test_clutter_in_the_templates_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(REPO / "templates", copy)
    (copy / "project" / ".DS_Store").write_bytes(b"\0")
    (copy / "project" / "__pycache__").mkdir()
    monkeypatch.setattr(scaffold, "templates_root", lambda: copy)

    files = render_project(project_names("acme"), DEFAULT_TYPES)

    assert not [path for path in files if ".DS_Store" in path.parts or "__pycache__" in path.parts]


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def invoke(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run ``receiver ARGS`` in-process, in an empty directory; stdin is not a terminal unless
    the test says so (``tty=True``)."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, tty: bool = False) -> Result:
        monkeypatch.setattr(cli, "stdin_is_interactive", lambda: tty)
        return runner.invoke(main, list(args), input=input, prog_name="receiver")

    return run


def error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    return lines[-1] if lines else ""


def test_help_has_examples(invoke: Invoke) -> None:
    result = invoke("new", "--help")
    assert result.exit_code == 0
    assert "receiver new acme-webhooks --types ValidatePurchaseOrderDraft," in result.stdout
    # Documented: a requirement other than where this receiver was installed from.
    assert "--receiver-spec" in result.stdout
    assert "new" in invoke("--help").stdout


def test_new_creates_the_project(invoke: Invoke, workdir: Path) -> None:
    result = invoke("new", "acme-webhooks", "--types", "validateChangeOrderDraft,SelectOrderLines")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Created acme-webhooks/ (ValidateChangeOrderDraft, SelectOrderLines).",
        f"It requires mpt-receiver @ {REPO.as_uri()} (in pyproject.toml).",
        "",
        "Next:",
        "  cd acme-webhooks",
        "  python -m venv .venv && . .venv/bin/activate",
        '  pip install -e ".[dev]"',
        "  pytest",
        "  cp .env.example .env    # then set the webhooks' ids and secrets",
        "  uvicorn acme_webhooks.app:app --env-file .env --reload",
    ]
    assert "tests/test_select_order_lines.py" in files_of(workdir / "acme-webhooks")
    pyproject = tomllib.loads((workdir / "acme-webhooks" / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == [f"mpt-receiver @ {REPO.as_uri()}"]


def test_new_says_what_to_pass_when_it_cannot_tell_where_receiver_came_from(
    invoke: Invoke, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_from(monkeypatch, {"url": "file:///gone/dist/x.whl", "archive_info": {}})

    refused = invoke("new", "acme")
    given = invoke("new", "acme", "--receiver-spec", "mpt-receiver @ file:///srv/x.whl")

    assert refused.exit_code == 1
    assert error_line(refused).startswith(
        "Error: Cannot tell where this mpt-receiver came from (it was installed from the file"
        " /gone/dist/x.whl, which is not there), so the new project would not know where to"
        " install it from. Give the project's requirement with --receiver-spec"
    )
    assert given.exit_code == 0, given.output
    assert "It requires mpt-receiver @ file:///srv/x.whl (in pyproject.toml)." in given.stdout


def test_new_in_a_directory_elsewhere(
    invoke: Invoke, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "hooks"
    result = invoke("new", "acme", "--directory", str(elsewhere), "--receiver-spec", "mpt-receiver")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Created {elsewhere}/ (ValidatePurchaseOrderDraft).")
    assert "It requires mpt-receiver (in pyproject.toml)." in result.stdout
    assert f"  cd {elsewhere}" in result.stdout
    assert '"mpt-receiver",' in (elsewhere / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(
            [],
            2,
            "Error: Missing argument 'NAME': name the project, e.g. receiver new acme-webhooks.",
            id="no-name",
        ),
        pytest.param(
            ["json"],
            2,
            "Error: Invalid value for 'NAME': The package 'json' would shadow the standard"
            " library's 'json' module; choose another name (e.g. json-webhooks).",
            id="bad-name",
        ),
        pytest.param(
            ["acme", "--types", "validatePurchaseOrderDraf"],
            2,
            "Error: Invalid value for '--types': Unknown webhook type 'validatePurchaseOrderDraf'."
            " Did you mean 'ValidatePurchaseOrderDraft'",
            id="bad-type",
        ),
        pytest.param(
            ["acme", "--types", ""],
            2,
            "Error: Invalid value for '--types': No webhook type",
            id="empty",
        ),
    ],
)
def test_new_errors(
    invoke: Invoke, workdir: Path, args: list[str], code: int, message: str
) -> None:
    result = invoke("new", *args)

    assert result.exit_code == code
    assert error_line(result).startswith(message)
    assert list(workdir.iterdir()) == []


def test_new_refuses_a_directory_with_files_unless_forced(invoke: Invoke, workdir: Path) -> None:
    (workdir / "acme").mkdir()
    (workdir / "acme" / "notes.txt").write_text("mine")

    refused = invoke("new", "acme")
    forced = invoke("new", "acme", "--force")

    assert refused.exit_code == 1
    assert error_line(refused) == (
        f"Error: {workdir / 'acme'} is not empty; choose another directory, or pass --force to"
        " write the project's files into it (files of the same name are replaced)."
    )
    assert forced.exit_code == 0, forced.output
    assert (workdir / "acme" / "notes.txt").read_text() == "mine"
    assert (workdir / "acme" / "acme" / "app.py").is_file()


def test_new_reports_a_directory_it_cannot_write(
    invoke: Invoke, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Path:
        raise PermissionError(13, "Permission denied", "/readonly/acme")

    monkeypatch.setattr(scaffold, "create_project", refuse)
    result = invoke("new", "acme")
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: Cannot write the project (Permission denied: /readonly/acme)."
    )


def test_no_prompt_without_a_terminal(invoke: Invoke, workdir: Path) -> None:
    # Input waiting on stdin changes nothing: a pipe or CI is never asked.
    result = invoke("new", "acme", input="all\n")

    assert result.exit_code == 0
    assert "Types to answer" not in result.output
    assert files_of(workdir / "acme") >= {"tests/test_validate_purchase_order_draft.py"}
    handler_tests = [
        f for f in files_of(workdir / "acme") if f.startswith("tests/test_") and f != DEPLOY_TESTS
    ]
    assert len(handler_tests) == 1


def test_on_a_terminal_the_name_and_the_types_are_asked_for(invoke: Invoke, workdir: Path) -> None:
    answers = "\n".join(
        [
            "json",  # refused: asked again
            "acme-webhooks",
            "validatePurchaseOrderDraf",  # a typo: asked again
            "validatePurchaseOrderDraft,selectOrderLines",
        ]
    )

    result = invoke("new", input=answers, tty=True)

    assert result.exit_code == 0, result.output
    assert "Project name: " in result.stdout
    assert "Error: The package 'json' would shadow the standard library's 'json' module" in (
        result.output
    )
    assert f"Webhook types: {', '.join(KNOWN_WEBHOOK_TYPES)}, or all." in result.stdout
    assert "Types to answer (comma-separated) [ValidatePurchaseOrderDraft]: " in result.stdout
    assert "Did you mean 'ValidatePurchaseOrderDraft'" in result.output
    assert "Created acme-webhooks/ (ValidatePurchaseOrderDraft, SelectOrderLines)." in (
        result.stdout
    )


def test_on_a_terminal_the_default_types_are_one_enter_away(invoke: Invoke, workdir: Path) -> None:
    result = invoke("new", "acme", input="\n", tty=True)

    assert result.exit_code == 0, result.output
    assert "Project name" not in result.stdout  # given
    assert "Created acme/ (ValidatePurchaseOrderDraft)." in result.stdout


def test_on_a_terminal_given_types_are_not_asked_for(invoke: Invoke, workdir: Path) -> None:
    result = invoke("new", "--types", "all", input="acme\n", tty=True)

    assert result.exit_code == 0, result.output
    assert "Types to answer" not in result.stdout
    assert f"Created acme/ ({', '.join(KNOWN_WEBHOOK_TYPES)})." in result.stdout


def test_stdin_is_interactive_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    for stdin, expected in ((Stdin(True), True), (Stdin(False), False), (None, False)):
        monkeypatch.setattr(sys, "stdin", stdin)
        assert cli.stdin_is_interactive() is expected


# -- generated projects pass their own checks -------------------------------------------------


def run(args: list[str], cwd: Path, timeout: float = BOUND, **env: str) -> str:
    """Run a command; on failure the assertion shows its output."""
    done = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        check=False,
    )
    assert done.returncode == 0, (
        f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project per type, and one with every type, side by side."""
    root = tmp_path_factory.mktemp("projects")
    for kind in KNOWN_WEBHOOK_TYPES:
        create_project(f"only-{kind.snake_name}", types=[kind], directory=root / kind.snake_name)
    create_project("every-type", types="all", directory=root / "all")
    longest = "x" * scaffold.NAME_MAX_LENGTH  # the generated lines still fit in 100 columns
    create_project(longest, types="all", directory=root / "longest")
    return root


@pytest.mark.slow
def test_generated_code_passes_ruff(projects: Path) -> None:
    # Each project is checked with its own pyproject.toml settings.
    run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=projects)
    run([sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."], cwd=projects)


@pytest.mark.slow
def test_generated_tests_pass_in_this_checkout(projects: Path) -> None:
    # The editable install: templates from templates/, the plugin from its entry point.
    out = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=projects / "all"
    )
    assert " passed" in out
    assert "failed" not in out


# -- end to end, from the wheel -----------------------------------------------------------------


@pytest.mark.slow
def test_a_project_made_from_the_wheel_passes_its_own_checks(tmp_path: Path) -> None:
    """Build this repository's wheel, install it in a fresh venv, make a project with every
    type with that venv's ``receiver new`` (which requires mpt-receiver from that wheel),
    install the project with its dev tools, and run its pytest, ruff and mypy: what a vendor
    does on day one."""
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-w", str(dist), "-q"],
        cwd=tmp_path, timeout=300)  # fmt: skip
    (wheel,) = dist.glob("mpt_receiver-*.whl")
    run([sys.executable, "-m", "venv", str(tmp_path / "venv")], cwd=tmp_path)
    bin_dir = tmp_path / "venv" / ("Scripts" if os.name == "nt" else "bin")
    python = str(bin_dir / "python")
    quiet = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    run([python, "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path, timeout=600, **quiet)

    # The templates are read from inside the installed wheel, not from this checkout.
    where = run(
        [python, "-c", "from receiver.scaffold import templates_root; print(templates_root())"],
        cwd=tmp_path,
    ).strip()
    assert where.endswith(os.path.join("site-packages", "receiver", "_templates")), where
    assert str(REPO) not in where

    # No --receiver-spec: `receiver new` points the project at the wheel it was installed from.
    out = run([str(bin_dir / "receiver"), "new", "demo-vendor", "--types", ALL_TYPES],
              cwd=tmp_path)  # fmt: skip
    project = tmp_path / "demo-vendor"
    spec = f"mpt-receiver @ {wheel.as_uri()}"
    assert f"It requires {spec} (in pyproject.toml)." in out
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == [spec]
    run([python, "-m", "pip", "install", "-q", "-e", ".[dev]"], cwd=project, timeout=600, **quiet)

    out = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, timeout=300)
    passed = re.search(r"(\d+) passed", out)
    assert passed is not None, out
    assert int(passed.group(1)) >= 2 * len(KNOWN_WEBHOOK_TYPES)  # an accept and a refusal each
    assert "failed" not in out
    assert " error" not in out
    run([python, "-m", "ruff", "check", "--no-cache", "."], cwd=project)
    run([python, "-m", "ruff", "format", "--check", "--no-cache", "."], cwd=project)
    run(
        [python, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=project,
        timeout=300,
    )
