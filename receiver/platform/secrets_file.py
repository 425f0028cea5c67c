"""The secrets file: ``RECEIVER_SECRETS`` as a JSON file, ``{webhook_id: secret | [old, new]}``.

``receiver webhooks sync`` and ``create`` write the secrets of the webhooks they create to it,
``rotate`` writes the old and the new secret. Every write merges with what the file holds and is
atomic (a temporary file beside it, mode 0600, then a rename): a crash leaves the old file or
the new one, never half of one, and no other user can read it. Nothing here shows a secret.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "secrets.json"
    >>> write_secrets(path, {"WBH-1111-2222": ["s3cret"]})
    >>> write_secrets(path, {"WBH-3333-4444": ["old", "new"]})
    >>> read_secrets(path)
    {'WBH-1111-2222': ['s3cret'], 'WBH-3333-4444': ['old', 'new']}
    >>> oct(path.stat().st_mode & 0o777)
    '0o600'
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from receiver._json import json_kind
from receiver.errors import ConfigurationError

FILE_MODE = 0o600


def read_secrets(path: str | os.PathLike[str]) -> dict[str, list[str]]:
    """The file's secrets, each webhook's as a list (oldest first); ``{}`` when there is no
    file yet. A file that is not in the ``RECEIVER_SECRETS`` shape raises ConfigurationError
    (its content is not shown)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"Cannot read the secrets file {target}: {exc}.") from None
    if not text.strip():
        return {}
    shape = ' like {"WBH-1234-5678": "<secret>"} or {"WBH-1234-5678": ["<old>", "<new>"]}'
    try:
        data: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"The secrets file {target} is not valid JSON ({exc.msg} at line {exc.lineno}); it"
            f" must hold the RECEIVER_SECRETS object,{shape}. (Its content is not shown.)"
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"The secrets file {target} holds a JSON {json_kind(data)}; it must hold the"
            f" RECEIVER_SECRETS object,{shape}."
        )
    result: dict[str, list[str]] = {}
    for webhook_id, value in data.items():
        values = [value] if isinstance(value, str) else value
        if not (
            isinstance(values, list) and values and all(isinstance(v, str) and v for v in values)
        ):
            raise ConfigurationError(
                f"The secrets file {target} holds a JSON {json_kind(value)} for {webhook_id}; each"
                f" webhook needs a secret or a list of secrets,{shape}."
            )
        result[str(webhook_id)] = list(values)
    return result


def write_secrets(
    path: str | os.PathLike[str], changes: Mapping[str, Sequence[str] | None]
) -> None:
    """Merge ``changes`` into the file (a list replaces a webhook's secrets, None removes
    them) and write it atomically with mode 0600. One secret is written as a string, several
    as a list: the file can be used as RECEIVER_SECRETS as it is."""
    target = Path(path)
    merged = read_secrets(target)
    for webhook_id, values in changes.items():
        if values is None:
            merged.pop(webhook_id, None)
        else:
            merged[webhook_id] = list(values)
    shaped = {key: values[0] if len(values) == 1 else values for key, values in merged.items()}
    data = (json.dumps(shaped, indent=2) + "\n").encode()
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigurationError(
            f"Cannot write the secrets file {target} ({exc.strerror or exc}); check that its"
            " directory exists and is writable."
        ) from None
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    # The rename is durable once the directory is on disk too (POSIX; a no-op elsewhere).
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
