from __future__ import annotations

import datetime
import doctest
import functools
import json
import logging
import math
import threading
import types
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from receiver import secrets as secrets_module
from receiver.errors import SecretConfigurationError, SecretLookupError
from receiver.secrets import (
    CachedSecrets,
    CallableSecrets,
    ProductSecrets,
    SecretSource,
    StaticSecrets,
    as_secret_source,
    from_env,
    is_plausible_webhook_id,
    validate_secret,
)

SECRET = "hunter2-very-secret"
TOKEN = "idt:TKN-0000-0000:not-a-real-token"
BASE_URL = "https://api.example.test"
WEBHOOK = "WBH-5433-8787"
PRODUCT = "PRD-1111-1111"

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


# --- fakes -------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingSource:
    """A SecretSource that records its calls; ``gate`` holds every call until set."""

    def __init__(
        self,
        answers: Mapping[str, tuple[bytes, ...]] | None = None,
        *,
        default: tuple[bytes, ...] = (),
        gate: anyio.Event | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.answers = dict(answers or {})
        self.default = default
        self.gate = gate
        self.error = error
        self.calls: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        self.calls.append(webhook_id)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.error is not None:
                raise self.error
            return self.answers.get(webhook_id, self.default)
        finally:
            self.in_flight -= 1

    def known_webhook_ids(self) -> frozenset[str] | None:
        return frozenset(self.answers)


def cached(source: SecretSource, **kwargs: Any) -> CachedSecrets:
    kwargs.setdefault("clock", FakeClock())
    return CachedSecrets(source, **kwargs)


# --- asymmetric keys (generated once) ----------------------------------------------------------


@functools.cache
def asymmetric_keys() -> dict[str, bytes]:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vendor.example")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ec_key.public_key())
        .serial_number(1234)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ec_key, hashes.SHA256())
    )
    enc, pub, priv = serialization.Encoding, serialization.PublicFormat, serialization.PrivateFormat
    no_encryption = serialization.NoEncryption()
    return {
        "pem-public": ec_key.public_key().public_bytes(enc.PEM, pub.SubjectPublicKeyInfo),
        "pem-rsa-public": rsa_key.public_key().public_bytes(enc.PEM, pub.PKCS1),
        "pem-private": ec_key.private_bytes(enc.PEM, priv.PKCS8, no_encryption),
        "pem-rsa-private": rsa_key.private_bytes(enc.PEM, priv.TraditionalOpenSSL, no_encryption),
        "openssh-private": ec_key.private_bytes(enc.PEM, priv.OpenSSH, no_encryption),
        "pem-certificate": cert.public_bytes(enc.PEM),
        "pem-in-text": b"note\n" + cert.public_bytes(enc.PEM) + b"trailer",
        "ssh-ecdsa": ec_key.public_key().public_bytes(enc.OpenSSH, pub.OpenSSH),
        "ssh-rsa": rsa_key.public_key().public_bytes(enc.OpenSSH, pub.OpenSSH),
        "ssh-ed25519": b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk vendor@host",
        "ssh2-public": b"---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3Nza\n---- END SSH2 PUBLIC KEY ----",
        "der-public": ec_key.public_key().public_bytes(enc.DER, pub.SubjectPublicKeyInfo),
        "der-certificate": cert.public_bytes(enc.DER),
        "jwk": json.dumps({"kty": "oct", "k": "c2VjcmV0"}).encode(),
        "jwk-set": json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}).encode(),
    }


ASYMMETRIC = [
    "pem-public",
    "pem-rsa-public",
    "pem-private",
    "pem-rsa-private",
    "openssh-private",
    "pem-certificate",
    "pem-in-text",
    "ssh-ecdsa",
    "ssh-rsa",
    "ssh-ed25519",
    "ssh2-public",
    "der-public",
    "der-certificate",
    "jwk",
    "jwk-set",
]


def pyjwt_accepts(key: bytes) -> bool:
    try:
        jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256).prepare_key(key)
    except jwt.InvalidKeyError:
        return False
    return True


# --- validate_secret ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("s3cret", b"s3cret"),
        ("päss", "päss".encode()),
        (b"\x00\xffraw", b"\x00\xffraw"),
        ("-----BEGIN PUBLIC KEY----- without an end", b"-----BEGIN PUBLIC KEY----- without an end"),
        ('{"not": "a jwk"}', b'{"not": "a jwk"}'),
        ("[1, 2]", b"[1, 2]"),
        (" ssh-rsa with a leading space", b" ssh-rsa with a leading space"),
    ],
)
async def test_validate_secret_accepts_text_and_bytes(secret: str | bytes, expected: bytes) -> None:
    assert validate_secret(secret) == expected
    assert pyjwt_accepts(expected)


