"""receiver._loader: finding the app of ``module:attr`` / ``path/file.py:attr``, and every error
message it gives."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from receiver import Receiver
from receiver._loader import (
    AppLoadError,
    AppSpec,
    asgi_attributes,
    load_app,
    parse_spec,
    split_spec,
)
from tests.conftest import imports_undone

ACME = """\
from receiver import Receiver

app = Receiver(secrets={"WBH-0000-0001": "x" * 32})
web = app
NAME = "not an app"


def create_app():
    return Receiver()


def broken_factory():
    raise RuntimeError("no database")


def none_factory():
    return None


def handler(order):
    return order


async def raw_asgi(scope, receive, send):
    return None
"""

Project = Callable[[dict[str, str]], Path]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """Write files under a fresh current directory; imports made by the test are undone after."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return root

    with imports_undone():
        yield write


# -- the forms that load ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "attribute", "import_string"),
    [
        pytest.param("acme:app", "app", "acme:app", id="module-attr"),
        pytest.param("acme", "app", "acme:app", id="module-default-attr"),
        pytest.param("acme:web", "web", "acme:web", id="module-other-attr"),
        pytest.param("acme:raw_asgi", "raw_asgi", "acme:raw_asgi", id="plain-asgi-function"),
        pytest.param("acme.py:app", "app", "acme:app", id="file-attr"),
        pytest.param("./acme.py", "app", "acme:app", id="file-default-attr"),
        pytest.param("  acme:app ", "app", "acme:app", id="surrounding-space"),
        pytest.param("pkg.sub.main:app", "app", "pkg.sub.main:app", id="dotted-module"),
        pytest.param("pkg/sub/main.py", "app", "pkg.sub.main:app", id="file-in-package"),
        pytest.param("pkg/sub/main.py:holder.app", "holder.app", "pkg.sub.main:holder.app",
                     id="dotted-attribute"),
    ],
)  # fmt: skip
def test_loads(project: Project, spec: str, attribute: str, import_string: str) -> None:
    root = project(
        {
            "acme.py": ACME,
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/helpers.py": "from receiver import Receiver\napp = Receiver()\n",
            "pkg/sub/main.py": "from .helpers import app\nclass holder:\n    app = app\n",
        }
    )
    loaded = load_app(spec)
    assert loaded.spec.attribute == attribute
    assert loaded.import_string == import_string
    assert loaded.app_dir == str(root)
    assert sys.path[0] == str(root)
    assert callable(loaded.app)
    assert loaded.factory is False


def test_file_outside_the_current_directory(project: Project, tmp_path: Path) -> None:
    project({})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "hook_app.py").write_text("from receiver import Receiver\napp = Receiver()\n")
    loaded = load_app(f"{elsewhere / 'hook_app.py'}:app")
    assert isinstance(loaded.app, Receiver)
    assert loaded.import_string == "hook_app:app"
    assert loaded.app_dir == str(elsewhere)
    assert loaded.spec.file == elsewhere / "hook_app.py"


def test_the_app_is_the_module_attribute(project: Project) -> None:
    project({"acme.py": ACME})
    loaded = load_app("acme:web")
    assert loaded.app is sys.modules["acme"].app


def test_loading_twice_reuses_the_module(project: Project) -> None:
    project({"acme.py": ACME})
    assert load_app("acme").app is load_app("acme.py:app").app
    assert sys.path.count(str(Path.cwd())) == 1


def test_cwd_argument(project: Project, tmp_path: Path) -> None:
    project({})
    other = tmp_path / "other"
    other.mkdir()
    (other / "other_app.py").write_text("from receiver import Receiver\napp = Receiver()\n")
    assert load_app("other_app.py", cwd=other).app_dir == str(other)
    assert load_app(parse_spec("other_app", cwd=other)).import_string == "other_app:app"


# -- factories --------------------------------------------------------------------------------


