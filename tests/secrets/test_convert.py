"""receiver.secrets.convert: as_secret_source turns what ``secrets=`` accepts into a source,
cached when its lookups leave the process, and names the accepted forms for anything else."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import pytest

from receiver.errors import SecretConfigurationError
from receiver.secrets import (
    CachedSecrets,
    CallableSecrets,
    ProductSecrets,
    StaticSecrets,
    as_secret_source,
)

from .conftest import (
    BASE_URL,
    PRODUCT,
    SECRET,
    TOKEN,
    WEBHOOK,
    AsyncCallableObject,
    CountingSource,
    async_lookup,
)

pytestmark = pytest.mark.anyio


async def test_as_secret_source_mapping() -> None:
    for mapping in (
        {WEBHOOK: SECRET, "WBH-2": ["old", "new"]},
        types.MappingProxyType({WEBHOOK: SECRET, "WBH-2": ["old", "new"]}),
    ):
        source = as_secret_source(mapping)
        assert isinstance(source, StaticSecrets)
        assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
        assert await source.secrets_for("WBH-2") == (b"old", b"new")


async def test_as_secret_source_keeps_sources() -> None:
    static = StaticSecrets({WEBHOOK: SECRET})
    fake = CountingSource()
    cache = CachedSecrets(fake)
    for source in (static, fake, cache):
        assert as_secret_source(source) is source


async def test_as_secret_source_caches_lookups() -> None:
    callable_source = CallableSecrets(lambda webhook_id: SECRET)
    wrapped = as_secret_source(callable_source)
    assert isinstance(wrapped, CachedSecrets)
    assert wrapped.source is callable_source
    product = ProductSecrets({PRODUCT: SECRET}, api_base_url=BASE_URL, api_token=TOKEN)
    wrapped = as_secret_source(product)
    assert isinstance(wrapped, CachedSecrets)
    assert wrapped.source is product


def _sync_lookup(webhook_id: str) -> str | None:
    return SECRET if webhook_id == WEBHOOK else None


async def _async_lookup_one(webhook_id: str) -> list[str] | None:
    return ["old", SECRET] if webhook_id == WEBHOOK else None


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        pytest.param(_sync_lookup, (SECRET.encode(),), id="sync"),
        pytest.param(_async_lookup_one, (b"old", SECRET.encode()), id="async"),
        pytest.param(functools.partial(async_lookup, ""), (WEBHOOK.encode(),), id="partial"),
        pytest.param(AsyncCallableObject(), (b"from-object",), id="object"),
    ],
)
async def test_as_secret_source_wraps_functions_in_the_cache(
    fn: Callable[[str], Any], expected: tuple[bytes, ...]
) -> None:
    source = as_secret_source(fn)
    assert isinstance(source, CachedSecrets)
    assert isinstance(source.source, CallableSecrets)
    assert source.known_webhook_ids() is None
    assert await source.secrets_for(WEBHOOK) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param(None, "Got None", id="none"),
        pytest.param(42, "Got an int", id="int"),
        pytest.param(SECRET, "Got a str. A single secret needs its webhook id", id="str"),
        pytest.param(SECRET.encode(), "Got a bytes. A single secret", id="bytes"),
        pytest.param([WEBHOOK, SECRET], "Got a list", id="list"),
        pytest.param({SECRET}, "Got a set", id="set"),
        pytest.param(StaticSecrets, "Got the class StaticSecrets", id="class"),
    ],
)
async def test_as_secret_source_refuses_anything_else(value: object, fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        as_secret_source(value)
    message = str(caught.value)
    assert SECRET not in message
    for form in ("a mapping {webhook_id:", "a secret source", "a function, sync or async"):
        assert form in message