@pytest.mark.parametrize(
    ("name", "as_text"),
    [(name, False) for name in ASYMMETRIC]
    + [(name, True) for name in ASYMMETRIC if not name.startswith("der")],  # DER is binary
)
async def test_validate_secret_refuses_asymmetric_keys(name: str, as_text: bool) -> None:
    key = asymmetric_keys()[name]
    assert not pyjwt_accepts(key)  # the same keys PyJWT's HMAC refuses
    value: str | bytes = key.decode() if as_text else key
    with pytest.raises(SecretConfigurationError) as caught:
        validate_secret(value, owner=f"webhook {WEBHOOK!r}")
    message = str(caught.value)
    assert WEBHOOK in message
    assert "asymmetric key cannot be an HMAC secret" in message or "JSON Web Key" in message
    assert key.decode("latin-1")[8:40] not in message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param("", "is empty", id="empty-str"),
        pytest.param(b"", "is empty", id="empty-bytes"),
        pytest.param(None, "is None", id="none"),
        pytest.param(12345, "is an int", id="int"),
        pytest.param(bytearray(b"x"), "is a bytearray", id="bytearray"),
        pytest.param({"k": "v"}, "is a dict", id="dict"),
        pytest.param("bad\ud800" + SECRET, "lone surrogate", id="surrogate"),
    ],
)
async def test_validate_secret_refuses_unusable_values(value: object, fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        validate_secret(value, owner="product 'PRD-1'")
    assert "product 'PRD-1'" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


@pytest.mark.parametrize(
    ("secret", "accepted"),
    [
        pytest.param(b"[" * 100_000, True, id="deep-array"),
        pytest.param(b'{"a":' * 100_000, False, id="deep-object"),
        pytest.param(b"[" * 100_000 + b'{"kty": 1}', False, id="deep-kty"),
    ],
)
async def test_validate_secret_json_too_deep_to_parse(secret: bytes, accepted: bool) -> None:
    assert pyjwt_accepts(secret) is accepted
    if accepted:
        assert validate_secret(secret) == secret
    else:
        with pytest.raises(SecretConfigurationError, match="JSON Web Key"):
            validate_secret(secret)


@settings(max_examples=300)
@given(st.one_of(st.binary(min_size=1, max_size=200), st.text(min_size=1).map(str.encode)))
@example(b"ssh-rsa AAAA")
@example(b'{"kty": "oct"}')
@example(b"-----BEGIN CERTIFICATE-----x-----END CERTIFICATE-----")
@example(b"-----END CERTIFICATE-----x-----BEGIN CERTIFICATE-----")
def test_validate_secret_agrees_with_pyjwt(data: bytes) -> None:
    try:
        validate_secret(data)
    except SecretConfigurationError:
        accepted = False
    else:
        accepted = True
    assert accepted == pyjwt_accepts(data)


# --- webhook ids -------------------------------------------------------------------------------

PLAUSIBLE = ["WBH-5433-8787", "WH-123-123", "a", "7", "A" * 64, "a.b:c_d-e", "WBH-1.2:3"]
IMPLAUSIBLE: list[object] = [
    "",
    "A" * 65,
    "-WBH-1",
    ".hidden",
    "_x",
    "WBH 1",
    "WBH/1",
    "../etc",
    "WBH-1\n",
    "WBH-1?x=1",
    "WBH-1#",
    "ÄBC",
    "١٢٣",
    "WBH-\uff11",
    None,
    123,
    b"WBH-1",
    ["WBH-1"],
]


@pytest.mark.parametrize("webhook_id", PLAUSIBLE)
async def test_plausible_ids(webhook_id: str) -> None:
    assert is_plausible_webhook_id(webhook_id)


@pytest.mark.parametrize("webhook_id", IMPLAUSIBLE, ids=repr)
async def test_implausible_ids(webhook_id: object) -> None:
    assert not is_plausible_webhook_id(webhook_id)


@pytest.mark.parametrize("webhook_id", IMPLAUSIBLE, ids=repr)
async def test_implausible_ids_never_reach_any_source(webhook_id: Any) -> None:
    fake = CountingSource(default=(b"s",))
    calls: list[str] = []

    def fn(wid: str) -> str:
        calls.append(wid)
        return "s"

    api = FakeApi()
    client = httpx.AsyncClient(transport=httpx.MockTransport(api))
    cache = cached(fake)
    sources: list[SecretSource] = [
        StaticSecrets({"WBH-1": "s"}),
        CallableSecrets(fn),
        ProductSecrets({PRODUCT: "s"}, webhook_products={"WBH-1": PRODUCT}),
        ProductSecrets({PRODUCT: "s"}, api_base_url=BASE_URL, api_token=TOKEN, http_client=client),
        cache,
    ]
    for source in sources:
        assert await source.secrets_for(webhook_id) == ()
    assert fake.calls == calls == []
    assert api.requests == []
    assert cache.size == 0
    await client.aclose()


ANY_ID = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,70}\Z"),
    st.none(),
    st.integers(),
    st.binary(max_size=10),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(webhook_ids=st.lists(ANY_ID, max_size=10))
