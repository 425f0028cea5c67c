"""floor-starlette: one Starlette route doing PyJWT verification and json load/dump: what a
careful user writes by hand."""

import json

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.peers._common import SECRETS


async def validate(request: Request) -> Response:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        jwt.decode(
            token,
            SECRETS[claims["webhook_id"]],
            algorithms=["HS256"],
            options={"verify_aud": False, "require": ["exp", "webhook_id"]},
        )
    except (jwt.PyJWTError, KeyError):
        return JSONResponse({"detail": "Unauthorized"}, status_code=401)
    order = json.loads(await request.body())
    order["error"] = None
    return Response(json.dumps(order), media_type="application/json")


app = Starlette(routes=[Route("/", validate, methods=["POST"])])
