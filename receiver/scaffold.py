"""``receiver new``: start a vendor project from the templates shipped with this package.

    from receiver.scaffold import create_project

    create_project("acme-webhooks", types=["ValidatePurchaseOrderDraft", "SelectOrderLines"])

makes ``./acme-webhooks`` with a package ``acme_webhooks`` holding the app and one handler per
webhook type, a test file per handler (on the pytest plugin), a README, the deployment files
(a ``Dockerfile`` that runs ``receiver serve``, a ``docker-compose.yml`` with two replicas
sharing one Redis, ``deploy/kubernetes.yaml``) with ``tests/test_deploy.py`` checking them, a CI
workflow, ``.env.example`` and ``.gitignore``, and ruff/mypy/pytest settings in
``pyproject.toml``. The command line (``receiver new``) is a thin layer over
:func:`create_project`.

The templates are the repository's ``templates/`` folder, shipped in the wheel as
``receiver/_templates``. Every template file ends in ``.tmpl`` and is rendered with
:class:`string.Template` (``$package``; ``$$`` is a dollar sign). The whole project is rendered
in memory first, so a bad name or type never leaves half a project behind.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import string
import sys
import textwrap
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import PackageNotFoundError, distribution
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Final

from receiver.errors import ReceiverError, UnknownWebhookTypeError
from receiver.types import (
    KNOWN_WEBHOOK_TYPES,
    PURCHASE_WEBHOOK_TYPES,
    SELECT_ORDER_LINES,
    WebhookType,
    parse_known_webhook_type,
)

__all__ = [
    "DEFAULT_TYPES",
    "HANDLERS",
    "DirectoryNotEmptyError",
    "HandlerSpec",
    "InvalidNameError",
    "ProjectNames",
    "ScaffoldError",
    "UnknownTypeError",
    "create_project",
    "default_receiver_spec",
    "parse_types",
    "project_names",
    "receiver_spec_from",
    "render_project",
    "templates_root",
]


class ScaffoldError(ReceiverError):
    """A project cannot be created as asked; the message says what to do instead."""


class InvalidNameError(ScaffoldError, ValueError):
    """The project name does not make a usable package name."""


class UnknownTypeError(ScaffoldError, ValueError):
    """A webhook type that the platform does not have."""


class DirectoryNotEmptyError(ScaffoldError):
    """The target directory has files in it and ``force`` was not given."""


# --- names -------------------------------------------------------------------------------------

_NAME_RE: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
NAME_MAX_LENGTH: Final = 50  # the generated code stays within 100 columns

# Import names the project's package must not take: this package and the distributions it
# installs, the tools the project's checks run, and the project's own test folder. (The
# standard library is checked separately, with sys.stdlib_module_names.)
RESERVED_NAMES: Final = frozenset(
    {
        "receiver",
        "mpt_receiver",
        "tests",
        "conftest",
        # runtime dependencies of mpt-receiver (and of uvicorn[standard])
        "starlette",
        "pydantic",
        "pydantic_core",
        "uvicorn",
        "uvloop",
        "httptools",
        "watchfiles",
        "websockets",
        "dotenv",
        "yaml",
        "cryptography",
        "httpx",
        "httpcore",
        "h11",
        "anyio",
        "sniffio",
        "idna",
        "certifi",
        "click",
        "typing_extensions",
        # the project's build and check tools
        "hatchling",
        "pip",
        "setuptools",
        "wheel",
        "pytest",
        "_pytest",
        "pluggy",
        "mypy",
        "ruff",
        "kubernetes_validate",
        "jsonschema",
        "referencing",
        # the image's extra (the shared store's client)
        "redis",
    }
)


@dataclass(frozen=True)
class ProjectNames:
    """The names a project goes by.

    ``project`` as given (``Acme-Webhooks``), ``distribution`` normalized for pip
    (``acme-webhooks``), ``package`` the import name (``acme_webhooks``), ``prefix`` the start
    of the handlers' error codes (``ACME``).
    """

    project: str
    distribution: str
    package: str
    prefix: str


def project_names(name: str) -> ProjectNames:
    """Check ``name`` and derive the project's names from it.

    The import name is ``name`` in lowercase with ``-`` and ``.`` turned into ``_``; it must be
    a Python identifier that is not a keyword and does not shadow the standard library, this
    package, its dependencies or the project's tools. InvalidNameError says why not.

    >>> project_names("Acme-Webhooks")
    ProjectNames(project='Acme-Webhooks', distribution='acme-webhooks', package='acme_webhooks', prefix='ACME')
    """  # noqa: E501 - a doctest line
    text = name.strip()
    if not text:
        raise InvalidNameError("The project name is empty; give one like acme-webhooks.")
    if not _NAME_RE.fullmatch(text):
        raise InvalidNameError(
            f"{name!r} is not a valid project name: use ASCII letters, digits, '-', '_' and"
            " '.', starting and ending with a letter or digit (e.g. acme-webhooks)."
        )
    if len(text) > NAME_MAX_LENGTH:
        raise InvalidNameError(
            f"The project name is {len(text)} characters long; keep it to {NAME_MAX_LENGTH}"
            " or fewer."
        )
    package = re.sub(r"[-.]", "_", text.lower())
    alternative = f"{package.replace('_', '-')}-webhooks"
    if not package.isidentifier():
        raise InvalidNameError(
            f"{name!r} gives the package name {package!r}, which is not a Python identifier:"
            f" start the name with a letter (e.g. webhooks-{text.lower()})."
        )
    if keyword.iskeyword(package):
        raise InvalidNameError(
            f"{package!r} is a Python keyword and cannot be imported; choose another name"
            f" (e.g. {alternative})."
        )
    if package in sys.stdlib_module_names or package == "test":  # test is not listed there
        raise InvalidNameError(
            f"The package {package!r} would shadow the standard library's {package!r} module;"
            f" choose another name (e.g. {alternative})."
        )
    if package in RESERVED_NAMES:
        raise InvalidNameError(
            f"The package {package!r} would shadow {_what_is(package)}; choose another name"
            f" (e.g. {alternative})."
        )
    distribution = re.sub(r"[-_.]+", "-", text.lower())
    letters = re.sub(r"[^A-Za-z]", "", package.partition("_")[0]) or "VND"
    return ProjectNames(text, distribution, package, letters[:4].upper())


def _what_is(package: str) -> str:
    if package in ("receiver", "mpt_receiver"):
        return "mpt-receiver itself"
    if package in ("tests", "conftest"):
        return "the project's own tests"
    return f"the {package!r} package the project installs"


# --- webhook types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HandlerSpec:
    """What the project gets for one webhook type.

    ``imports`` are ``(module, name)`` pairs for the app module (``name`` None: ``import
    module``); ``blocks`` are shared snippets the handler uses (``templates/blocks``);
    ``summary`` is its row in the project README. The code is
    ``templates/handlers/<decorator>.py.tmpl``, the tests
    ``templates/tests/test_<decorator>.py.tmpl``.
    """

    imports: tuple[tuple[str, str | None], ...]
    summary: str
    blocks: tuple[str, ...] = ()


_ORDER: Final = (("receiver", "Order"),)
_ENROLLMENT: Final = (("receiver", "Enrollment"), ("re", None))

HANDLERS: Final[Mapping[WebhookType, HandlerSpec]] = {
    WebhookType("ValidatePurchaseOrderDraft"): HandlerSpec(
        _ORDER,
        "the company name is required, at most 100 seats a line, volume price from 50 seats",
        ("catalog",),
    ),
    WebhookType("ValidatePurchaseOrderQuerying"): HandlerSpec(
        _ORDER, "a migrating customer gives a membership id (shown, required), others don't see it"
    ),
    WebhookType("ValidateChangeOrderDraft"): HandlerSpec(
        _ORDER, "seats under a 3-year commitment cannot be reduced"
    ),
    WebhookType("ValidateTerminateOrder"): HandlerSpec(
        (*_ORDER, ("datetime", "UTC"), ("datetime", "datetime"), ("datetime", "timedelta")),
        "no termination inside the minimum term (the start date comes from your records)",
    ),
    WebhookType("ValidateConfigurationOrderDraft"): HandlerSpec(
        _ORDER, "the company name becomes read-only; the contact needs an email address"
    ),
    WebhookType("SelectOrderLines"): HandlerSpec(
        _ORDER, "adds the storage add-on to Acme Pro; no add-on without Acme Pro", ("catalog",)
    ),
    WebhookType("ValidateAccount"): HandlerSpec(
        (("receiver", "Account"), ("re", None)), "a technical support email address is required"
    ),
    WebhookType("ValidateRequest"): HandlerSpec(
        (("receiver", "Request"), ("re", None)), "the tenant domain is a valid subdomain"
    ),
    WebhookType("ValidateEnrollmentDraft"): HandlerSpec(
        _ENROLLMENT, "the partner number has 7 digits", ("partner_id",)
    ),
    WebhookType("ValidateEnrollmentQuerying"): HandlerSpec(
        _ENROLLMENT, "the partner number has 7 digits", ("partner_id",)
    ),
    WebhookType("ValidateReEnrollment"): HandlerSpec(
        _ENROLLMENT, "the partner number has 7 digits", ("partner_id",)
    ),
    WebhookType("ValidateReEnrollmentQuerying"): HandlerSpec(
        _ENROLLMENT, "the partner number has 7 digits", ("partner_id",)
    ),
    WebhookType("ValidateAnswer"): HandlerSpec(
        (("receiver", "ValidateAnswer"),), 'the "description" answer is not empty'
    ),
}
"""Every known webhook type and what its handler checks, in the platform's order."""

