"""Find the ASGI app named by ``module:attr`` or ``path/to/file.py:attr``, with errors that say
what to do.

    >>> loaded = load_app("examples.minimal.app:app")          # doctest: +SKIP
    >>> loaded.import_string, loaded.app_dir                   # doctest: +SKIP
    ('examples.minimal.app:app', '/home/me/project')

Rules:

- ``:attr`` may be left out; it defaults to ``app`` (``acme`` means ``acme:app``). ``attr`` may be
  dotted (``acme:api.app``).
- ``module`` is imported with the current directory first on ``sys.path``, as ``uvicorn`` does.
- ``path/to/file.py`` is imported under its package's dotted name: the loader walks up from the
  file while a directory has an ``__init__.py``, puts the directory above the top package first on
  ``sys.path`` and imports ``package.sub.file``; relative imports inside a package work. A file in
  a plain directory is imported as a top-level module named after the file.
- The attribute must be an ASGI app: a callable taking ``(scope, receive, send)``, such as a
  :class:`receiver.Receiver`, a Starlette or FastAPI app. A function that builds the app is an
  app *factory*: pass ``factory=True`` (``receiver serve --factory``) and it is called once with
  no arguments here to check what it returns (the server calls it again in each process). Without
  ``factory=True`` a function taking no arguments is refused with a message that says so, instead
  of being served and failing on the first request.

Every problem raises :class:`AppLoadError` whose message is one line; ``kind`` is a stable code.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from receiver._text import type_phrase
from receiver.errors import ReceiverError

DEFAULT_ATTRIBUTE: Final = "app"
FORM: Final = "expected 'module:attribute' (e.g. 'acme:app') or 'path/to/file.py:attribute'"

# Stable codes of AppLoadError.kind.
BAD_SPEC: Final = "bad_spec"
FILE_NOT_FOUND: Final = "file_not_found"
MODULE_NOT_FOUND: Final = "module_not_found"
IMPORT_FAILED: Final = "import_failed"
SHADOWED: Final = "shadowed"
ATTRIBUTE_NOT_FOUND: Final = "attribute_not_found"
NOT_AN_APP: Final = "not_an_app"
FACTORY_FAILED: Final = "factory_failed"

_DRIVE: Final = re.compile(r"[A-Za-z]:[\\/]")
_DOTTED: Final = re.compile(r"[^\W\d]\w*(\.[^\W\d]\w*)*")
_MACHINERY: Final = frozenset({__file__, importlib.__file__})


class AppLoadError(ReceiverError):
    """The app could not be loaded. ``kind`` is one of the codes above; the message is one line
    that says what to do."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AppSpec:
    """A parsed ``APP`` argument.

    ``module`` is the dotted module name to import; ``app_dir`` the directory put first on
    ``sys.path`` for it; ``file`` the file when the spec named one; ``text`` the module part as
    written (used in messages)."""

    module: str
    attribute: str
    app_dir: str
    file: Path | None
    text: str

    @property
    def import_string(self) -> str:
        """``module:attribute``, what ``uvicorn.run`` imports (with ``app_dir`` on the path)."""
        return f"{self.module}:{self.attribute}"

    def example(self, attribute: str) -> str:
        """The spec as the user wrote it, with another attribute."""
        return f"{self.text}:{attribute}"


@dataclass(frozen=True, slots=True)
class LoadedApp:
    """An app that was found: the ASGI callable (the factory's result with ``factory=True``)
    and the :class:`AppSpec` to hand to the server."""

    app: Any
    spec: AppSpec
    factory: bool

    @property
    def import_string(self) -> str:
        return self.spec.import_string

    @property
    def app_dir(self) -> str:
        return self.spec.app_dir


def split_spec(text: str) -> tuple[str, str]:
    """``(module or path, attribute)``: split at the last ``:`` (a Windows drive's ``C:`` is
    part of the path); the attribute defaults to ``app``.

    >>> split_spec("acme"), split_spec("src/acme.py:api"), split_spec("C:/src/acme.py")
    (('acme', 'app'), ('src/acme.py', 'api'), ('C:/src/acme.py', 'app'))
    """
    spec = text.strip()
    drive = spec[:3] if _DRIVE.match(spec) else ""
    target, colon, attribute = spec[len(drive) :].rpartition(":")
    if not colon:
        target, attribute = attribute, DEFAULT_ATTRIBUTE
    return drive + target, attribute


