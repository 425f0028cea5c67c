"""Reading what users configure: the keys of a mapping, a JSON environment variable, and naming
a wrong value. Nothing here shows a value: it may be a secret."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast

from receiver._json import json_kind
from receiver._text import type_phrase
from receiver.errors import SecretConfigurationError
from receiver.secrets.ids import ID_RULE, is_plausible_webhook_id


def describe(value: object) -> str:
    """What a wrong value is, without showing it (it may be a secret)."""
    if isinstance(value, type):
        return f"the class {value.__name__} (pass an instance)"
    return type_phrase(value)


def check_key(key: object, position: int, where: str, what: str, example: str) -> str:
    """Key number ``position`` of a configured mapping, if it could be a webhook or product id."""
    if is_plausible_webhook_id(key):
        return cast(str, key)
    # The key itself is not shown: a mapping written the wrong way round would print a secret.
    problem = f"is not a {what}" if isinstance(key, str) else f"is {type_phrase(key)}"
    raise SecretConfigurationError(
        f"Key number {position} of {where} {problem}: expected text like {example!r},"
        f" {ID_RULE}. (The key is not shown in case it is a secret.)"
    )


def load_json_env(
    var: str, environ: Mapping[str, str], keys: str, example: str
) -> dict[str, object]:
    """The non-empty JSON object in ``environ[var]``, mapping ``keys`` to secrets."""
    shape = f'{var}=\'{{"{example}": "<secret>"}}\''
    raw = environ.get(var)
    if raw is None or not raw.strip():
        raise SecretConfigurationError(
            f"{var} is not set. Set it to a JSON object mapping {keys} to secrets, for example"
            f' {shape}; while rotating a secret give a list, ["<old>", "<new>"].'
        )
    try:
        data: object = json.loads(raw)
    except json.JSONDecodeError as exc:
        # from None, and exc.msg only: the decode error carries the whole value, secrets included.
        raise SecretConfigurationError(
            f"{var} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); the"
            f" value is not shown because it holds secrets. It must look like {shape}."
        ) from None
    except RecursionError:
        raise SecretConfigurationError(
            f"{var} is nested too deeply to be read; it must look like {shape}."
        ) from None
    if not isinstance(data, dict):
        raise SecretConfigurationError(
            f"{var} holds a JSON {json_kind(data)}; it must be a JSON object like {shape}."
        )
    if not data:
        raise SecretConfigurationError(
            f"{var} is an empty JSON object; add the {keys} and their secrets, like {shape}."
        )
    return data