def test_factory_is_called(project: Project) -> None:
    project({"acme.py": ACME})
    loaded = load_app("acme:create_app", factory=True)
    assert isinstance(loaded.app, Receiver)
    assert loaded.app is not sys.modules["acme"].app
    assert loaded.factory is True
    assert loaded.import_string == "acme:create_app"


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        pytest.param(
            "acme:NAME", "not_an_app",
            "'acme:NAME' is a str, not an app factory; --factory needs a function that returns"
            " the app.",
            id="not-callable",
        ),
        pytest.param(
            "acme:broken_factory", "factory_failed",
            "Calling the factory 'acme:broken_factory' failed at acme.py:13:"
            " RuntimeError: no database.",
            id="factory-raises",
        ),
        pytest.param(
            "acme:handler", "factory_failed",
            "Calling the factory 'acme:handler' failed: TypeError: handler() missing 1 required"
            " positional argument: 'order'.",
            id="factory-needs-arguments",
        ),
        pytest.param(
            "acme:none_factory", "not_an_app",
            "The factory 'acme:none_factory' returned None, not an ASGI app; it must"
            " return the app.",
            id="factory-returns-none",
        ),
    ],
)  # fmt: skip
def test_factory_errors(project: Project, spec: str, kind: str, message: str) -> None:
    project({"acme.py": ACME})
    with pytest.raises(AppLoadError) as caught:
        load_app(spec, factory=True)
    assert caught.value.kind == kind
    assert str(caught.value) == message


# -- every error message --------------------------------------------------------------------------

FORM = "expected 'module:attribute' (e.g. 'acme:app') or 'path/to/file.py:attribute'"

