"""The pytest plugin of ``receiver.testing``: fixtures to call your receiver like the platform.

Fixtures:

``receiver_app``
    Your app. By default it is read from the ini option ``receiver_app = module:attribute``
    (``acme:app``); override the fixture in ``conftest.py`` to build it yourself.
``platform``
    A :class:`receiver.testing.PlatformClient` bound to ``receiver_app`` through a test webhook
    with a fresh id and secret that the app trusts during the test (see
    :func:`receiver.testing.client.bind_platform`).
``mpt_samples``
    The :mod:`receiver.testing.samples` module.

When a test that used ``platform`` fails, the report gets a "platform calls" section with each
call's request, answer and changes (never the secret or a token).

The plugin is loaded in every pytest run of a project that has the package installed (the
``pytest11`` entry point ``receiver``: ``-p no:receiver`` disables it), so this module imports
only pytest and the standard library; the rest is imported by the fixtures.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pluggy import Result

    from receiver.testing.client import PlatformClient

INI_OPTION = "receiver_app"
# The plugin's name: its pytest11 entry point in pyproject.toml (`-p no:receiver`).
PLUGIN_NAME = "receiver"

MISSING_APP_MESSAGE = """\
The `receiver_app` fixture does not know which app to test. Either name it in your pytest
configuration:

    # pyproject.toml
    [tool.pytest.ini_options]
    receiver_app = "acme:app"

    # (pytest.ini or tox.ini: `receiver_app = acme:app` under [pytest])

or override the fixture in conftest.py:

    import pytest

    from acme import app


    @pytest.fixture
    def receiver_app():
        return app
"""

_CLIENTS = pytest.StashKey[list["PlatformClient"]]()
_SHOWN_CALLS = 10


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    """Loaded under one of its two names, block the other: the entry point's (``receiver``) or
    the module's (``-p receiver.testing.plugin``, ``pytest_plugins = [...]``). Without this,
    the second name would register this module again, which pluggy refuses with a ValueError
    that stops the run."""
    if plugin is not sys.modules[__name__]:
        return
    name = manager.get_name(plugin)
    for other in (PLUGIN_NAME, __name__):
        if other != name and not manager.is_blocked(other):
            manager.set_blocked(other)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_OPTION,
        "receiver: the ASGI app the `platform` fixture calls, as module:attribute (acme:app).",
        default="",  # a string (no type=: "string" is not accepted by older pytest)
    )


def load_app(spec: str, rootpath: Path | None = None) -> Any:
    """Import ``module:attribute`` (``attribute`` may be dotted; ``factory()`` is called).

    A module that is not importable is looked up in ``rootpath`` too (where pytest.ini or
    pyproject.toml is), as if the project root were on ``sys.path``."""
    module_name, _, attribute = spec.strip().partition(":")
    if not module_name or not attribute:
        pytest.fail(
            f"{INI_OPTION} = {spec!r} is not module:attribute; write e.g."
            f" `{INI_OPTION} = acme:app`.",
            pytrace=False,
        )
    module = _import(module_name, rootpath)
    call = attribute.endswith("()")
    value: Any = module
    for part in attribute.removesuffix("()").split("."):
        if not hasattr(value, part):
            pytest.fail(
                f"{INI_OPTION} = {spec!r}: {module_name} has no attribute"
                f" {attribute.removesuffix('()')!r}.",
                pytrace=False,
            )
        value = getattr(value, part)
    if call:
        value = value()
    if not callable(value):
        from receiver._text import type_phrase

        pytest.fail(
            f"{INI_OPTION} = {spec!r} is {type_phrase(value)}, not an ASGI app.",
            pytrace=False,
        )
    return value


def _import(module_name: str, rootpath: Path | None) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        root = str(rootpath) if rootpath is not None else None
        if exc.name == module_name.partition(".")[0] and root is not None and root not in sys.path:
            # The project root is not on sys.path (no rootdir conftest.py): it is where the
            # user's app lives when they write `receiver_app = acme:app`.
            sys.path.insert(0, root)
            return _import(module_name, None)
        pytest.fail(
            f"{INI_OPTION}: cannot import {module_name!r} ({exc}). Is it on sys.path? Set"
            " `pythonpath = .` (or src) in your pytest configuration.",
            pytrace=False,
        )


@pytest.fixture
def receiver_app(request: pytest.FixtureRequest) -> Any:
    """Your ASGI app, from the ini option ``receiver_app = module:attribute``; override this
    fixture in ``conftest.py`` to build the app yourself."""
    spec = request.config.getini(INI_OPTION)
    if not spec:
        pytest.fail(MISSING_APP_MESSAGE, pytrace=False)
    return load_app(str(spec), request.config.rootpath)


@pytest.fixture
def platform(receiver_app: Any, request: pytest.FixtureRequest) -> Iterator[PlatformClient]:
    """A :class:`~receiver.testing.PlatformClient` for ``receiver_app``, trusted through a
    test webhook for the duration of the test (then the app is as it was)."""
    from receiver.testing.client import bind_platform

    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(bind_platform(receiver_app))
        except LookupError as exc:
            pytest.fail(f"The platform fixture: {exc}", pytrace=False)
        request.node.stash.setdefault(_CLIENTS, []).append(client)
        yield client


@pytest.fixture
def mpt_samples() -> ModuleType:
    """The :mod:`receiver.testing.samples` module: ``mpt_samples.purchase_order(...)``."""
    from receiver.testing import samples

    return samples


def calls_report(clients: list[PlatformClient]) -> str:
    """The "platform calls" report section: each call's request, answer and changes."""
    results = [result for client in clients for result in client.calls]
    if not results:
        return "no calls were made"
    lines = []
    if len(results) > _SHOWN_CALLS:
        lines.append(f"({len(results) - _SHOWN_CALLS} earlier call(s) not shown)")
    shown = results[-_SHOWN_CALLS:]
    for number, result in enumerate(shown, start=len(results) - len(shown) + 1):
        lines.append(f"call {number} of {len(results)}: {result.describe()}")
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        clients = item.stash.get(_CLIENTS, None)
        if clients:
            report.sections.append(("platform calls", calls_report(clients)))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """Comparisons with a CallResult or Changes print them in full."""
    client = sys.modules.get("receiver.testing.client")
    changes = sys.modules.get("receiver.testing.changes")
    if client is None and changes is None:
        return None  # neither was ever imported: nothing of ours is being compared
    lines = []
    for side, value in (("left", left), ("right", right)):
        if client is not None and isinstance(value, client.CallResult):
            text = value.describe()
        elif changes is not None and isinstance(value, changes.Changes):
            text = str(value)
        else:
            continue
        lines.append(f"{side}:")
        lines.extend(f"  {line}" for line in text.splitlines())
    if not lines:
        return None
    return [f"{_short(left)} {op} {_short(right)}", *lines]
