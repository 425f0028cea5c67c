"""as_secret_source: what ``secrets=`` accepts, turned into a SecretSource (cached when its
lookups leave the process)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from receiver.errors import SecretConfigurationError
from receiver.secrets._config import describe
from receiver.secrets.cache import CachedSecrets
from receiver.secrets.product import ProductSecrets
from receiver.secrets.sources import CallableSecrets, SecretCallable, SecretSource, StaticSecrets

_ACCEPTED_FORMS = (
    "secrets= takes a mapping {webhook_id: secret or [secrets]} such as"
    " {'WBH-5433-8787': '<secret>'}; a secret source (StaticSecrets, ProductSecrets,"
    " CachedSecrets, from_env(), or any object with async secrets_for(webhook_id) and"
    " known_webhook_ids()); or a function, sync or async, webhook_id -> secret, list of secrets"
    " or None."
)


def as_secret_source(secrets: object) -> SecretSource:
    """Turn what was passed as ``secrets=`` into a SecretSource.

    Mappings become StaticSecrets; functions become CallableSecrets and, like a ProductSecrets
    that asks the platform API, are wrapped in CachedSecrets with its defaults. Other sources
    are returned as they are.

    >>> as_secret_source({"WBH-5433-8787": "s3cret"})
    StaticSecrets(<1 webhook(s)>)
    >>> as_secret_source(lambda webhook_id: None)  # doctest: +ELLIPSIS
    CachedSecrets(CallableSecrets(<lambda>), ttl=300, ...)
    """
    if isinstance(secrets, CallableSecrets) or (
        isinstance(secrets, ProductSecrets) and secrets.uses_platform_api
    ):
        return CachedSecrets(secrets)
    if isinstance(secrets, SecretSource) and not isinstance(secrets, type):
        return secrets
    if isinstance(secrets, Mapping):
        return StaticSecrets(secrets)
    if callable(secrets) and not isinstance(secrets, type):
        return CachedSecrets(CallableSecrets(cast(SecretCallable, secrets)))
    hint = ""
    if isinstance(secrets, str | bytes):
        hint = " A single secret needs its webhook id: {'WBH-5433-8787': secret}."
    raise SecretConfigurationError(f"{_ACCEPTED_FORMS} Got {describe(secrets)}.{hint}")
