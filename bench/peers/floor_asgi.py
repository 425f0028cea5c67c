"""floor-asgi: a raw ASGI callable doing PyJWT verification and json.loads/json.dumps only."""

import json
from typing import Any

import jwt

from bench.peers._common import SECRETS


async def _send(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    authorization = dict(scope["headers"]).get(b"authorization", b"").decode()
    try:
        token = authorization.removeprefix("Bearer ")
        claims = jwt.decode(token, options={"verify_signature": False})
        jwt.decode(
            token,
            SECRETS[claims["webhook_id"]],
            algorithms=["HS256"],
            options={"verify_aud": False, "require": ["exp", "webhook_id"]},
        )
    except (jwt.PyJWTError, KeyError):
        await _send(send, 401, b'{"detail":"Unauthorized"}')
        return
    order = json.loads(b"".join(chunks))
    order["error"] = None
    await _send(send, 200, json.dumps(order).encode())