_BLOCK_ORDER: Final = ("catalog", "partner_id")

DEFAULT_TYPES: Final[tuple[WebhookType, ...]] = (WebhookType("ValidatePurchaseOrderDraft"),)
"""The types of a project when none are named: the one webhook every vendor has."""

ALL: Final = "all"


def parse_types(value: str | Iterable[str]) -> tuple[WebhookType, ...]:
    """The webhook types named in ``value``: a comma-separated string or a list, each name
    spelled as :func:`receiver.types.parse_known_webhook_type` reads it (PascalCase,
    lowerCamelCase, the decorator's ``validate_change_order_draft``, ...); ``all`` is every
    type. The result is in the platform's order, without repeats. UnknownTypeError suggests
    close names.

    >>> parse_types("validateChangeOrderDraft, ValidatePurchaseOrderDraft")
    ('ValidatePurchaseOrderDraft', 'ValidateChangeOrderDraft')
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [item.strip() for item in items if item.strip()]
    if not names:
        raise UnknownTypeError(
            "No webhook type given; name one or more, e.g. ValidatePurchaseOrderDraft, or 'all'."
        )
    chosen: set[WebhookType] = set()
    for name in names:
        if name.lower() == ALL:
            chosen.update(KNOWN_WEBHOOK_TYPES)
            continue
        try:
            chosen.add(parse_known_webhook_type(name))
        except UnknownWebhookTypeError as exc:
            raise UnknownTypeError(_unknown_type_message(name, exc.suggestions)) from None
    return tuple(kind for kind in KNOWN_WEBHOOK_TYPES if kind in chosen)


def _unknown_type_message(name: str, close: list[str]) -> str:
    if close:
        return (
            f"Unknown webhook type {name!r}. Did you mean"
            f" {' or '.join(repr(str(kind)) for kind in close)}?"
        )
    return (
        f"Unknown webhook type {name!r}; the types are {', '.join(KNOWN_WEBHOOK_TYPES)} (or 'all')."
    )


# --- templates ---------------------------------------------------------------------------------

TEMPLATE_SUFFIX: Final = ".tmpl"
PACKAGE_SEGMENT: Final = "__package__"
DOT_PREFIX: Final = "dot-"


def templates_root() -> Traversable:
    """The templates: ``receiver/_templates`` inside an installed wheel, else the
    ``templates/`` folder of the checkout this package was imported from (editable install)."""
    packaged = resources.files("receiver").joinpath("_templates")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise ScaffoldError(  # pragma: no cover - only a broken installation
        "The project templates are missing from this installation of mpt-receiver"
        " (receiver/_templates); reinstall it."
    )


def _walk(folder: Traversable, prefix: PurePosixPath) -> Iterable[tuple[PurePosixPath, str]]:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue  # a checkout's clutter (.DS_Store, ...); templates spell dotfiles dot-
        path = prefix / entry.name
        if entry.is_dir():
            yield from _walk(entry, path)
        else:
            yield path, entry.read_text(encoding="utf-8")


def _render(text: str, values: Mapping[str, str], where: str) -> str:
    try:
        return string.Template(text).substitute(values)
    except (KeyError, ValueError) as exc:  # pragma: no cover - a broken template
        raise ScaffoldError(f"The template {where} is broken: {exc!r}.") from None


def _target_path(template: PurePosixPath, package: str) -> PurePosixPath:
    parts = []
    for part in template.parts:
        if part == PACKAGE_SEGMENT:
            part = package
        elif part.startswith(DOT_PREFIX):
            part = "." + part[len(DOT_PREFIX) :]
        parts.append(part)
    target = PurePosixPath(*parts)
    return target.with_name(target.name.removesuffix(TEMPLATE_SUFFIX))


def _imports(pairs: Iterable[tuple[str, str | None]]) -> str:
    """An import block the way ruff's isort writes it: the standard library, then the rest;
    ``import x`` before ``from x import ...``; names constants first, then classes, then the
    others."""
    plain: dict[bool, set[str]] = {True: set(), False: set()}
    names: dict[str, set[str]] = {}
    for module, name in pairs:
        if name is None:
            plain[module in sys.stdlib_module_names].add(module)
        else:
            names.setdefault(module, set()).add(name)

    def order(name: str) -> tuple[int, str]:
        kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
        return kind, name

    sections = []
    for stdlib in (True, False):
        lines = [f"import {module}" for module in sorted(plain[stdlib])]
        lines += [
            f"from {module} import {', '.join(sorted(names[module], key=order))}"
            for module in sorted(names)
            if (module in sys.stdlib_module_names) == stdlib
        ]
        if lines:
            sections.append("\n".join(lines))
    return "\n\n".join(sections)


# --- the requirement on mpt-receiver ---------------------------------------------------------

DISTRIBUTION: Final = "mpt-receiver"  # the name this package is installed under


def default_receiver_spec() -> str:
    """The requirement on mpt-receiver of a new project: the one that installs the mpt-receiver
    running now, from where it was installed (its ``direct_url.json``, PEP 610).

    - from a package index (no ``direct_url.json``): this version's minor series,
      ``mpt-receiver>=0.1,<0.2`` (``>=1.4,<2`` from 1.0 on);
    - from a wheel or an archive: ``mpt-receiver @ file:///.../mpt_receiver-0.1.0-...whl``;
    - from a directory, editable or not: ``mpt-receiver @ file:///path/to/the/checkout``;
    - from version control: ``mpt-receiver @ git+https://...@<commit>``.

    Raises ScaffoldError, saying what to pass instead, when it cannot tell (a file that is gone,
    a record it cannot read, a package that is not installed).
    """
    try:
        installed = distribution(DISTRIBUTION)
    except PackageNotFoundError:
        raise ScaffoldError(
            _cannot_tell("it is not installed; it is imported from a folder on sys.path")
        ) from None
    return receiver_spec_from(installed.read_text("direct_url.json"), installed.version)


def receiver_spec_from(direct_url: str | None, installed_version: str) -> str:
    """The requirement that installs mpt-receiver again from where ``direct_url`` (the text of
    its ``direct_url.json``, None when it came from an index) says it came from."""
    if direct_url is None:
        return _version_range(installed_version)
    try:
        record = json.loads(direct_url)
    except ValueError:
        record = None
    url = record.get("url") if isinstance(record, dict) else None
    if not isinstance(record, dict) or not isinstance(url, str) or not url:
        raise ScaffoldError(_cannot_tell("its direct_url.json has no URL"))
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
        commit = vcs.get("commit_id")
        revision = f"@{commit}" if isinstance(commit, str) and commit else ""
        return f"{DISTRIBUTION} @ {vcs['vcs']}+{url}{revision}"
    if isinstance(record.get("archive_info"), dict):
        expected = "file"
    elif isinstance(record.get("dir_info"), dict):
        expected = "directory"
    else:
        raise ScaffoldError(_cannot_tell(f"its direct_url.json names {url} but not what it is"))
    path = _local_path(url)
    if path is not None:
        there = path.is_file() if expected == "file" else path.is_dir()
        if not there:
            raise ScaffoldError(
                _cannot_tell(f"it was installed from the {expected} {path}, which is not there")
            )
    return f"{DISTRIBUTION} @ {url}"


def _version_range(installed: str) -> str:
    match = re.match(r"(\d+)\.(\d+)", installed)
    if match is None:  # pragma: no cover - a version we did not make
        return DISTRIBUTION
    major, minor = int(match.group(1)), int(match.group(2))
    upper = f"{major}.{minor + 1}" if major == 0 else str(major + 1)
    return f"{DISTRIBUTION}>={major}.{minor},<{upper}"


def _local_path(url: str) -> Path | None:
    """The path of a ``file:`` URL on this machine; None for any other URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    return Path(urllib.request.url2pathname(parts.path))