async def test_arbitrary_ids_never_raise_and_only_plausible_ones_are_looked_up(
    webhook_ids: list[Any],
) -> None:
    fake = CountingSource(default=(b"s",))
    fn_calls: list[str] = []
    api_paths: list[str] = []

    def fn(webhook_id: str) -> list[str]:
        fn_calls.append(webhook_id)
        return ["s"]

    def api(request: httpx.Request) -> httpx.Response:
        api_paths.append(request.url.path)
        return httpx.Response(200, json={"criteria": {"product.id": PRODUCT}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as client:
        product = ProductSecrets(
            {PRODUCT: "s"}, api_base_url=BASE_URL, api_token=TOKEN, http_client=client
        )
        sources: list[SecretSource] = [
            cached(fake, max_lookups_per_second=math.inf),
            CallableSecrets(fn),
            product,
            StaticSecrets({"WBH-1": "s"}),
        ]
        for webhook_id in webhook_ids:
            plausible = is_plausible_webhook_id(webhook_id)
            for source in sources:
                answer = await source.secrets_for(webhook_id)
                assert isinstance(answer, tuple)
                if not plausible:
                    assert answer == ()
    plausible_ids = [w for w in webhook_ids if is_plausible_webhook_id(w)]
    assert fn_calls == plausible_ids
    assert api_paths == [f"/public/v1/notifications/webhooks/{w}" for w in plausible_ids]
    assert set(fake.calls) == set(plausible_ids)


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


class AsyncCallableObject:
    async def __call__(self, webhook_id: str) -> bytes:
        return b"from-object"


async def _async_lookup(prefix: str, webhook_id: str) -> str:
    return prefix + webhook_id


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        pytest.param(functools.partial(_async_lookup, "p-"), (b"p-WBH-1",), id="async-partial"),
        pytest.param(AsyncCallableObject(), (b"from-object",), id="async-call-object"),
        pytest.param(lambda webhook_id: [], (), id="empty-list"),
        pytest.param(lambda webhook_id: (), (), id="empty-tuple"),
        pytest.param(lambda webhook_id: b"raw", (b"raw",), id="bytes"),
        pytest.param(lambda wid: _async_lookup("aw-", wid), (b"aw-WBH-1",), id="sync-returns-coro"),
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


# --- ProductSecrets: mapping ------------------------------------------------------------------


async def test_product_secrets_with_a_webhook_mapping() -> None:
    source = ProductSecrets(
        {PRODUCT: [SECRET, "next"], "PRD-2222-2222": b"two"},
        webhook_products={WEBHOOK: PRODUCT, "WBH-2": "PRD-2222-2222", "WBH-3": "PRD-9999-9999"},
    )
    assert not source.uses_platform_api
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(), b"next")
    assert await source.secrets_for("WBH-2") == (b"two",)
    assert await source.secrets_for("WBH-3") == ()  # product without a secret
    assert await source.secrets_for("WBH-4") == ()  # webhook not mapped
    assert source.known_webhook_ids() == frozenset({WEBHOOK, "WBH-2", "WBH-3"})
    assert SECRET not in repr(source)
    assert as_secret_source(source) is source  # no lookups, nothing to cache


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        pytest.param(({},), {}, "non-empty mapping", id="empty"),
        pytest.param(([PRODUCT],), {}, "non-empty mapping", id="not-a-mapping"),
        pytest.param(({PRODUCT: ""},), {}, "product 'PRD-1111-1111' is empty", id="empty-secret"),
        pytest.param(({"PRD 1": "s"},), {}, "Key number 1 of product_secrets", id="bad-product"),
        pytest.param(
            ({PRODUCT: "s"},), {"webhook_products": {"WBH 1": PRODUCT}}, "of webhook_products"
        ),
        pytest.param(
            ({PRODUCT: "s"},),
            {"webhook_products": {WEBHOOK: 7}},
            r"webhook_products\['WBH-5433-8787'\] must be a product id",
            id="bad-product-value",
        ),
        pytest.param(
            ({PRODUCT: "s"},),
            {"webhook_products": {}, "timeout": 0},
            "timeout must be",
            id="timeout",
        ),
    ],
)
async def test_product_secrets_refuses_bad_configuration(
    args: tuple[Any, ...], kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment):
        ProductSecrets(*args, **kwargs)


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "Missing: MPT_API_BASE_URL, MPT_API_TOKEN."),
        ({"MPT_API_BASE_URL": BASE_URL}, "Missing: MPT_API_TOKEN."),
        ({"MPT_API_TOKEN": TOKEN}, "Missing: MPT_API_BASE_URL."),
    ],
)
async def test_product_secrets_needs_a_mapping_or_the_api(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    monkeypatch.delenv("MPT_API_BASE_URL", raising=False)
    monkeypatch.delenv("MPT_API_TOKEN", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SecretConfigurationError) as caught:
        ProductSecrets({PRODUCT: SECRET})
    message = str(caught.value)
    assert message.endswith(missing)
    assert "webhook_products=" in message
    assert TOKEN not in message


# --- ProductSecrets: platform API --------------------------------------------------------------


class FakeApi:
    """A MockTransport handler playing the platform's webhook endpoint."""

    def __init__(self, webhooks: Mapping[str, object] | None = None) -> None:
        self.webhooks = dict(webhooks or {})
        self.requests: list[httpx.Request] = []
        self.response: Callable[[httpx.Request], httpx.Response] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.response is not None:
            return self.response(request)
        webhook_id = request.url.path.rsplit("/", 1)[-1]
        if webhook_id not in self.webhooks:
            return httpx.Response(404, json={"title": "Not Found"})
        return httpx.Response(200, json=self.webhooks[webhook_id])


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
async def client(api: FakeApi) -> Any:
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http_client:
        yield http_client


def api_source(client: httpx.AsyncClient, **kwargs: Any) -> ProductSecrets:
    kwargs.setdefault("api_base_url", BASE_URL)
    kwargs.setdefault("api_token", TOKEN)
    return ProductSecrets(
        {PRODUCT: SECRET, "PRD-2222-2222": ["old", "new"]}, http_client=client, **kwargs
    )


@pytest.mark.parametrize(
    "criteria",
    [
        pytest.param({"product.id": PRODUCT}, id="flat"),
        pytest.param({"product.id": PRODUCT, "order.type": "Purchase"}, id="flat-more"),
        pytest.param([{"key": "product.id", "value": PRODUCT}], id="list"),
        pytest.param(
            ["junk", {"key": "type", "value": "x"}, {"key": "product.id", "value": PRODUCT}],
            id="list-more",
        ),
    ],
)
async def test_product_secrets_asks_the_platform_api(
    api: FakeApi, client: httpx.AsyncClient, criteria: object
) -> None:
    api.webhooks[WEBHOOK] = {"id": WEBHOOK, "criteria": criteria}
    source = api_source(client)
    assert source.uses_platform_api
    assert source.known_webhook_ids() is None
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    (request,) = api.requests
    assert request.method == "GET"
    assert request.url.scheme == "https"
    assert request.url.host == "api.example.test"
    assert request.url.path == f"/public/v1/notifications/webhooks/{WEBHOOK}"
    assert dict(request.url.params) == {"select": "criteria"}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(source)


@pytest.mark.parametrize(
    "base_url", [BASE_URL + "/", BASE_URL + "/public/v1", BASE_URL + "/public/v1/"]
)
async def test_product_secrets_base_url_forms(
    api: FakeApi, client: httpx.AsyncClient, base_url: str
) -> None:
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": "PRD-2222-2222"}}
    assert await api_source(client, api_base_url=base_url).secrets_for(WEBHOOK) == (b"old", b"new")
    assert str(api.requests[0].url) == (
        f"{BASE_URL}/public/v1/notifications/webhooks/{WEBHOOK}?select=criteria"
    )


@pytest.mark.parametrize(
    "base_url", ["api.example.test", "ftp://api.example.test", "https://", "https://h:port"]
)
async def test_product_secrets_refuses_a_base_url_that_is_not_a_url(base_url: str) -> None:
    with pytest.raises(SecretConfigurationError, match="must be an absolute URL"):
        ProductSecrets({PRODUCT: SECRET}, api_base_url=base_url, api_token=TOKEN)


async def test_product_secrets_messages_name_the_api_host_only(api: FakeApi) -> None:
    api.response = fail(httpx.ConnectError)
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as client:
        source = api_source(client, api_base_url="https://user:pa55word@api.example.test")
        with pytest.raises(SecretLookupError, match=r"at api\.example\.test to") as caught:
            await source.secrets_for(WEBHOOK)
    assert "pa55word" not in str(caught.value)


async def test_product_secrets_reads_the_api_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, api: FakeApi, client: httpx.AsyncClient
) -> None:
    monkeypatch.setenv("MPT_API_BASE_URL", "https://env.example.test")
    monkeypatch.setenv("MPT_API_TOKEN", "env-token")
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": PRODUCT}}
    source = ProductSecrets({PRODUCT: SECRET}, http_client=client)
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert api.requests[0].url.host == "env.example.test"
    assert api.requests[0].headers["authorization"] == "Bearer env-token"