def parse_spec(text: str, *, cwd: str | os.PathLike[str] | None = None) -> AppSpec:
    """Split ``text`` into module and attribute and find the file's package; no import yet.

    Raises :class:`AppLoadError` (``bad_spec``, ``file_not_found``)."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    target, attribute = split_spec(text)
    if not target or not attribute:
        raise AppLoadError(BAD_SPEC, f"Invalid app {text!r}: {FORM}.")
    if not _DOTTED.fullmatch(attribute):
        raise AppLoadError(
            BAD_SPEC, f"Invalid app {text!r}: {attribute!r} is not a Python name; {FORM}."
        )
    if target.endswith(".py") or "/" in target or os.sep in target:
        return _file_spec(text, target, attribute, base)
    if not _DOTTED.fullmatch(target):
        raise AppLoadError(
            BAD_SPEC, f"Invalid app {text!r}: {target!r} is not a module name; {FORM}."
        )
    return AppSpec(target, attribute, str(base), None, target)


def _file_spec(text: str, target: str, attribute: str, base: Path) -> AppSpec:
    if not target.endswith(".py"):
        raise AppLoadError(BAD_SPEC, f"Invalid app {text!r}: {target!r} is not a .py file; {FORM}.")
    path = (base / target).resolve()
    if not path.is_file():
        where = "is a directory" if path.is_dir() else "does not exist"
        raise AppLoadError(
            FILE_NOT_FOUND,
            f"File not found: {target} ({path} {where}); give the path of the app's .py file"
            " relative to the current directory.",
        )
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    module = ".".join(parts)
    if not _DOTTED.fullmatch(module):
        raise AppLoadError(
            BAD_SPEC,
            f"Cannot import {target} as module {module!r}: every name on the way must be a Python"
            " identifier; rename the file (and its package directories) with letters, digits and"
            " underscores.",
        )
    return AppSpec(module, attribute, str(folder), path, target)


def load_app(
    spec: str | AppSpec, *, factory: bool = False, cwd: str | os.PathLike[str] | None = None
) -> LoadedApp:
    """Import the module named by ``spec`` and return its ASGI app (see the module docstring).

    Puts ``spec.app_dir`` first on ``sys.path`` (as ``uvicorn --app-dir`` does); raises
    :class:`AppLoadError` with a one-line message on every problem."""
    parsed = parse_spec(spec, cwd=cwd) if isinstance(spec, str) else spec
    module = import_module(parsed)
    target = _attribute(module, parsed)
    if factory:
        return LoadedApp(_call_factory(target, parsed), parsed, True)
    problem = _not_an_app(target)
    if problem is not None:
        raise AppLoadError(NOT_AN_APP, f"{_where(parsed)} is {problem}.")
    return LoadedApp(target, parsed, False)


def import_module(spec: AppSpec) -> ModuleType:
    """Import ``spec.module`` with ``spec.app_dir`` first on ``sys.path``."""
    if spec.app_dir in sys.path:
        sys.path.remove(spec.app_dir)
    sys.path.insert(0, spec.app_dir)
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        raise _module_not_found(spec, exc) from None
    except Exception as exc:  # the app's import-time code may raise anything
        raise _import_failed(spec, exc) from None
    if spec.file is not None:
        loaded_from = getattr(module, "__file__", None)
        if loaded_from is None or Path(loaded_from).resolve() != spec.file:
            raise AppLoadError(
                SHADOWED,
                f"{spec.text} cannot be imported as {spec.module!r}: that name is already taken by"
                f" {loaded_from or 'a built-in module'}; rename the file.",
            )
    return module


def _is_missing_module(spec: AppSpec, missing: str | None) -> bool:
    # The module itself (or one of its parent packages) is what could not be found.
    return missing is not None and (spec.module == missing or spec.module.startswith(missing + "."))


def _module_not_found(spec: AppSpec, exc: ModuleNotFoundError) -> AppLoadError:
    if _is_missing_module(spec, exc.name) and not _raised_inside(exc):
        if spec.file is not None:  # pragma: no cover - the file exists; only a race gets here
            return AppLoadError(
                MODULE_NOT_FOUND, f"Module {spec.module!r} not found ({spec.file})."
            )
        hint = "" if exc.name == spec.module else f" (package {exc.name!r} is missing)"
        return AppLoadError(
            MODULE_NOT_FOUND,
            f"Module {spec.module!r} not found{hint} in {spec.app_dir} or on sys.path; check the"
            f" name and run from the project directory, or give a file: path/to/file.py:"
            f"{spec.attribute}.",
        )
    where = _failing_frame(exc) or spec.text
    return AppLoadError(
        IMPORT_FAILED,
        f"Importing {spec.text} failed: {where} imports {exc.name!r}, which is not installed or"
        " not on the path; install it in this environment (or fix the import).",
    )


def _import_failed(spec: AppSpec, exc: Exception) -> AppLoadError:
    if isinstance(exc, SyntaxError):
        location = f"{_display_path(exc.filename or '<unknown>')}:{exc.lineno}"
        detail = f"SyntaxError: {exc.msg}"
    else:
        location = _failing_frame(exc) or spec.text
        detail = f"{type(exc).__name__}: {_one_line(str(exc))}".rstrip(": ")
    hint = " Fix the error and try again."
    if isinstance(exc, ImportError) and "relative import" in str(exc):
        hint = (
            f" The file uses a relative import but its directory is not a package: add an"
            f" empty __init__.py to {Path(location.rpartition(':')[0]).parent}, or use"
            " absolute imports."
        )
    return AppLoadError(
        IMPORT_FAILED, f"Importing {spec.text} failed at {location}: {detail}.{hint}"
    )


def _code_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of the traceback in the app's code: not the import machinery, not ours."""
    return [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith("<") and frame.filename not in _MACHINERY
    ]


