"""Secret sources: where the receiver finds the HMAC secret(s) of the webhook that called.

The platform signs every call with the webhook's shared secret (HS256) and names the webhook in
the token's ``webhook_id`` claim. That claim is read *before* the signature can be checked, so
every source here treats it as hostile: implausible ids never reach a lookup, and lookups that
leave the process (the platform API, your function) go through :class:`CachedSecrets`, which
bounds their number, rate, concurrency and memory.

    StaticSecrets     a fixed mapping {webhook_id: secret | [old, new]}; from_env() reads one
    CallableSecrets   your function, sync or async: webhook_id -> secret(s) | None
    ProductSecrets    webhook -> product (a mapping or the platform API) -> secret(s)
    CachedSecrets     TTL + LRU cache, coalescing, concurrency and rate limits around a source

:func:`as_secret_source` turns whatever a user passes as ``secrets=`` into a source. Several
secrets for one webhook form a rotation window: a token signed with any of them is accepted.
Error messages name webhook and product ids, never a secret or a token.

Modules, one concept each (each imports only those above it):

    ids        is_plausible_webhook_id: which webhook ids may be looked up at all
    values     validate_secret: what can be an HMAC secret; Secret, SecretSpec
    _config    reading configuration: mapping keys, JSON environment variables
    sources    the SecretSource protocol; StaticSecrets, from_env(), CallableSecrets
    product    ProductSecrets, with its one GET of the platform's Webhook API (receiver.platform)
    cache      CachedSecrets: TTL + LRU cache, single-flight lookups, concurrency and rate limits
    convert    as_secret_source: what ``secrets=`` accepts, turned into a source
"""

from receiver.secrets.cache import CachedSecrets
from receiver.secrets.convert import as_secret_source
from receiver.secrets.ids import WEBHOOK_ID_MAX_LENGTH, is_plausible_webhook_id
from receiver.secrets.product import ProductSecrets
from receiver.secrets.sources import (
    CallableSecrets,
    SecretCallable,
    SecretSource,
    StaticSecrets,
    from_env,
)
from receiver.secrets.values import Secret, SecretSpec, validate_secret

__all__ = [
    "WEBHOOK_ID_MAX_LENGTH",
    "CachedSecrets",
    "CallableSecrets",
    "ProductSecrets",
    "Secret",
    "SecretCallable",
    "SecretSource",
    "SecretSpec",
    "StaticSecrets",
    "as_secret_source",
    "from_env",
    "is_plausible_webhook_id",
    "validate_secret",
]