@pytest.mark.parametrize(
    "webhook",
    [
        pytest.param({"id": WEBHOOK}, id="no-criteria"),
        pytest.param({"criteria": None}, id="null-criteria"),
        pytest.param({"criteria": {"order.type": "Purchase"}}, id="no-product-flat"),
        pytest.param({"criteria": [{"key": "order.type", "value": "x"}]}, id="no-product-list"),
    ],
)
async def test_product_secrets_webhook_without_product_is_unknown(
    api: FakeApi, client: httpx.AsyncClient, webhook: object, caplog: pytest.LogCaptureFixture
) -> None:
    api.webhooks[WEBHOOK] = webhook
    with caplog.at_level(logging.WARNING, logger="receiver.secrets"):
        assert await api_source(client).secrets_for(WEBHOOK) == ()
    assert "has no product.id in its criteria" in caplog.text


async def test_product_secrets_product_without_secret_is_unknown(
    api: FakeApi, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": "PRD-9999-9999"}}
    with caplog.at_level(logging.WARNING, logger="receiver.secrets"):
        assert await api_source(client).secrets_for(WEBHOOK) == ()
    assert "PRD-9999-9999, which has no secret configured" in caplog.text
    assert SECRET not in caplog.text


async def test_product_secrets_404_is_unknown(api: FakeApi, client: httpx.AsyncClient) -> None:
    assert await api_source(client).secrets_for("WBH-0000-0000") == ()
    assert len(api.requests) == 1


def respond(status: int, **kwargs: Any) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, **kwargs)