def _cannot_tell(reason: str) -> str:
    return (
        f"Cannot tell where this mpt-receiver came from ({reason}), so the new project would"
        " not know where to install it from. Give the project's requirement with"
        " --receiver-spec (receiver_spec= from Python): 'mpt-receiver @"
        " file:///path/to/mpt_receiver-0.1.0-py3-none-any.whl' for a wheel,"
        " 'mpt-receiver @ file:///path/to/the/checkout' for a checkout, or"
        " 'mpt-receiver>=0.1,<0.2' from a package index."
    )


_DIRECT_REFERENCES: Final = """
[tool.hatch.metadata]
# mpt-receiver is required from a URL or a path (a direct reference).
allow-direct-references = true
"""


def _check_spec(spec: str) -> str:
    text = spec.strip()
    if not text or any(char in text for char in '"\\\n\r'):
        raise ScaffoldError(
            f"{spec!r} is not a requirement for mpt-receiver; give one like"
            " 'mpt-receiver>=0.1' or 'mpt-receiver @ file:///path/to/the.whl'."
        )
    return text


def render_project(
    names: ProjectNames,
    types: Iterable[WebhookType],
    *,
    receiver_spec: str | None = None,
) -> dict[PurePosixPath, str]:
    """Every file of the project, by its path relative to the project directory."""
    kinds = [kind for kind in KNOWN_WEBHOOK_TYPES if kind in set(types)]
    if not kinds:
        raise UnknownTypeError("A project needs at least one webhook type.")
    root = templates_root()
    requirement = _check_spec(receiver_spec or default_receiver_spec())
    values = {
        "project": names.project,
        "distribution": names.distribution,
        "package": names.package,
        "prefix": names.prefix,
        "receiver_spec": requirement,
        # hatchling refuses a requirement on a URL or a path unless told to accept it
        "hatch_metadata": _DIRECT_REFERENCES if "@" in requirement else "",
        "first_type": str(kinds[0]),
    }

    def snippet(folder: str, name: str) -> str:
        where = f"{folder}/{name}{TEMPLATE_SUFFIX}"
        text = root.joinpath(folder, name + TEMPLATE_SUFFIX).read_text(encoding="utf-8")
        return _render(text, values, where).strip("\n")

    specs = [HANDLERS[kind] for kind in kinds]
    blocks = [name for name in _BLOCK_ORDER if any(name in spec.blocks for spec in specs)]
    code = [snippet("blocks", name + ".py") for name in blocks]
    code += [snippet("handlers", kind.snake_name + ".py") for kind in kinds]
    imports: list[tuple[str, str | None]] = [("receiver", "Receiver")]
    for spec in specs:
        imports.extend(spec.imports)
    values["imports"] = _imports(imports)
    values["body"] = "".join(f"\n\n{part}\n" for part in code).rstrip("\n")
    values["shared_url_note"] = _shared_url_note(kinds)
    # Each type on its own path: on the shared URL two types that take the same object
    # (SelectOrderLines and the Purchase types) cannot be told apart without a webhooks= map.
    values["send_commands"] = "\n".join(
        f"receiver send http://127.0.0.1:8080/{kind} --type {kind}" for kind in kinds
    )
    values["handler_rows"] = "\n".join(
        f"| `{kind}` | `{kind.snake_name}` | {spec.summary} |"
        for kind, spec in zip(kinds, specs, strict=True)
    )

    files: dict[PurePosixPath, str] = {}
    for path, text in _walk(root.joinpath("project"), PurePosixPath()):
        if not path.name.endswith(TEMPLATE_SUFFIX):  # pragma: no cover - guarded by a test
            raise ScaffoldError(f"The template project/{path} does not end in {TEMPLATE_SUFFIX}.")
        files[_target_path(path, names.package)] = _render(text, values, f"project/{path}")
    for kind in kinds:
        name = f"test_{kind.snake_name}.py"
        files[PurePosixPath("tests", name)] = snippet("tests", name) + "\n"
    return files


