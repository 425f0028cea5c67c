"""Where the platform API is and how to authenticate: the base URL and the API token, from
arguments or ``MPT_API_BASE_URL`` / ``MPT_API_TOKEN``, checked once.

    >>> api = connection("https://api.example.com/public/v1/", "idt:TKN-1")
    >>> api.base_url, api.host
    ('https://api.example.com', 'api.example.com')
    >>> "TKN" in repr(api)
    False
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import httpx

from receiver._net import is_loopback
from receiver.errors import ConfigurationError

BASE_URL_ENV: Final = "MPT_API_BASE_URL"
TOKEN_ENV: Final = "MPT_API_TOKEN"  # noqa: S105 - the variable's name
API_PREFIX: Final = "/public/v1"


@dataclass(frozen=True, slots=True)
class Connection:
    """A checked base URL (no trailing slash, no ``/public/v1``) and token. ``host`` is what
    messages name: the URL itself may carry credentials."""

    base_url: str
    token: str = field(repr=False)
    host: str


def connection(
    api_url: str | None = None,
    token: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    remote_http: bool = False,
) -> Connection:
    """The platform API to talk to: ``api_url`` and ``token``, else the environment.

    ``http://`` is accepted for loopback hosts only (the simulator): the token would cross any
    other network in the clear. ``remote_http`` accepts it for any host; ProductSecrets keeps
    doing so, as it did before it used this client.
    """
    env = os.environ if environ is None else environ
    base_url = api_url or env.get(BASE_URL_ENV, "")
    token = token or env.get(TOKEN_ENV, "")
    missing = [
        f"{name} (--{flag})"
        for name, flag, value in (
            (BASE_URL_ENV, "api-url", base_url),
            (TOKEN_ENV, "api-token", token),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            "The platform API's address and token are needed: set MPT_API_BASE_URL (for example"
            " https://api.platform.softwareone.com) and MPT_API_TOKEN, or pass --api-url and"
            f" --api-token (api_url= and token= in Python). Missing: {', '.join(missing)}."
        )
    if any(char.isspace() or ord(char) < 32 for char in token):
        raise ConfigurationError(
            "MPT_API_TOKEN (--api-token) holds whitespace or control characters; copy the token"
            " again, without quotes or a line break. (The token is not shown.)"
        )
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        url = httpx.URL()
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            "MPT_API_BASE_URL (--api-url) must be an absolute URL of the platform API, like"
            " https://api.platform.softwareone.com. (The value is not shown: it may hold"
            " credentials.)"
        )
    if url.scheme == "http" and not remote_http and not is_loopback(url.host):
        raise ConfigurationError(
            f"MPT_API_BASE_URL (--api-url) is http:// to {url.host}: the API token would travel"
            " unencrypted. Use https://; http:// is accepted for loopback hosts only (the"
            " simulator, `receiver simulate`)."
        )
    # With or without the API's /public/v1 prefix, with or without a trailing slash.
    return Connection(
        base_url=base_url.rstrip("/").removesuffix(API_PREFIX), token=token, host=url.host
    )


def is_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether both MPT_API_BASE_URL and MPT_API_TOKEN are set."""
    env = os.environ if environ is None else environ
    return bool(env.get(BASE_URL_ENV) and env.get(TOKEN_ENV))