def fail(error: type[httpx.HTTPError]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)  # type: ignore[call-arg]

    return handler


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        pytest.param(respond(500, text="oops"), "answered HTTP 500", id="500"),
        pytest.param(respond(503), "answered HTTP 503", id="503"),
        pytest.param(respond(302, headers={"location": "/x"}), "answered HTTP 302", id="302"),
        pytest.param(respond(401), "HTTP 401.* MPT_API_TOKEN", id="401"),
        pytest.param(respond(403), "HTTP 403.* MPT_API_TOKEN", id="403"),
        pytest.param(respond(200, text="<html>"), "did not answer JSON", id="html"),
        pytest.param(respond(200, content=b"\xff\xfe\xfa"), "did not answer JSON", id="bytes"),
        pytest.param(respond(200, json=[WEBHOOK]), "answered a JSON array", id="array"),
        pytest.param(
            respond(200, json={"criteria": "x"}), "criteria .* JSON string", id="criteria"
        ),
        pytest.param(
            respond(200, json={"criteria": {"product.id": 7}}), "number as the product.id", id="pid"
        ),
        pytest.param(
            respond(200, json={"criteria": {"product.id": [7]}}),
            "sent an array as the product.id",
            id="pid-array",
        ),
        pytest.param(fail(httpx.ReadTimeout), "did not answer .* within 5 s", id="read-timeout"),
        pytest.param(fail(httpx.ConnectTimeout), "did not answer", id="connect-timeout"),
        pytest.param(
            fail(httpx.ConnectError), r"Could not reach .* \(ConnectError\)", id="connect"
        ),
        pytest.param(fail(httpx.RemoteProtocolError), "RemoteProtocolError", id="protocol"),
    ],
)
async def test_product_secrets_api_failures_are_lookup_errors(
    api: FakeApi,
    client: httpx.AsyncClient,
    response: Callable[[httpx.Request], httpx.Response],
    fragment: str,
) -> None:
    api.response = response
    with pytest.raises(SecretLookupError, match=fragment) as caught:
        await api_source(client).secrets_for(WEBHOOK)
    assert WEBHOOK in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert SECRET not in str(caught.value)


async def test_product_secrets_bounds_the_whole_call(api: FakeApi) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        raise AssertionError("not reached")  # pragma: no cover

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as client:
        source = api_source(client, timeout=0.05)
        with anyio.fail_after(2), pytest.raises(SecretLookupError, match=r"within 0\.05 s"):
            await source.secrets_for(WEBHOOK)