def _raised_inside(exc: BaseException) -> bool:
    """Whether the exception comes from the app's own code (not from the import machinery
    looking for the module)."""
    return bool(_code_frames(exc))


def _failing_frame(exc: BaseException) -> str | None:
    """The innermost frame in the app's code: where the failing line is."""
    frames = _code_frames(exc)
    if not frames:
        return None
    frame = frames[-1]
    return f"{_display_path(frame.filename)}:{frame.lineno}"


def _display_path(filename: str) -> str:
    try:
        return str(Path(filename).relative_to(Path.cwd()))
    except ValueError:
        return filename


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _attribute(module: ModuleType, spec: AppSpec) -> Any:
    target: Any = module
    for name in spec.attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise AppLoadError(
                ATTRIBUTE_NOT_FOUND,
                f"{_module_display(spec)} has no attribute {spec.attribute!r}."
                f"{_suggest(module, spec)}",
            ) from None
    return target


def _module_display(spec: AppSpec) -> str:
    return spec.text if spec.file is not None else f"Module {spec.module!r}"


def _where(spec: AppSpec) -> str:
    return repr(spec.example(spec.attribute))


def asgi_attributes(module: ModuleType) -> list[str]:
    """Names of the module's public, module-level attributes that look like ASGI apps."""
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and _not_an_app(value, strict=True) is None
    )


def _suggest(module: ModuleType, spec: AppSpec) -> str:
    candidates = asgi_attributes(module)
    if not candidates:
        return (
            " It has no ASGI app at module level: create one (e.g. `app = Receiver()`), or pass"
            " --factory if an attribute is a function that builds the app."
        )
    close = difflib.get_close_matches(spec.attribute, candidates, n=len(candidates), cutoff=0.5)
    ordered = close + [name for name in candidates if name not in close]
    listed = ", ".join(repr(name) for name in ordered)
    return f" ASGI apps in it: {listed}; e.g. {spec.example(ordered[0])!r}."


def _not_an_app(value: Any, *, strict: bool = False) -> str | None:
    """None when ``value`` looks like an ASGI 3 app, else what it is instead. A callable whose
    signature cannot be read passes unless ``strict``."""
    if inspect.ismodule(value):
        return "a module, not an ASGI app; name an attribute of it"
    if inspect.isclass(value):
        return (
            f"the class {value.__name__}, not an app; point at an instance (e.g."
            f" `app = {value.__name__}(...)`)"
        )
    if not callable(value):
        return f"{type_phrase(value)}, not an ASGI app; point at a Receiver (or any ASGI app)"
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # builtins without a signature: let the server decide
        return "a callable without a signature" if strict else None
    try:
        signature.bind(None, None, None)
    except TypeError:
        pass
    else:
        return None
    try:
        signature.bind()
    except TypeError:
        return (
            f"a callable with signature {signature}, not an ASGI app; an ASGI app takes"
            " (scope, receive, send)"
        )
    return (
        "a function that takes no arguments, not an ASGI app; if it builds the app, pass --factory"
    )


def _call_factory(factory: Any, spec: AppSpec) -> Any:
    if not callable(factory):
        raise AppLoadError(
            NOT_AN_APP,
            f"{_where(spec)} is {type_phrase(factory)}, not an app factory; --factory needs"
            " a function that returns the app.",
        )
    try:
        app = factory()
    except Exception as exc:
        where = _failing_frame(exc)
        raise AppLoadError(
            FACTORY_FAILED,
            f"Calling the factory {_where(spec)} failed{f' at {where}' if where else ''}:"
            f" {type(exc).__name__}: {_one_line(str(exc))}.",
        ) from None
    problem = _not_an_app(app)
    if problem is not None:
        raise AppLoadError(
            NOT_AN_APP,
            f"The factory {_where(spec)} returned {problem.partition(';')[0]}; it must return"
            " the app.",
        )
    return app


__all__ = [
    "AppLoadError",
    "AppSpec",
    "LoadedApp",
    "asgi_attributes",
    "load_app",
    "parse_spec",
    "split_spec",
]
