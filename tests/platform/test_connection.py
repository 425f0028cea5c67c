"""receiver.platform.connection: where the API is, the token, and the http:// rule."""

from __future__ import annotations

import pytest

from receiver.errors import ConfigurationError
from receiver.platform import connection
from receiver.platform.connection import is_configured

TOKEN = "idt:TKN-0000-0000:secret-part"


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.test",
        "https://api.example.test/",
        "https://api.example.test/public/v1",
        "https://api.example.test/public/v1/",
    ],
)
def test_the_base_url_with_or_without_the_api_prefix(url: str) -> None:
    assert connection(url, TOKEN).base_url == "https://api.example.test"


def test_arguments_before_the_environment() -> None:
    environ = {"MPT_API_BASE_URL": "https://env.example.test", "MPT_API_TOKEN": "env-token"}

    from_env = connection(environ=environ)
    given = connection("https://arg.example.test", "arg-token", environ=environ)

    assert (from_env.base_url, from_env.token) == ("https://env.example.test", "env-token")
    assert (given.base_url, given.token) == ("https://arg.example.test", "arg-token")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8090", "http://localhost:8090", "http://[::1]:8090"]
)
def test_http_is_accepted_for_loopback_hosts(url: str) -> None:
    assert connection(url, TOKEN).base_url == url


def test_http_to_another_host_is_refused_the_token_would_travel_in_clear() -> None:
    with pytest.raises(ConfigurationError, match=r"http:// to api\.example\.test: the API token"):
        connection("http://api.example.test", TOKEN)


@pytest.mark.parametrize(
    "url", ["api.example.test", "ftp://api.example.test", "https://", "https://h:port"]
)
def test_a_base_url_that_is_not_a_url(url: str) -> None:
    with pytest.raises(ConfigurationError, match="must be an absolute URL") as caught:
        connection(url, TOKEN)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "Missing: MPT_API_BASE_URL (--api-url), MPT_API_TOKEN (--api-token)."),
        ({"MPT_API_TOKEN": TOKEN}, "Missing: MPT_API_BASE_URL (--api-url)."),
        ({"MPT_API_BASE_URL": "https://a.example"}, "Missing: MPT_API_TOKEN (--api-token)."),
    ],
)
def test_what_is_missing_is_named(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        connection(environ=environ)
    assert str(caught.value).endswith(missing)


@pytest.mark.parametrize("token", ["with space", "line\nbreak", " padded"])
def test_a_token_with_whitespace_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(ConfigurationError, match="whitespace or control characters") as caught:
        connection("https://api.example.test", token)
    assert token.strip() not in str(caught.value)


def test_the_token_is_not_in_the_repr() -> None:
    assert TOKEN not in repr(connection("https://api.example.test", TOKEN))


def test_http_to_any_host_when_asked() -> None:
    assert connection("http://gateway.internal", TOKEN, remote_http=True).host == "gateway.internal"


def test_is_configured() -> None:
    assert not is_configured({})
    assert not is_configured({"MPT_API_TOKEN": TOKEN})
    assert is_configured({"MPT_API_TOKEN": TOKEN, "MPT_API_BASE_URL": "https://a.example"})