async def test_product_secrets_without_a_client_makes_its_own(
    monkeypatch: pytest.MonkeyPatch, api: FakeApi
) -> None:
    made: list[dict[str, Any]] = []
    real_client = httpx.AsyncClient

    class RecordingClient(real_client):  # type: ignore[misc,valid-type]
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)
            super().__init__(transport=httpx.MockTransport(api), **kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", RecordingClient)
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": PRODUCT}}
    source = ProductSecrets({PRODUCT: SECRET}, api_base_url=BASE_URL, api_token=TOKEN, timeout=3)
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert len(made) == 2
    assert made[0]["verify"] is made[1]["verify"]  # the CA bundle is loaded once
    assert made[0]["timeout"] == 3
    assert api.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


async def test_product_secrets_from_env(api: FakeApi, client: httpx.AsyncClient) -> None:
    environ = {
        "EXT_WEBHOOKS_SECRETS": json.dumps({PRODUCT: SECRET, "PRD-2222-2222": ["a", "b"]}),
        "MPT_API_BASE_URL": BASE_URL,
        "MPT_API_TOKEN": TOKEN,
    }
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": "PRD-2222-2222"}}
    source = ProductSecrets.from_env(environ=environ, http_client=client, timeout=1)
    assert source.uses_platform_api
    assert await source.secrets_for(WEBHOOK) == (b"a", b"b")
    assert api.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert isinstance(as_secret_source(source), CachedSecrets)


async def test_product_secrets_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXT_WEBHOOKS_SECRETS", json.dumps({PRODUCT: SECRET}))
    monkeypatch.setenv("MPT_API_BASE_URL", BASE_URL)
    monkeypatch.setenv("MPT_API_TOKEN", TOKEN)
    assert ProductSecrets.from_env().uses_platform_api


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        pytest.param({}, "^EXT_WEBHOOKS_SECRETS is not set.*PRD-1111-1111", id="unset"),
        pytest.param(
            {"EXT_WEBHOOKS_SECRETS": f'{{"{PRODUCT}": "{SECRET}'}, "is not valid JSON", id="json"
        ),
        pytest.param(
            {"EXT_WEBHOOKS_SECRETS": json.dumps({PRODUCT: SECRET})},
            "Missing: MPT_API_BASE_URL, MPT_API_TOKEN",
            id="no-api",
        ),
        pytest.param(
            {
                "EXT_WEBHOOKS_SECRETS": json.dumps({PRODUCT: ""}),
                "MPT_API_BASE_URL": BASE_URL,
                "MPT_API_TOKEN": TOKEN,
            },
            "^EXT_WEBHOOKS_SECRETS: The secret for product 'PRD-1111-1111' is empty",
            id="empty-secret",
        ),
    ],
)
async def test_product_secrets_from_env_errors(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        ProductSecrets.from_env(environ=environ)
    assert SECRET not in str(caught.value)
    assert TOKEN not in str(caught.value)


# --- CachedSecrets -----------------------------------------------------------------------------


async def test_cache_keeps_hits_for_ttl() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=60, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == (b"s",)
    clock.now += 59.9
    assert await cache.secrets_for(WEBHOOK) == (b"s",)
    assert fake.calls == [WEBHOOK]
    clock.now += 0.1
    fake.answers[WEBHOOK] = (b"rotated",)
    assert await cache.secrets_for(WEBHOOK) == (b"rotated",)
    assert fake.calls == [WEBHOOK, WEBHOOK]
    assert cache.size == 1


async def test_cache_keeps_misses_for_miss_ttl() -> None:
    clock = FakeClock()
    fake = CountingSource()
    cache = CachedSecrets(fake, ttl=300, miss_ttl=30, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == ()
    clock.now += 29
    assert await cache.secrets_for(WEBHOOK) == ()
    assert fake.calls == [WEBHOOK]
    clock.now += 1
    fake.answers[WEBHOOK] = (b"new",)  # the webhook was created meanwhile
    assert await cache.secrets_for(WEBHOOK) == (b"new",)
    assert fake.calls == [WEBHOOK, WEBHOOK]


async def test_cache_with_zero_ttls_caches_nothing() -> None:
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = cached(fake, ttl=0, miss_ttl=0, max_lookups_per_second=math.inf)
    for _ in range(3):
        assert await cache.secrets_for(WEBHOOK) == (b"s",)
        assert await cache.secrets_for("WBH-2") == ()
    assert len(fake.calls) == 6
    assert cache.size == 0


async def test_cache_invalidate() -> None:
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = cached(fake)
    await cache.secrets_for(WEBHOOK)
    await cache.secrets_for("WBH-2")
    cache.invalidate(WEBHOOK)
    assert cache.size == 1
    await cache.secrets_for(WEBHOOK)
    cache.invalidate()
    assert cache.size == 0
    await cache.secrets_for("WBH-2")
    assert fake.calls == [WEBHOOK, "WBH-2", WEBHOOK, "WBH-2"]


async def test_cache_coalesces_concurrent_lookups_of_one_id() -> None:
    gate = anyio.Event()
    fake = CountingSource({WEBHOOK: (b"s",)}, gate=gate)
    cache = cached(fake)
    results: list[tuple[bytes, ...]] = []

    async def get() -> None:
        results.append(await cache.secrets_for(WEBHOOK))

    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(get)
        await anyio.wait_all_tasks_blocked()
        assert fake.calls == [WEBHOOK]
        gate.set()
    assert results == [(b"s",)] * 100
    assert fake.calls == [WEBHOOK]


async def test_cache_coalesces_failures_and_does_not_cache_them() -> None:
    gate = anyio.Event()
    fake = CountingSource({WEBHOOK: (b"s",)}, gate=gate, error=SecretLookupError("API down"))
    cache = cached(fake)
    errors: list[BaseException] = []

    async def get() -> None:
        try:
            await cache.secrets_for(WEBHOOK)
        except SecretLookupError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(get)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert len(errors) == 10
    assert fake.calls == [WEBHOOK]
    assert cache.size == 0
    fake.error = None
    assert await cache.secrets_for(WEBHOOK) == (b"s",)  # not cached: looked up again
    assert fake.calls == [WEBHOOK, WEBHOOK]


async def test_cache_wraps_unexpected_source_errors() -> None:
    fake = CountingSource(error=RuntimeError(f"boom {SECRET}"))
    with pytest.raises(SecretLookupError, match="CountingSource raised RuntimeError") as caught:
        await cached(fake).secrets_for(WEBHOOK)
    assert SECRET not in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.parametrize(
    "answer", [[b"s"], (b"s", "text"), (b"",), "s"], ids=["list", "str-item", "empty", "str"]
)
async def test_cache_refuses_malformed_answers(answer: Any) -> None:
    fake = CountingSource(default=answer)
    with pytest.raises(SecretLookupError, match="must return a tuple of non-empty bytes"):
        await cached(fake).secrets_for(WEBHOOK)


async def test_cache_a_cancelled_lookup_lets_the_waiters_retry() -> None:
    gate = anyio.Event()
    fake = CountingSource({WEBHOOK: (b"s",)}, gate=gate)
    cache = cached(fake)
    results: list[tuple[bytes, ...]] = []
    leader_scope = anyio.CancelScope()

    async def leader() -> None:
        with leader_scope:
            await cache.secrets_for(WEBHOOK)

    async def follower() -> None:
        results.append(await cache.secrets_for(WEBHOOK))

    async with anyio.create_task_group() as tg:
        tg.start_soon(leader)
        await anyio.wait_all_tasks_blocked()
        tg.start_soon(follower)
        await anyio.wait_all_tasks_blocked()
        assert fake.calls == [WEBHOOK]
        leader_scope.cancel()
        await anyio.wait_all_tasks_blocked()
        assert fake.calls == [WEBHOOK, WEBHOOK]  # the follower looked up itself
        gate.set()
    assert results == [(b"s",)]
    assert leader_scope.cancelled_caught


async def test_cache_limits_concurrent_lookups() -> None:
    gate = anyio.Event()
    fake = CountingSource(default=(b"s",), gate=gate)
    cache = cached(fake, max_concurrent_lookups=3, max_lookups_per_second=math.inf)
    results: list[tuple[bytes, ...]] = []

    async def get(webhook_id: str) -> None:
        results.append(await cache.secrets_for(webhook_id))

    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(get, f"WBH-{i}")
        await anyio.wait_all_tasks_blocked()
        assert fake.in_flight == 3
        gate.set()
    assert fake.max_in_flight == 3
    assert len(fake.calls) == 50
    assert results == [(b"s",)] * 50


async def test_cache_bounds_lookups_queued_behind_a_hanging_source() -> None:
    gate = anyio.Event()
    fake = CountingSource(default=(b"s",), gate=gate)
    cache = cached(fake, max_entries=2, max_concurrent_lookups=1)
    results: dict[str, tuple[bytes, ...]] = {}

    async def get(webhook_id: str) -> None:
        results[webhook_id] = await cache.secrets_for(webhook_id)

    async with anyio.create_task_group() as tg:
        for webhook_id in ("WBH-1", "WBH-2", "WBH-3"):
            tg.start_soon(get, webhook_id)
            await anyio.wait_all_tasks_blocked()
        assert results == {"WBH-3": ()}  # refused at once: two lookups already pending
        gate.set()
    assert results == {"WBH-1": (b"s",), "WBH-2": (b"s",), "WBH-3": ()}
    assert fake.calls == ["WBH-1", "WBH-2"]


async def test_cache_limits_concurrent_lookups_with_slow_sleeps() -> None:
    class Slow(CountingSource):
        async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await anyio.sleep(0.001)
            self.in_flight -= 1
            return (b"s",)

    fake = Slow()
    cache = CachedSecrets(fake, max_concurrent_lookups=4, max_lookups_per_second=math.inf)
    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(cache.secrets_for, f"WBH-{i}")
    assert fake.max_in_flight == 4


async def test_cache_bounds_memory_and_lookups_under_a_flood_of_forged_ids() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"real",)})
    cache = CachedSecrets(fake, max_entries=1000, max_lookups_per_second=20, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == (b"real",)
    for i in range(50_000):
        clock.now += 0.001  # 50 s of flood
        assert await cache.secrets_for(f"WBH-{i}") == ()
        assert cache.size <= 1000
    allowance = 20 + 20 * 50  # the burst, then 20 per second for 50 s
    assert allowance - 2 <= len(fake.calls) <= allowance
    # the real webhook survived: misses are evicted first
    assert await cache.secrets_for(WEBHOOK) == (b"real",)
    assert fake.calls.count(WEBHOOK) == 1


async def test_cache_lru_bound_without_rate_limit() -> None:
    fake = CountingSource()
    cache = cached(fake, max_entries=100, max_lookups_per_second=math.inf)
    for i in range(10_000):
        await cache.secrets_for(f"WH-{i}")
    assert cache.size == 100
    assert len(fake.calls) == 10_000


async def test_cache_evicts_least_recently_used_hits() -> None:
    fake = CountingSource(default=(b"s",))
    cache = cached(fake, max_entries=2, max_lookups_per_second=math.inf)
    await cache.secrets_for("WBH-a")
    await cache.secrets_for("WBH-b")
    await cache.secrets_for("WBH-a")  # a is now more recent than b
    await cache.secrets_for("WBH-c")  # evicts b
    await cache.secrets_for("WBH-a")
    assert fake.calls == ["WBH-a", "WBH-b", "WBH-c"]
    await cache.secrets_for("WBH-b")
    assert fake.calls == ["WBH-a", "WBH-b", "WBH-c", "WBH-b"]


async def test_cache_evicts_misses_before_hits() -> None:
    fake = CountingSource({"WBH-hit": (b"s",)})
    cache = cached(fake, max_entries=3, max_lookups_per_second=math.inf)
    await cache.secrets_for("WBH-hit")
    for i in range(10):
        await cache.secrets_for(f"WBH-miss-{i}")
        await cache.secrets_for("WBH-miss-0")  # recently used, still evicted before the hit
    await cache.secrets_for("WBH-hit")
    assert fake.calls.count("WBH-hit") == 1
    assert cache.size == 3


async def test_cache_rate_limit_answers_unknown_and_warns_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    fake = CountingSource(default=(b"s",))
    cache = CachedSecrets(fake, max_lookups_per_second=2, clock=clock)
    with caplog.at_level(logging.WARNING, logger="receiver.secrets"):
        answers = [await cache.secrets_for(f"WBH-{i}") for i in range(10)]
        assert answers == [(b"s",)] * 2 + [()] * 8
        assert len(fake.calls) == 2
        assert len(caplog.records) == 1
        clock.now += 59  # refills, but the warning waits for its interval
        answers = [await cache.secrets_for(f"WBH-x{i}") for i in range(5)]
        assert answers == [(b"s",)] * 2 + [()] * 3
        assert len(caplog.records) == 1
        clock.now += 1
        await cache.secrets_for("WBH-y1")
        await cache.secrets_for("WBH-y2")
        await cache.secrets_for("WBH-y3")
    assert len(caplog.records) == 2
    assert "max_lookups_per_second=2" in caplog.records[0].getMessage()
    assert "1 call(s)" in caplog.records[0].getMessage()
    assert "11 call(s)" in caplog.records[1].getMessage()  # 7 + 3 + 1 since the first warning
    assert all(r.name == "receiver.secrets" for r in caplog.records)


async def test_cache_refills_the_bucket_over_time() -> None:
    clock = FakeClock()
    fake = CountingSource(default=(b"s",))
    cache = CachedSecrets(fake, max_lookups_per_second=0.5, clock=clock)  # bursts of 1
    assert await cache.secrets_for("WBH-1") == (b"s",)
    assert await cache.secrets_for("WBH-2") == ()
    clock.now += 1.9
    assert await cache.secrets_for("WBH-2") == ()
    clock.now += 0.1
    assert await cache.secrets_for("WBH-2") == (b"s",)
    clock.now -= 100  # a clock that steps back refills nothing
    assert await cache.secrets_for("WBH-3") == ()


async def test_cache_lookup_errors_count_against_the_rate() -> None:
    fake = CountingSource(error=SecretLookupError("API down"))
    cache = cached(fake, max_lookups_per_second=5)
    outcomes: list[object] = []
    for _ in range(10):
        try:
            outcomes.append(await cache.secrets_for(WEBHOOK))
        except SecretLookupError:
            outcomes.append("error")
    assert outcomes == ["error"] * 5 + [()] * 5
    assert len(fake.calls) == 5


async def test_cache_serves_an_expired_secret_while_rate_limited() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=10, max_lookups_per_second=1, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == (b"s",)
    clock.now += 10.5  # expired, and half a token in the bucket
    fake.answers[WEBHOOK] = (b"t",)
    assert await cache.secrets_for("WBH-forged") == ()  # spends the refilled token
    assert await cache.secrets_for(WEBHOOK) == (b"s",)  # stale, not refused
    clock.now += 1
    assert await cache.secrets_for(WEBHOOK) == (b"t",)


async def test_cache_a_miss_replaces_an_expired_hit() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=10, clock=clock)
    await cache.secrets_for(WEBHOOK)
    clock.now += 11
    del fake.answers[WEBHOOK]  # the webhook was deleted
    assert await cache.secrets_for(WEBHOOK) == ()
    assert cache.size == 1