def _shared_url_note(kinds: list[WebhookType]) -> str:
    """For app.py, when some of the types receive the same object: how their calls are told
    apart (what the receiver's startup warning says too)."""
    sharing = [
        kind for kind in kinds if kind in PURCHASE_WEBHOOK_TYPES or kind == SELECT_ORDER_LINES
    ]
    if SELECT_ORDER_LINES not in sharing or len(sharing) < 2:
        return ""
    names = ", ".join(sharing[:-1]) + f" and {sharing[-1]}"
    text = (
        f"{names} receive the same object (a Purchase order): give each webhook its own URL"
        " path, https://<your-host>/<WebhookType>, or map each webhook id to its type with"
        f' Receiver(webhooks={{"WBH-...": "{SELECT_ORDER_LINES}", ...}}).'
    )
    lines = textwrap.wrap(text, width=98, break_long_words=False, break_on_hyphens=False)
    return "\n#\n" + "\n".join(f"# {line}" for line in lines)


# --- the project -------------------------------------------------------------------------------


def create_project(
    name: str,
    *,
    types: str | Iterable[str] | None = None,
    directory: str | os.PathLike[str] | None = None,
    force: bool = False,
    receiver_spec: str | None = None,
) -> Path:
    """Create the project ``name`` and return its directory.

    Args:
        name: the project's name (``acme-webhooks``); its package is ``acme_webhooks``.
        types: the webhook types to answer, as :func:`parse_types` reads them; None is
            :data:`DEFAULT_TYPES` (ValidatePurchaseOrderDraft).
        directory: where to create it; default ``./<name>``. It may exist if it is empty.
        force: write into a directory that has files: the project's files replace files of
            the same name, every other file is left as it is.
        receiver_spec: the project's requirement on mpt-receiver, e.g.
            ``mpt-receiver @ file:///...whl``; default :func:`default_receiver_spec`, which
            installs it from where this one was installed.

    Raises InvalidNameError, UnknownTypeError, DirectoryNotEmptyError (all ScaffoldError)
    before anything is written.
    """
    names = project_names(name)
    kinds = DEFAULT_TYPES if types is None else parse_types(types)
    target = Path(directory) if directory is not None else Path(names.project)
    target = target.expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} is a file; give a directory for the project.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise DirectoryNotEmptyError(
            f"{target} is not empty; choose another directory, or pass --force to write the"
            " project's files into it (files of the same name are replaced)."
        )
    files = render_project(names, kinds, receiver_spec=receiver_spec)
    for relative, text in files.items():
        path = target.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return target