FILES = {
    "acme.py": ACME,
    "empty_mod.py": "VALUE = 1\n",
    "broken.py": "import json\nimport requests_that_do_not_exist\n",
    "uses_broken.py": "import broken\n",
    "syntax.py": "app = (\n",
    "boom.py": "import os\n\nraise RuntimeError('boom\\nsecond line')\n",
    "empty_error.py": "raise KeyError\n",
    "plain/main.py": "from .helpers import app\n",
    "plain/helpers.py": "from receiver import Receiver\napp = Receiver()\n",
    "shadow/receiver.py": "app = 1\n",
    "pkg/__init__.py": "",
    "pkg/broken_rel.py": "from .nothing_here import app\n",
}


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        # bad spec format
        pytest.param("", "bad_spec", f"Invalid app '': {FORM}.", id="empty"),
        pytest.param(":app", "bad_spec", f"Invalid app ':app': {FORM}.", id="no-module"),
        pytest.param("acme:", "bad_spec", f"Invalid app 'acme:': {FORM}.", id="no-attribute"),
        pytest.param(
            "acme-app:app", "bad_spec",
            f"Invalid app 'acme-app:app': 'acme-app' is not a module name; {FORM}.",
            id="module-not-a-name",
        ),
        pytest.param(
            "acme:1st", "bad_spec",
            f"Invalid app 'acme:1st': '1st' is not a Python name; {FORM}.",
            id="attribute-not-a-name",
        ),
        pytest.param(
            "acme:app:x-y", "bad_spec",
            f"Invalid app 'acme:app:x-y': 'x-y' is not a Python name; {FORM}.",
            id="two-colons",
        ),
        pytest.param(
            "src/acme:app", "bad_spec",
            f"Invalid app 'src/acme:app': 'src/acme' is not a .py file; {FORM}.",
            id="path-without-py",
        ),
        pytest.param(
            "pkg/my-app.py", "file_not_found",
            "File not found: pkg/my-app.py ({root}/pkg/my-app.py does not exist); give the path"
            " of the app's .py file relative to the current directory.",
            id="file-missing-in-package",
        ),
        # file not found
        pytest.param(
            "missing.py:app", "file_not_found",
            "File not found: missing.py ({root}/missing.py does not exist); give the path of the"
            " app's .py file relative to the current directory.",
            id="file-missing",
        ),
        pytest.param(
            "plain.py", "file_not_found",
            "File not found: plain.py ({root}/plain.py does not exist); give the path of the"
            " app's .py file relative to the current directory.",
            id="file-missing-default-attr",
        ),
        # module not found vs an import inside it failing
        pytest.param(
            "nothere:app", "module_not_found",
            "Module 'nothere' not found in {root} or on sys.path; check the name and run from"
            " the project directory, or give a file: path/to/file.py:app.",
            id="module-missing",
        ),
        pytest.param(
            "nothere.sub:api", "module_not_found",
            "Module 'nothere.sub' not found (package 'nothere' is missing) in {root} or on"
            " sys.path; check the name and run from the project directory, or give a file:"
            " path/to/file.py:api.",
            id="parent-package-missing",
        ),
        pytest.param(
            "pkg.nothere:app", "module_not_found",
            "Module 'pkg.nothere' not found in {root} or on sys.path; check the name and run"
            " from the project directory, or give a file: path/to/file.py:app.",
            id="submodule-missing",
        ),
        pytest.param(
            "broken:app", "import_failed",
            "Importing broken failed: broken.py:2 imports 'requests_that_do_not_exist', which is"
            " not installed or not on the path; install it in this environment (or fix the"
            " import).",
            id="import-inside-module-missing",
        ),
        pytest.param(
            "broken.py:app", "import_failed",
            "Importing broken.py failed: broken.py:2 imports 'requests_that_do_not_exist', which"
            " is not installed or not on the path; install it in this environment (or fix the"
            " import).",
            id="import-inside-file-missing",
        ),
        pytest.param(
            "uses_broken:app", "import_failed",
            "Importing uses_broken failed: broken.py:2 imports 'requests_that_do_not_exist',"
            " which is not installed or not on the path; install it in this environment (or fix"
            " the import).",
            id="import-two-levels-down-missing",
        ),
        pytest.param(
            "pkg/broken_rel.py", "import_failed",
            "Importing pkg/broken_rel.py failed: pkg/broken_rel.py:1 imports"
            " 'pkg.nothing_here', which is not installed or not on the path; install it in this"
            " environment (or fix the import).",
            id="relative-import-of-missing-sibling",
        ),
        # other import-time failures
        pytest.param(
            "syntax:app", "import_failed",
            "Importing syntax failed at syntax.py:1: SyntaxError: '(' was never closed. Fix the"
            " error and try again.",
            id="syntax-error",
        ),
        pytest.param(
            "boom.py", "import_failed",
            "Importing boom.py failed at boom.py:3: RuntimeError: boom second line. Fix the error"
            " and try again.",
            id="raises-at-import",
        ),
        pytest.param(
            "empty_error", "import_failed",
            "Importing empty_error failed at empty_error.py:1: KeyError. Fix the error and try"
            " again.",
            id="raises-without-message",
        ),
        pytest.param(
            "plain/main.py", "import_failed",
            "Importing plain/main.py failed at plain/main.py:1: ImportError: attempted relative"
            " import with no known parent package. The file uses a relative import but its"
            " directory is not a package: add an empty __init__.py to plain, or use absolute"
            " imports.",
            id="relative-import-outside-package",
        ),
        pytest.param(
            "shadow/receiver.py", "shadowed",
            "shadow/receiver.py cannot be imported as 'receiver': that name is already taken by"
            " {receiver}; rename the file.",
            id="file-shadowed-by-installed-module",
        ),
        # attribute missing
        pytest.param(
            "acme:ap", "attribute_not_found",
            "Module 'acme' has no attribute 'ap'. ASGI apps in it: 'app', 'raw_asgi', 'web';"
            " e.g. 'acme:app'.",
            id="attribute-typo",
        ),
        pytest.param(
            "acme.py:webb", "attribute_not_found",
            "acme.py has no attribute 'webb'. ASGI apps in it: 'web', 'app', 'raw_asgi'; e.g."
            " 'acme.py:web'.",
            id="attribute-typo-file-form",
        ),
        pytest.param(
            "acme:server", "attribute_not_found",
            "Module 'acme' has no attribute 'server'. ASGI apps in it: 'app', 'raw_asgi', 'web';"
            " e.g. 'acme:app'.",
            id="attribute-unlike-any",
        ),
        pytest.param(
            "acme:app.missing", "attribute_not_found",
            "Module 'acme' has no attribute 'app.missing'. ASGI apps in it: 'app', 'raw_asgi',"
            " 'web'; e.g. 'acme:app'.",
            id="dotted-attribute-missing",
        ),
        pytest.param(
            "empty_mod", "attribute_not_found",
            "Module 'empty_mod' has no attribute 'app'. It has no ASGI app at module level:"
            " create one (e.g. `app = Receiver()`), or pass --factory if an attribute is a"
            " function that builds the app.",
            id="no-app-in-module",
        ),
        # not an app
        pytest.param(
            "acme:NAME", "not_an_app",
            "'acme:NAME' is a str, not an ASGI app; point at a Receiver (or any ASGI app).",
            id="not-callable",
        ),
        pytest.param(
            "acme:Receiver", "not_an_app",
            "'acme:Receiver' is the class Receiver, not an app; point at an instance (e.g."
            " `app = Receiver(...)`).",
            id="class",
        ),
        pytest.param(
            "acme:handler", "not_an_app",
            "'acme:handler' is a callable with signature (order), not an ASGI app; an ASGI app"
            " takes (scope, receive, send).",
            id="wrong-signature",
        ),
        pytest.param(
            "acme:create_app", "not_an_app",
            "'acme:create_app' is a function that takes no arguments, not an ASGI app; if it"
            " builds the app, pass --factory.",
            id="factory-without-flag",
        ),
        pytest.param(
            "pkg:sys", "attribute_not_found",
            "Module 'pkg' has no attribute 'sys'. It has no ASGI app at module level: create one"
            " (e.g. `app = Receiver()`), or pass --factory if an attribute is a function that"
            " builds the app.",
            id="package-without-app",
        ),
        pytest.param(
            "acme:textwrap_module", "attribute_not_found",
            "Module 'acme' has no attribute 'textwrap_module'. ASGI apps in it: 'app',"
            " 'raw_asgi', 'web'; e.g. 'acme:app'.",
            id="missing-attribute-lists-apps",
        ),
    ],
)  # fmt: skip
def test_errors(project: Project, spec: str, kind: str, message: str) -> None:
    root = project(FILES)
    with pytest.raises(AppLoadError) as caught:
        load_app(spec)
    assert caught.value.kind == kind
    expected = message.format(root=root, receiver=sys.modules["receiver"].__file__)
    assert str(caught.value) == expected
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_module_attribute_is_not_an_app(project: Project) -> None:
    project({"mod_attr.py": "import json\n"})
    with pytest.raises(AppLoadError, match=r"^'mod_attr:json' is a module, not an ASGI app; name"):
        load_app("mod_attr:json")