async def test_cache_delegates_known_ids_and_shows_its_settings() -> None:
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=1.5, max_entries=7)
    assert cache.known_webhook_ids() == frozenset({WEBHOOK})
    assert cache.source is fake
    assert repr(cache).startswith("CachedSecrets(<")
    assert "ttl=1.5, miss_ttl=30, max_entries=7" in repr(cache)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ttl": -1}, "ttl must be a number >= 0"),
        ({"miss_ttl": math.nan}, "miss_ttl must be a number >= 0"),
        ({"ttl": "60"}, "ttl must be"),
        ({"max_entries": 0}, "max_entries must be an integer >= 1"),
        ({"max_entries": True}, "max_entries must be"),
        ({"max_concurrent_lookups": 1.5}, "max_concurrent_lookups must be"),
        ({"max_lookups_per_second": 0}, "max_lookups_per_second must be a number > 0"),
        ({"max_lookups_per_second": False}, "max_lookups_per_second must be"),
    ],
)
async def test_cache_refuses_bad_settings(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment):
        CachedSecrets(CountingSource(), **kwargs)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [({WEBHOOK: SECRET}, "not a dict"), (StaticSecrets, "the class StaticSecrets")],
    ids=["mapping", "class"],
)
async def test_cache_refuses_non_sources(source: Any, fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        CachedSecrets(source)
    assert SECRET not in str(caught.value)


# --- as_secret_source --------------------------------------------------------------------------


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
        pytest.param(functools.partial(_async_lookup, ""), (WEBHOOK.encode(),), id="partial"),
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


def test_public_names() -> None:
    assert set(secrets_module.__all__) == {
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
    }
    for name in secrets_module.__all__:
        assert hasattr(secrets_module, name)


def test_protocol_is_runtime_checkable() -> None:
    assert isinstance(StaticSecrets({}), SecretSource)
    assert not isinstance({}, SecretSource)


def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(secrets_module)
    assert tried >= 10
    assert failures == 0
