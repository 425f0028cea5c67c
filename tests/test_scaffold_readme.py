"""The README of a project made by ``receiver new`` works as written, for any choice of types:
its Develop commands (copy ``.env.example``, serve the app, ``receiver send`` each handler a
sample) run against the generated app served on loopback, and every call is answered 200."""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from dotenv import dotenv_values

from receiver import Receiver
from receiver._loader import load_app
from receiver.cli import main
from receiver.scaffold import DEFAULT_TYPES, create_project
from receiver.simulator._server import ServerThread
from receiver.types import KNOWN_WEBHOOK_TYPES, SELECT_ORDER_LINES, WebhookType

pytestmark = pytest.mark.slow

README_PORT = "127.0.0.1:8080"  # where the README's commands expect the app

TYPE_CHOICES = [
    pytest.param(DEFAULT_TYPES, id="default"),
    # Both receive a Purchase draft: on the shared URL they cannot be told apart.
    pytest.param(
        (WebhookType("ValidatePurchaseOrderDraft"), SELECT_ORDER_LINES), id="purchase+select"
    ),
    pytest.param(
        (WebhookType("ValidatePurchaseOrderQuerying"), SELECT_ORDER_LINES), id="querying+select"
    ),
    *[pytest.param((kind,), id=str(kind)) for kind in KNOWN_WEBHOOK_TYPES],
    pytest.param(KNOWN_WEBHOOK_TYPES, id="all"),
]


def develop_commands(readme: str) -> list[list[str]]:
    """The commands of the README's Develop section, one word list per line, in order."""
    section = readme.split("\n## Develop\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


@contextlib.contextmanager
def package_imported_for_the_test(package: str) -> Iterator[None]:
    """Undo the import of the generated package (only it: modules the receiver imports on the
    way, httpx's for one, must stay the ones the rest of the suite holds)."""
    saved_path = sys.path[:]
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in [name for name in sys.modules if name.partition(".")[0] == package]:
            del sys.modules[name]


@pytest.mark.parametrize("types", TYPE_CHOICES)
def test_the_readmes_develop_commands_work(
    types: Sequence[WebhookType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = create_project(
        "readme-check", types=list(types), directory=tmp_path / "p", receiver_spec="mpt-receiver"
    )
    monkeypatch.chdir(project)
    commands = develop_commands((project / "README.md").read_text())
    sends = [words for words in commands if words[:2] == ["receiver", "send"]]
    assert len(sends) == len(types)  # one call per handler

    cli_env: dict[str, str] = {}
    server: ServerThread | None = None
    results = []
    with package_imported_for_the_test("readme_check"):
        try:
            for words in commands:
                match words:
                    case ["python", "-m", "venv", *_] | ["pip", "install", *_] | [".", *_]:
                        continue  # this test runs in the checkout's environment
                    case ["cp", source, target]:
                        shutil.copy(source, target)
                    case ["export", *assignments]:
                        for item in assignments:
                            name, _, value = item.partition("=")
                            cli_env[name] = value
                    case ["uvicorn", spec, *options]:
                        assert options[options.index("--port") + 1] == README_PORT.split(":")[1]
                        env_file = options[options.index("--env-file") + 1]
                        for variable, setting in dotenv_values(env_file).items():
                            monkeypatch.setenv(variable, setting or "")
                        app = load_app(spec, cwd=project).app  # as uvicorn imports it
                        assert isinstance(app, Receiver)
                        server = ServerThread(app).start()
                    case ["receiver", "send", url, *options]:
                        assert server is not None, "the README sends before it serves"
                        assert README_PORT in url
                        args = [
                            "send",
                            url.replace(README_PORT, server.url.split("//")[1]),
                            *options,
                        ]
                        results.append(CliRunner().invoke(main, args, env=cli_env))
                    case _:
                        pytest.fail(f"A command this test does not know: {shlex.join(words)}")
        finally:
            if server is not None:
                server.stop()

    for words, result in zip(sends, results, strict=True):
        assert result.exit_code == 0, f"{shlex.join(words)}:\n{result.output}"
        assert "200 OK" in result.output, result.output