def test_file_name_that_is_not_a_module_name(project: Project) -> None:
    project({"my-app.py": "app = 1\n"})
    with pytest.raises(AppLoadError) as caught:
        load_app("my-app.py")
    assert caught.value.kind == "bad_spec"
    assert str(caught.value) == (
        "Cannot import my-app.py as module 'my-app': every name on the way must be a Python"
        " identifier; rename the file (and its package directories) with letters, digits and"
        " underscores."
    )


def test_directory_given_as_file(project: Project) -> None:
    root = project({"folder.py/inner.txt": ""})
    with pytest.raises(AppLoadError) as caught:
        load_app("folder.py:app")
    assert str(caught.value) == (
        f"File not found: folder.py ({root}/folder.py is a directory); give the path of the"
        " app's .py file relative to the current directory."
    )


# -- pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("acme", ("acme", "app"), id="module"),
        pytest.param("acme:api", ("acme", "api"), id="module-attr"),
        pytest.param("src/acme.py", ("src/acme.py", "app"), id="file"),
        pytest.param("src/acme.py:api.app", ("src/acme.py", "api.app"), id="file-dotted-attr"),
        pytest.param(r"C:\src\acme.py", (r"C:\src\acme.py", "app"), id="windows-drive"),
        pytest.param(r"C:\src\acme.py:api", (r"C:\src\acme.py", "api"), id="windows-drive-attr"),
        pytest.param("a:b:c", ("a:b", "c"), id="last-colon"),
        pytest.param(" acme ", ("acme", "app"), id="stripped"),
    ],
)
def test_split_spec(text: str, expected: tuple[str, str]) -> None:
    assert split_spec(text) == expected


def test_parse_spec_does_not_import(project: Project) -> None:
    root = project({"pkg/__init__.py": "", "pkg/app.py": "raise SystemExit('imported')\n"})
    spec = parse_spec("pkg/app.py:api")
    assert spec == AppSpec("pkg.app", "api", str(root), root / "pkg" / "app.py", "pkg/app.py")
    assert spec.import_string == "pkg.app:api"
    assert spec.example("other") == "pkg/app.py:other"
    assert "pkg.app" not in sys.modules


def test_asgi_attributes(project: Project) -> None:
    project({"acme.py": ACME + "_private = app\nimport os\nfrom receiver import Receiver as R\n"})
    load_app("acme")
    assert asgi_attributes(sys.modules["acme"]) == ["app", "raw_asgi", "web"]


OPAQUE = """\
class Opaque:
    __signature__ = "not readable"

    def __call__(self, *args):
        return None


app = Opaque()
"""


def test_callables_without_a_signature_are_accepted_but_not_suggested(project: Project) -> None:
    project({"opaque_app.py": OPAQUE})
    loaded = load_app("opaque_app")
    assert type(loaded.app).__name__ == "Opaque"
    assert asgi_attributes(sys.modules["opaque_app"]) == []


def test_error_is_a_receiver_error() -> None:
    from receiver.errors import ReceiverError

    assert issubclass(AppLoadError, ReceiverError)


def test_error_location_outside_the_current_directory(project: Project, tmp_path: Path) -> None:
    project({})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "far_boom.py").write_text("raise ValueError('bad config')\n")
    with pytest.raises(AppLoadError) as caught:
        load_app(str(outside / "far_boom.py"))
    assert str(caught.value) == (
        f"Importing {outside / 'far_boom.py'} failed at {outside / 'far_boom.py'}:1: ValueError:"
        " bad config. Fix the error and try again."
    )
