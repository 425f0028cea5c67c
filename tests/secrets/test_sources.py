"""receiver.secrets.sources: StaticSecrets, from_env() and CallableSecrets, and the SecretSource
protocol they follow."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from receiver.errors import SecretConfigurationError, SecretLookupError
from receiver.secrets import CallableSecrets, SecretSource, StaticSecrets, from_env

from .conftest import SECRET, WEBHOOK, AsyncCallableObject, async_lookup

pytestmark = pytest.mark.anyio


# --- StaticSecrets and from_env ----------------------------------------------------------------


async def test_static_secrets_single_and_rotation() -> None:
    source = StaticSecrets(
        {
            WEBHOOK: SECRET,
            "WH-123-123": ["old", b"new"],
            "WBH-2": ("b", "a", b"b", "a"),
        }
    )
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert await source.secrets_for("WH-123-123") == (b"old", b"new")
    assert await source.secrets_for("WBH-2") == (b"b", b"a")  # deduplicated, order kept
    assert await source.secrets_for("WBH-0000-0000") == ()
    assert source.known_webhook_ids() == frozenset({WEBHOOK, "WH-123-123", "WBH-2"})


async def test_static_secrets_is_an_immutable_copy() -> None:
    mapping: dict[str, Any] = {WEBHOOK: ["a"]}
    source = StaticSecrets(mapping)
    mapping[WEBHOOK].append("b")
    mapping["WBH-2"] = "c"
    assert await source.secrets_for(WEBHOOK) == (b"a",)
    assert await source.secrets_for("WBH-2") == ()
    assert source.known_webhook_ids() == frozenset({WEBHOOK})


async def test_static_secrets_repr_hides_secrets() -> None:
    assert SECRET not in repr(StaticSecrets({WEBHOOK: SECRET}))
    assert repr(StaticSecrets({})) == "StaticSecrets(<0 webhook(s)>)"


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        pytest.param({WEBHOOK: ""}, f"webhook '{WEBHOOK}' is empty", id="empty-secret"),
        pytest.param({WEBHOOK: []}, "list of secrets for webhook", id="empty-list"),
        pytest.param({WEBHOOK: None}, "is None", id="none"),
        pytest.param({WEBHOOK: [SECRET, 5]}, "is an int", id="bad-item"),
        pytest.param({SECRET + " !": "WBH-1"}, "Key number 1 of the secrets mapping", id="bad-key"),
        pytest.param(
            {WEBHOOK: "a", 7: "b"}, "Key number 2 of the secrets mapping is an int", id="int-key"
        ),
    ],
)
async def test_static_secrets_refuses_bad_entries(mapping: Any, fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        StaticSecrets(mapping)
    assert SECRET not in str(caught.value)


async def test_static_secrets_refuses_non_mapping() -> None:
    with pytest.raises(SecretConfigurationError, match="takes a mapping"):
        StaticSecrets([(WEBHOOK, SECRET)])  # type: ignore[arg-type]


async def test_from_env_reads_json(monkeypatch: pytest.MonkeyPatch) -> None:
    value = json.dumps({WEBHOOK: SECRET, "WBH-2": ["old", "new"]})
    monkeypatch.setenv("RECEIVER_SECRETS", value)
    source = from_env()
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert await source.secrets_for("WBH-2") == (b"old", b"new")
    custom = from_env("MY_SECRETS", environ={"MY_SECRETS": value})
    assert custom.known_webhook_ids() == frozenset({WEBHOOK, "WBH-2"})


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
async def test_from_env_missing(value: str | None) -> None:
    environ = {} if value is None else {"RECEIVER_SECRETS": value}
    with pytest.raises(SecretConfigurationError) as caught:
        from_env(environ=environ)
    message = str(caught.value)
    assert message.startswith("RECEIVER_SECRETS is not set. Set it to a JSON object")
    assert '{"WBH-5433-8787": "<secret>"}' in message
    assert '["<old>", "<new>"]' in message


@pytest.mark.parametrize(
    "value",
    [
        f'{{"{WEBHOOK}": "{SECRET}"',
        f"{{'{WEBHOOK}': '{SECRET}'}}",
        f'{{"{WEBHOOK}": "{SECRET}"}} trailing',
        f'{{"{WEBHOOK}": {SECRET}}}',
        SECRET,
    ],
)
async def test_from_env_invalid_json_does_not_echo_the_value(value: str) -> None:
    with pytest.raises(SecretConfigurationError, match="is not valid JSON") as caught:
        from_env(environ={"RECEIVER_SECRETS": value})
    assert SECRET not in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert caught.value.__suppress_context__


async def test_from_env_too_deep_json() -> None:
    with pytest.raises(SecretConfigurationError, match="nested too deeply"):
        from_env(environ={"RECEIVER_SECRETS": "[" * 100_000 + "]" * 100_000})


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param(f'["{SECRET}"]', "holds a JSON array", id="array"),
        pytest.param(f'"{SECRET}"', "holds a JSON string", id="string"),
        pytest.param("42", "holds a JSON number", id="number"),
        pytest.param("true", "holds a JSON boolean", id="boolean"),
        pytest.param("null", "holds a JSON null", id="null"),
        pytest.param("{}", "is an empty JSON object", id="empty"),
        pytest.param(
            f'{{"{WEBHOOK}": 1}}', f"^RECEIVER_SECRETS: .*'{WEBHOOK}' is an int", id="int"
        ),
        pytest.param(f'{{"{WEBHOOK}": {{"k": 1}}}}', "is a dict", id="object"),
        pytest.param(f'{{"{WEBHOOK}": []}}', "list of secrets .* is empty", id="empty-list"),
        pytest.param(f'{{"{SECRET} x": "s"}}', "^RECEIVER_SECRETS: Key number 1", id="bad-key"),
    ],
)
async def test_from_env_wrong_shape(value: str, fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        from_env(environ={"RECEIVER_SECRETS": value})
    assert SECRET not in str(caught.value)


# --- CallableSecrets ---------------------------------------------------------------------------


async def test_callable_sync_runs_in_a_worker_thread() -> None:
    threads: list[int] = []

    def lookup(webhook_id: str) -> list[str] | None:
        threads.append(threading.get_ident())
        return ["old", "new", "old"] if webhook_id == WEBHOOK else None

    source = CallableSecrets(lookup)
    assert await source.secrets_for(WEBHOOK) == (b"old", b"new")
    assert await source.secrets_for("WBH-2") == ()
    assert threading.get_ident() not in threads
    assert source.known_webhook_ids() is None
    assert (
        repr(source)
        == "CallableSecrets(test_callable_sync_runs_in_a_worker_thread.<locals>.lookup)"
    )


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        pytest.param(functools.partial(async_lookup, "p-"), (b"p-WBH-1",), id="async-partial"),
        pytest.param(AsyncCallableObject(), (b"from-object",), id="async-call-object"),
        pytest.param(lambda webhook_id: [], (), id="empty-list"),
        pytest.param(lambda webhook_id: (), (), id="empty-tuple"),
        pytest.param(lambda webhook_id: b"raw", (b"raw",), id="bytes"),
        pytest.param(lambda wid: async_lookup("aw-", wid), (b"aw-WBH-1",), id="sync-returns-coro"),
    ],
)
async def test_callable_forms(fn: Callable[[str], Any], expected: tuple[bytes, ...]) -> None:
    assert await CallableSecrets(fn).secrets_for("WBH-1") == expected


async def test_callable_async_function_is_awaited_in_the_event_loop() -> None:
    threads: list[int] = []

    async def lookup(webhook_id: str) -> str:
        threads.append(threading.get_ident())
        return SECRET

    assert await CallableSecrets(lookup).secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert threads == [threading.get_ident()]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_callable_errors_become_lookup_errors_without_the_secret(is_async: bool) -> None:
    def failing(webhook_id: str) -> str:
        raise KeyError(f"no secret {SECRET} for {webhook_id}")

    async def failing_async(webhook_id: str) -> str:
        return failing(webhook_id)

    source = CallableSecrets(failing_async if is_async else failing)
    with pytest.raises(SecretLookupError) as caught:
        await source.secrets_for(WEBHOOK)
    message = str(caught.value)
    assert "raised KeyError" in message
    assert WEBHOOK in message
    assert SECRET not in message
    assert isinstance(caught.value.__cause__, KeyError)


async def test_callable_lookup_errors_pass_through() -> None:
    error = SecretLookupError("the vault is sealed")

    def lookup(webhook_id: str) -> str:
        raise error

    with pytest.raises(SecretLookupError) as caught:
        await CallableSecrets(lookup).secrets_for(WEBHOOK)
    assert caught.value is error


@pytest.mark.parametrize(
    "returned", ["", [SECRET, ""], 42, "ssh-rsa AAAA" + SECRET], ids=["empty", "list", "int", "ssh"]
)
async def test_callable_unusable_result_is_a_lookup_error(returned: object) -> None:
    with pytest.raises(SecretLookupError, match="returned an unusable secret") as caught:
        await CallableSecrets(lambda webhook_id: returned).secrets_for(WEBHOOK)  # type: ignore[arg-type,return-value]
    assert SECRET not in str(caught.value)
    assert isinstance(caught.value.__cause__, SecretConfigurationError)


@pytest.mark.parametrize("fn", ["not callable", None, StaticSecrets], ids=["str", "none", "class"])
async def test_callable_refuses_non_functions(fn: Any) -> None:
    with pytest.raises(SecretConfigurationError, match="CallableSecrets takes a function"):
        CallableSecrets(fn)


def test_protocol_is_runtime_checkable() -> None:
    assert isinstance(StaticSecrets({}), SecretSource)
    assert not isinstance({}, SecretSource)
