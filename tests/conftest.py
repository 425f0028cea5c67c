"""Shared fixtures: tokens minted independently with PyJWT, and an httpx client per app."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

SECRET = "test-secret-test-secret-test-secret-01"
OTHER_SECRET = "other-secret-other-secret-other-secret"
WEBHOOK_ID = "WBH-5433-8787"
FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        help="skip tests marked slow (subprocesses, wheel builds); refused when CI is set",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--fast"):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("--fast is for local runs; CI runs every test.")
    skip = pytest.mark.skip(reason="slow test skipped by --fast")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pyjwt_token(secret: str = SECRET, webhook_id: str | None = WEBHOOK_ID, **overrides: Any) -> str:
    """A token as the platform makes it (platform.md §1.3), minted by PyJWT, not by our code."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "mpt",
        "aud": "vendor-ext.example.com",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    if webhook_id is not None:
        claims["webhook_id"] = webhook_id
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return jwt.encode(claims, secret, algorithm="HS256")


@contextlib.contextmanager
def imports_undone() -> Iterator[None]:
    """Undo what the body does to ``sys.path`` and ``sys.modules`` (apps a test imported)."""
    saved_path, saved_modules = sys.path[:], set(sys.modules)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            del sys.modules[name]


def stop_process(process: subprocess.Popen[str], timeout: float) -> str:
    """Stop a server started by a test (SIGTERM, then SIGKILL after ``timeout`` seconds);
    its stderr."""
    process.terminate()
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover - only when shutdown hangs
        process.kill()
        _, stderr = process.communicate()
    return stderr or ""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@pytest.fixture
def client_for() -> Callable[[Any], httpx.AsyncClient]:
    def make(app: Any, base_url: str = "https://vendor-ext.example.com") -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    return make


async def post(
    app: Any,
    body: Any,
    *,
    path: str = "/",
    token: str | None = None,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """One signed POST to ``app`` through httpx's ASGI transport."""
    sent_headers = {"Content-Type": "application/json"}
    sent_headers.update(auth(token if token is not None else pyjwt_token()))
    sent_headers.update(headers or {})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://vendor-ext.example.com"
    ) as client:
        if content is None:
            content = json.dumps(body).encode()
        return await client.post(path, content=content, headers=sent_headers)


@pytest.fixture
def purchase_order() -> dict[str, Any]:
    return {
        "id": "ORD-3156-8071-4437",
        "type": "Purchase",
        "status": "Draft",
        "error": {"id": "OLD001", "message": "stale error from a previous validation"},
        "product": {"id": "PRD-1111-1111", "name": "Acme Cloud Suite"},
        "lines": [
            {
                "id": "ALI-3156-8071-4437-0001",
                "item": {"id": "ITM-1111-1111-0001", "name": "Acme Pro (1 year)"},
                "oldQuantity": 0,
                "quantity": 5,
                "price": {"currency": "USD", "unitPP": 100.0},
            }
        ],
        "parameters": {
            "ordering": [
                {
                    "id": "PAR-1111-1111-0001",
                    "externalId": "companyName",
                    "type": "SingleLineText",
                    "constraints": {"hidden": False, "required": True, "readonly": False},
                    "value": "Contoso Ltd",
                    "error": {"id": "OLD002", "message": "stale"},
                }
            ],
            "fulfillment": [],
        },
        "someFutureField": {"kept": [1, 2.5, "x", None]},
    }


AsyncClientIterator = AsyncIterator[httpx.AsyncClient]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server's URL: CI's (RECEIVER_TEST_REDIS_URL), else one started here. Tests keep
    apart by key prefix (see ``redis_prefix``)."""
    from tests.redis_server import RedisServer, ci_redis_url, redis_server_binary

    given = ci_redis_url()
    if given is not None:
        yield given
        return
    if redis_server_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide Redis: .ci/run installs and starts redis-server.")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test alone, so tests can share one Redis."""
    return f"test:{uuid.uuid4().hex}:"
